import Foundation
import Testing
import ToyTCPLink
import ToyTCPTestSupport

/// A private copy of the lab for one test: namespaces `<prefix>-host1`, `-router`, `-host2` built with
/// scripts/lab-up.sh, a tcpdump capture on host1's veth for the whole test, and teardown in `defer`.
///
/// Checks go through `expect`/`require` so the lab knows whether the test failed: a failing test keeps
/// its capture in `captures/` and prints the path; a passing one deletes it.
final class Lab: @unchecked Sendable {
    let name: String
    let prefix: String
    var host1: String { "\(prefix)-host1" }
    var router: String { "\(prefix)-router" }
    var host2: String { "\(prefix)-host2" }
    static let host1Address = IPv4Address(10, 0, 0, 1)
    static let host2Address = IPv4Address(10, 0, 1, 1)
    private(set) var failed = false
    private var capture: Subprocess? = nil
    let capturePath: String
    private var children: [Subprocess] = []
    private var loops: [EventLoop] = []

    private static let counter = LockedCounter()

    private init(name: String) {
        self.name = name
        prefix = "tl\(getpid() % 100_000)\(Lab.counter.next())"
        capturePath = LabEnvironment.captureDirectory.appendingPathComponent("\(name)-\(prefix).pcap").path
    }

    /// Builds a lab, runs `body` in it, and tears everything down whatever happens.
    ///
    /// - Parameters:
    ///   - loss: random loss on the router, in percent.
    ///   - rstFilter: hosts whose kernel RSTs are dropped (default both; a test that wants the kernel to
    ///     refuse or reset toytcp leaves host2 out; `nil` keeps lab-up.sh's default, host1 only).
    static func run(_ name: String, loss: Double? = nil, rstFilter: String? = "host1,host2",
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: (Lab) throws -> Void) {
        guard LabEnvironment.isRoot else {
            Issue.record("CI=true but not root: the kernel-lab tests must run as root", sourceLocation: sourceLocation)
            return
        }
        let lab = Lab(name: name)
        defer { lab.tearDown() }
        do {
            // `rstFilter: nil`: lab-up.sh's default rules, what a user gets.
            var args = [LabEnvironment.script("lab-up.sh"), "--prefix", lab.prefix]
            if let rstFilter { args += ["--rst-filter", rstFilter] }
            if let loss { args += ["--loss", String(loss)] }
            let up = try Subprocess.run(args, timeout: .seconds(30))
            guard up.status == 0 else {
                lab.fail("lab-up.sh failed (\(up.status)): \(up.stderr)", sourceLocation: sourceLocation)
                return
            }
            lab.startCapture()
            try body(lab)
        } catch is LabCheckFailed {
            // Already recorded by `require`.
        } catch {
            lab.fail("\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Checks

    func fail(_ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        failed = true
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }

    func expect(_ condition: Bool, _ message: @autoclosure () -> String,
                sourceLocation: SourceLocation = #_sourceLocation) {
        if !condition { fail(message(), sourceLocation: sourceLocation) }
    }

    /// Like `expect`, but stops the test (throws) when the condition fails.
    func require(_ condition: Bool, _ message: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        if !condition {
            fail(message(), sourceLocation: sourceLocation)
            throw LabCheckFailed()
        }
    }

    // MARK: Processes and stacks in the lab

    /// Starts a command inside namespace `ns`; it is killed at teardown if still running.
    func spawn(in ns: String, _ arguments: [String], stdin: String? = nil, stdout: String? = nil) throws -> Subprocess {
        let child = try Subprocess(["ip", "netns", "exec", ns] + arguments, stdin: stdin, stdout: stdout)
        children.append(child)
        return child
    }

    /// Runs a command inside `ns` to completion; throws if it does not finish within `timeout`.
    func run(in ns: String, _ arguments: [String], stdin: String? = nil, timeout: Duration = .seconds(60)) throws
        -> Subprocess.Output {
        let output = try Subprocess.run(["ip", "netns", "exec", ns] + arguments, stdin: stdin, timeout: timeout)
        if output.timedOut { throw SubprocessError.timedOut(arguments.joined(separator: " "), timeout) }
        return output
    }

    /// A toytcp stack running in this process, inside `ns`; stopped at teardown.
    /// `addresses: nil` with IPv6 addresses gives an IPv6-only stack; name the IPv4 ones for dual stack.
    func stack(in ns: String, addresses: [IPv4Address]? = nil, configuration: StackConfiguration = StackConfiguration(),
               ipv6Addresses: [IPv6Address] = []) throws -> EventLoop {
        let loop = try EventLoop.start(inNamespace: ns, addresses: addresses, configuration: configuration, ipv6Addresses: ipv6Addresses)
        loops.append(loop)
        return loop
    }

    /// Waits until a kernel socket listens on `port` in `ns` (`ss -ltn`), so a connect does not race
    /// the listener's start.
    func waitForKernelListener(in ns: String, port: UInt16, timeout: Duration = .seconds(5)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let ss = try run(in: ns, ["ss", "-Hltn", "sport = :\(port)"], timeout: .seconds(5))
            if ss.stdout.contains(":\(port)") { return }
            usleep(10_000)
        }
        try require(false, "nothing listens on port \(port) in \(ns) after \(timeout)")
    }

    /// A file of `size` random bytes and its SHA-256 (from sha256sum).
    func randomFile(size: Int) throws -> (path: String, sha256: String) {
        let path = LabEnvironment.temporaryDirectory.appendingPathComponent("random-\(prefix)-\(size)").path
        var bytes = [UInt8](repeating: 0, count: size)
        var generator = SystemRandomNumberGenerator()
        bytes.withUnsafeMutableBytes { buffer in
            let words = buffer.bindMemory(to: UInt64.self)
            for i in words.indices { words[i] = generator.next() }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, try sha256(path))
    }

    func sha256(_ path: String) throws -> String {
        let result = try Subprocess.run(["sha256sum", path], timeout: .seconds(30))
        return String(result.stdout.prefix(64))
    }

    func temporaryPath(_ name: String) -> String {
        LabEnvironment.temporaryDirectory.appendingPathComponent("\(prefix)-\(name)").path
    }

    // MARK: Capture and teardown

    private func startCapture() {
        // Headers only (-s 128): a 50 MB transfer stays small. -U writes each packet as it comes.
        guard let capture = try? Subprocess(["ip", "netns", "exec", host1, "tcpdump", "-i", "h1-r",
                                             "-nn", "-U", "-s", "128", "-w", capturePath, "tcp"]) else {
            return
        }
        self.capture = capture
        if !capture.waitForStderr(containing: "listening on", timeout: .seconds(5)) {
            print("[\(name)] tcpdump did not start: \(capture.stderr)")
        }
    }

    private func tearDown() {
        for loop in loops { loop.stop() }
        loops.removeAll()
        for child in children {
            child.kill()
            child.removeOutput()
        }
        children.removeAll()
        if let capture {
            capture.signal(SIGINT)
            _ = capture.wait(timeout: .seconds(3))
            capture.kill()
        }
        _ = try? Subprocess.run([LabEnvironment.script("lab-down.sh"), "--prefix", prefix, "--kill"], timeout: .seconds(30))
        // This lab's files in the run's temporary directory (and only those).
        let directory = LabEnvironment.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix("\(prefix)-") || name.hasPrefix("random-\(prefix)-") {
            unlink(directory.appendingPathComponent(name).path)
        }
        if failed {
            print("[\(name)] FAILED: capture of the whole exchange (host1's veth) kept at \(capturePath)")
        } else {
            try? FileManager.default.removeItem(atPath: capturePath)
        }
    }
}

struct LabCheckFailed: Error, CustomStringConvertible {
    var description: String { "a required check failed (see above)" }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value
    }
}
