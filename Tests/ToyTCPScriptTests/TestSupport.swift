import Foundation
import Testing
import ToyTCPTestSupport
@testable import ToyTCPScript

/// Paths and process helpers shared by the script, CLI and REPL tests.
enum TestSupport {
    static var packageRoot: URL { TestEnvironment.packageRoot }

    static var examples: URL { packageRoot.appendingPathComponent("examples") }

    /// The built `toytcp-shell`, in the configuration the tests were built in.
    static var executable: URL { URL(fileURLWithPath: TestEnvironment.executable("toytcp-shell")) }

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

    /// Runs a program to completion (killed after `timeout` seconds).
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> Subprocess.Output {
        try Subprocess.run([path] + arguments, environment: environment, timeout: .milliseconds(Int(timeout * 1000)))
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
    static var labAvailable: Bool { TestEnvironment.isRoot }
    static var mustRunLab: Bool { TestEnvironment.isCI }
}
