import Foundation
import Testing
import ToyTCPLink

/// Where the kernel-lab tests find the lab scripts and the example binaries, and whether they may run.
///
/// These tests need root (namespaces, raw sockets). Without root they are skipped with a message, but
/// under `CI=true` they run anyway and fail: CI must never skip them silently.
enum LabEnvironment {
    static let isRoot = geteuid() == 0
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let canRun = isRoot || isCI
    static let skipMessage: Comment = "kernel-lab tests need root (network namespaces, raw sockets): run `sudo scripts/test.sh`"

    /// The package root: this file is Tests/KernelLabTests/LabEnvironment.swift.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func script(_ name: String) -> String { repositoryRoot.appendingPathComponent("scripts/\(name)").path }

    /// The build directory of this test run (`.build/<triple>/<config>/`): the test bundle lives there,
    /// next to the example executables.
    /// `TOYTCP_TEST_BIN` overrides it (to run these tests against another build's executables, e.g.
    /// an older commit's, and see a test fail there).
    static let binaryDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["TOYTCP_TEST_BIN"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }()

    /// The path of an example executable; records an issue if it was not built.
    static func example(_ name: String) -> String {
        let path = binaryDirectory.appendingPathComponent(name).path
        if !FileManager.default.isExecutableFile(atPath: path) {
            Issue.record("\(path) is missing: build the examples first (`swift build -c release -Xswiftc -enable-testing`, as scripts/test.sh does)")
        }
        return path
    }

    /// Where failing tests leave their capture (`captures/` is git-ignored).
    static let captureDirectory: URL = {
        let url = repositoryRoot.appendingPathComponent("captures")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static let temporaryDirectory: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("toytcp-lab-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
}
