import Foundation
import Testing
@testable import ToyTCPScript

/// Paths and process helpers shared by the script, CLI and REPL tests.
enum TestSupport {
    /// The package root (two levels above this file's directory).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var examples: URL { packageRoot.appendingPathComponent("examples") }

    /// The built `toytcp-shell`, in the configuration the tests were built in.
    static var executable: URL {
        #if DEBUG
        let preferred = ["debug", "release"]
        #else
        let preferred = ["release", "debug"]
        #endif
        for c in preferred {
            let u = packageRoot.appendingPathComponent(".build/\(c)/toytcp-shell")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return packageRoot.appendingPathComponent(".build/release/toytcp-shell")
    }

    /// The example scripts that say `# network: sim`.
    static func simulatedExamples() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examples.path)) ?? []
        return names.filter { $0.hasSuffix(".ttcp") }.filter { name in
            let text = (try? String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return text.contains("# network: sim")
        }.sorted()
    }

    static func labExamples() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examples.path)) ?? []
        return names.filter { $0.hasSuffix(".ttcp") }.filter { name in
            let text = (try? String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return text.contains("# network: lab")
        }.sorted()
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion (bounded by `timeout` seconds; killed after).
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> ProcessResult {
        // posix_spawn + waitpid(pid) rather than Foundation's Process: Process.waitUntilExit was seen to
        // hang for ever on an exited `tmux` client (a zombie it never noticed), which froze the test run.
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("toytcp-run-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outPath = dir.appendingPathComponent("stdout").path
        let errPath = dir.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The child starts with no signal blocked (the test runner's threads block some).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(path): \(String(cString: strerror(rc)))"])
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var killed = false
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if !killed && Date() >= deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            usleep(2_000)
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return ProcessResult(status: exitStatus, stdout: stdout, stderr: stderr)
    }

    /// Runs a script in-process on a fresh simulated network.
    static func runScript(_ text: String, file: String = "test.ttcp", keepGoing: Bool = false) throws -> (ScriptRunner.Result, [String], [String]) {
        let network = try SimulatedScriptNetwork(seed: 1)
        final class Lines: @unchecked Sendable { var out: [String] = []; var err: [String] = [] }
        let lines = Lines()
        let result = ScriptRunner(file: file, text: text, keepGoing: keepGoing)
            .run(on: network, output: { lines.out.append($0) }, errorOutput: { lines.err.append($0) })
        return (result, lines.out, lines.err)
    }

    /// Whether kernel-lab tests can run; under CI=true they must.
    static var labAvailable: Bool { geteuid() == 0 }
    static var mustRunLab: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}
