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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Drain the pipes while waiting so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate(); usleep(100_000); if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        p.waitUntilExit()
        group.wait()
        return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
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
