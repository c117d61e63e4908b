import Foundation

/// A child process of a test (nc, tcpdump, tmux, an example binary, the shell), started with
/// `posix_spawn` rather than Foundation's `Process` (whose `waitUntilExit` was seen to hang for ever on
/// an exited `tmux` client, a zombie it never noticed). The child gets default signal dispositions and an
/// empty signal mask (the test runner's threads block and ignore some, and children inherit that), its
/// output goes to files so a chatty child can never block on a full pipe, and every wait is bounded.
public final class Subprocess: @unchecked Sendable {
    public let arguments: [String]
    public let stdoutPath: String
    public let stderrPath: String
    /// Whether `stdoutPath` is a temporary file of ours (a caller's path, even /dev/null, is never removed).
    private let ownsStdout: Bool
    public let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32? = nil

    /// Starts `arguments` (the first is the program, looked up on PATH unless it is a path), with stdin
    /// from `stdinPath` (default /dev/null), stdout to `stdoutPath` (default a temporary file), and
    /// `environment` added to this process's environment.
    public init(_ arguments: [String], stdin stdinPath: String? = nil, stdout stdoutPath: String? = nil,
                environment: [String: String] = [:]) throws {
        self.arguments = arguments
        ownsStdout = stdoutPath == nil
        self.stdoutPath = stdoutPath ?? TestEnvironment.temporaryPath("out")
        stderrPath = TestEnvironment.temporaryPath("err")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, self.stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else { throw SubprocessError.cannotStart(arguments[0], String(cString: strerror(result))) }
        pid = child
    }

    /// What a finished child left: its exit status (128 + signal if killed), its output, and whether it
    /// was killed because `timeout` ran out.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool
    }

    /// Runs `arguments` to completion; killed (SIGKILL) when `timeout` runs out, which `timedOut` says.
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                           timeout: Duration = .seconds(30)) throws -> Output {
        let child = try Subprocess(arguments, stdin: stdin, environment: environment)
        defer { child.removeOutput() }
        var timedOut = false
        var status = child.wait(timeout: timeout)
        if status == nil {
            timedOut = true
            child.signal(SIGKILL)
            status = child.wait(timeout: .seconds(5))
        }
        return Output(status: status ?? 137, stdout: child.stdout, stderr: child.stderr, timedOut: timedOut)
    }

    /// Like `run`, with `input` written to a temporary file that becomes the child's stdin.
    public static func run(_ arguments: [String], input: Data, environment: [String: String] = [:],
                           timeout: Duration = .seconds(30)) throws -> Output {
        let path = TestEnvironment.temporaryPath("in")
        try input.write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return try run(arguments, stdin: path, environment: environment, timeout: timeout)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Reaps the child if it has exited; its exit status (128 + signal if killed), or `nil`.
    public func poll() -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = code
        return code
    }

    public var isRunning: Bool { poll() == nil }

    /// Waits for the exit; `nil` if still running after `timeout`.
    public func wait(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = poll() { return status }
            if ContinuousClock.now >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Waits until `text` appears on stderr (a server saying it listens); false after `timeout`.
    public func waitForStderr(containing text: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if !isRunning { return stderr.contains(text) }
            usleep(2_000)
        }
        return false
    }

    public func signal(_ number: Int32) {
        if isRunning { Foundation.kill(pid, number) }
    }

    /// SIGTERM, then SIGKILL if it is still there after a second; reaps it.
    public func kill() {
        guard isRunning else { return }
        signal(SIGTERM)
        if wait(timeout: .seconds(1)) == nil {
            signal(SIGKILL)
            _ = wait(timeout: .seconds(2))
        }
    }

    /// Removes the temporary output files this object created (never a path the caller gave).
    public func removeOutput() {
        if ownsStdout { unlink(stdoutPath) }
        unlink(stderrPath)
    }

    deinit {
        kill()
        unlink(stderrPath)
    }
}

public enum SubprocessError: Error, CustomStringConvertible {
    case timedOut(String, Duration)
    case cannotStart(String, String)
    case failed(String)
    public var description: String {
        switch self {
        case .timedOut(let command, let timeout): return "`\(command)` did not finish within \(timeout)"
        case .cannotStart(let program, let reason): return "cannot start \(program): \(reason)"
        case .failed(let message): return message
        }
    }
}
