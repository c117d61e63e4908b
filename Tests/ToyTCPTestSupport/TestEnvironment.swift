import Foundation

/// What every test target asks of the machine: root, CI, tools, temporary files, the package's folders.
public enum TestEnvironment {
    public static let isRoot = geteuid() == 0
    /// Under `CI=true` the tests that need root and kernel tools must run: a missing piece is a failure,
    /// never a skip.
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// The package root: this file is Tests/ToyTCPTestSupport/TestEnvironment.swift.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func script(_ name: String) -> String { packageRoot.appendingPathComponent("scripts/\(name)").path }

    /// The build folder of this test run (`.build/<triple>/<config>/`): the test bundle lives there, next
    /// to the executables built in the same configuration. `TOYTCP_TEST_BIN` overrides it (to run the tests
    /// against another build's executables, e.g. an older commit's, and see a test fail there).
    public static let binaryDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["TOYTCP_TEST_BIN"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir
    }()

    /// The path of an executable of this package (`toytcp-shell`, an example) built beside the tests.
    public static func executable(_ name: String) -> String { binaryDirectory.appendingPathComponent(name).path }

    /// The full path of a tool on PATH (or the system folders, which a test runner's PATH may lack), or nil.
    public static func which(_ tool: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    /// This test process's own temporary folder (created on first use).
    public static let temporaryDirectory: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("toytcp-test-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A fresh path in this process's temporary folder, ending in `name`.
    public static func temporaryPath(_ name: String) -> String {
        temporaryDirectory.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(name)").path
    }

    /// A short id that keeps namespace and veth names unique per run (veth names are at most 15 bytes).
    public static func uniqueID() -> String {
        String(format: "%05d", (Int(getpid()) &* 31 &+ Int.random(in: 0..<1000)) % 100_000)
    }
}
