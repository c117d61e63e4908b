import Foundation
import Testing
import ToyTCPLink
import ToyTCPTestSupport

/// Where the kernel-lab tests find the lab scripts and the example binaries, and whether they may run.
///
/// These tests need root (namespaces, raw sockets). Without root they are skipped with a message, but
/// under `CI=true` they run anyway and fail: CI must never skip them silently.
enum LabEnvironment {
    static let isRoot = TestEnvironment.isRoot
    static let isCI = TestEnvironment.isCI
    static let canRun = isRoot || isCI
    static let skipMessage: Comment = "kernel-lab tests need root (network namespaces, raw sockets): run `sudo scripts/test.sh`"

    static let repositoryRoot = TestEnvironment.packageRoot

    static func script(_ name: String) -> String { TestEnvironment.script(name) }

    static var binaryDirectory: URL { TestEnvironment.binaryDirectory }

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

    static var temporaryDirectory: URL { TestEnvironment.temporaryDirectory }
}
