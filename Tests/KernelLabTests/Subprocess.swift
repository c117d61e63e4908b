import Foundation

/// A child process of a test (nc, tcpdump, an example binary), started with `posix_spawn` and reaped
/// with `waitpid`, its output in files so a chatty child can never block on a full pipe. Every wait is
/// bounded.
final class Subprocess: @unchecked Sendable {
    let arguments: [String]
    let stdoutPath: String
    let stderrPath: String
    /// Whether `stdoutPath` is a temporary file of ours (a caller's path, even /dev/null, is never removed).
    private let ownsStdout: Bool
    let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32? = nil

    /// Starts `arguments` (the first is the program, looked up on PATH unless it is a path), with stdin
    /// from `stdinPath` (default /dev/null) and stdout to `stdoutPath` (default a temporary file).
    init(_ arguments: [String], stdin stdinPath: String? = nil, stdout stdoutPath: String? = nil) throws {
        self.arguments = arguments
        let id = UUID().uuidString.prefix(8)
        ownsStdout = stdoutPath == nil
        self.stdoutPath = stdoutPath ?? LabEnvironment.temporaryDirectory.appendingPathComponent("out-\(id)").path
        stderrPath = LabEnvironment.temporaryDirectory.appendingPathComponent("err-\(id)").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, self.stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // The test runner may ignore or block signals; children get the defaults, so SIGTERM ends them.
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
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, arguments[0], &actions, &attributes, &argv, environ)
        guard result == 0 else { throw SubprocessError.cannotStart(arguments[0], String(cString: strerror(result))) }
        pid = child
    }

    /// Runs `arguments` to completion (bounded by `timeout`) and returns its status and output.
    static func run(_ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(30)) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let child = try Subprocess(arguments, stdin: stdin)
        defer { child.removeOutput() }
        guard let status = child.wait(timeout: timeout) else {
            child.kill()
            throw SubprocessError.timedOut(arguments.joined(separator: " "), timeout)
        }
        return (status, child.stdout, child.stderr)
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Reaps the child if it has exited; its exit status (128 + signal if killed), or `nil`.
    func poll() -> Int32? {
        lock.lock(); defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        exitStatus = code
        return code
    }

    var isRunning: Bool { poll() == nil }

    /// Waits for the exit; `nil` if still running after `timeout`.
    func wait(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = poll() { return status }
            if ContinuousClock.now >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Waits until `text` appears on stderr (a server saying it listens); false after `timeout`.
    func waitForStderr(containing text: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stderr.contains(text) { return true }
            if !isRunning { return stderr.contains(text) }
            usleep(2_000)
        }
        return false
    }

    func signal(_ number: Int32) {
        if isRunning { Foundation.kill(pid, number) }
    }

    /// SIGTERM, then SIGKILL if it is still there after a second; reaps it.
    func kill() {
        guard isRunning else { return }
        signal(SIGTERM)
        if wait(timeout: .seconds(1)) == nil {
            signal(SIGKILL)
            _ = wait(timeout: .seconds(2))
        }
    }

    /// Removes the temporary output files this object created (never a path the caller gave).
    func removeOutput() {
        if ownsStdout { unlink(stdoutPath) }
        unlink(stderrPath)
    }

    deinit {
        kill()
        unlink(stderrPath)
    }
}

enum SubprocessError: Error, CustomStringConvertible {
    case timedOut(String, Duration)
    case cannotStart(String, String)
    var description: String {
        switch self {
        case .timedOut(let command, let timeout): return "`\(command)` did not finish within \(timeout)"
        case .cannotStart(let program, let reason): return "cannot start \(program): \(reason)"
        }
    }
}
