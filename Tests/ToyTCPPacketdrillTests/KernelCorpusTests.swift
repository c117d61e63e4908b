import Foundation
import Testing

/// The Linux selftests that the original packetdrill passes on this kernel (EXPECTED-PASS.txt), each
/// run with `toytcp-shell run FILE.pkt` against the kernel, as a user runs them. Needs root (a network
/// namespace and a tun device per script); skipped without root except under CI=true, where it fails.
@Suite(.serialized) struct KernelCorpusTests {
    static let isRoot = geteuid() == 0
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static func binary() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("toytcp-shell").path
    }

    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary())
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Writes `text` as `name` in a fresh folder and runs it.
    static func runScript(named name: String, _ text: String, arguments: [String] = []) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pktdrill-test-\(getpid())-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try run(["run"] + arguments + [file.path])
    }

    /// The failure line packetdrill users know (`FILE.pkt:LINE: error …`) out of a run's output.
    static func firstError(_ output: String, _ name: String) -> String {
        output.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map(String.init) ?? output.suffix(300).description
    }

    static func isTiming(_ output: String) -> Bool {
        output.contains("timing error") || output.contains("Timed out waiting")
    }

    /// Scripts of EXPECTED-PASS.txt that still fail here, each with why (README: packetdrill scripts).
    /// The goal is an empty list; a listed script that passes is reported so it can be taken off.
    static let knownFailures: [String: String] = [:]

    @Test(.enabled(if: isRoot || isCI, "needs root: network namespaces and tun devices"))
    func expectedPassScriptsPassAgainstTheKernel() throws {
        #expect(Self.isRoot, "CI=true but not root: the packetdrill corpus cannot run")
        let scripts = Corpus.expectedPass
        #expect(scripts.count == 74, "EXPECTED-PASS.txt next to \(Corpus.folder)")
        var failures: [String] = []
        var retried: [String] = []
        var known: [String] = []
        var nowPassing: [String] = []
        for name in scripts {
            var (status, output) = try Self.run(["run", Corpus.folder + "/" + name])
            if status != 0 && Self.isTiming(output) {
                // Timing-sensitive under load (the kernel here runs at HZ=250): one retry, reported, with
                // the tolerance upstream's runner uses on slow machines (KSFT_MACHINE_SLOW: 14 ms).
                retried.append(name)
                (status, output) = try Self.run(["run", "--tolerance_usecs", "14000", Corpus.folder + "/" + name])
            }
            if status != 0 {
                if let why = Self.knownFailures[name] {
                    known.append("\(Self.firstError(output, name))  [known: \(why)]")
                } else {
                    failures.append(Self.firstError(output, name))
                }
            } else if Self.knownFailures[name] != nil {
                nowPassing.append(name)
            }
        }
        if !retried.isEmpty { print("packetdrill corpus: retried once for timing (tolerance 14 ms): \(retried.joined(separator: ", "))") }
        print("packetdrill corpus against the kernel: \(scripts.count - failures.count - known.count) of \(scripts.count) pass")
        if !known.isEmpty { print("known failures (README, packetdrill scripts):\n" + known.joined(separator: "\n")) }
        #expect(failures.isEmpty, "\(failures.count) of \(scripts.count) failed:\n\(failures.joined(separator: "\n"))")
        // Some known ones depend on timing and pass now and then: said, not failed on.
        if !nowPassing.isEmpty { print("known failures that passed this time (take them off when they always do): \(nowPassing)") }
    }

    @Test(.enabled(if: isRoot || isCI, "needs root: network namespaces and tun devices"))
    func wrongExpectationPrintsPacketdrillsReport() throws {
        // Generous tolerance: this test is about the field report, not timing.
        let (status, output) = try Self.runScript(named: "wrong_ack.pkt", """
        --tolerance_usecs=500000
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0...0 connect(3, ..., ...) = 0
           +0 > S 0:0(0) <...>
           +0 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
           +0 > . 1:1(0) ack 1001
        """)
        #expect(status == 1)
        #expect(output.contains("wrong_ack.pkt:6: error handling packet: live packet field tcp_ack: expected: 1001 (0x3e9) vs actual: 1 (0x1)"), "\(output)")
        #expect(output.contains("script packet:") && output.contains("actual packet:"))
    }

    @Test(.enabled(if: isRoot || isCI, "needs root: network namespaces and tun devices"))
    func recvmsgReadsIntoEveryIovec() throws {
        // Two iovecs of 500: the kernel fills both from the 1000 bytes waiting, and the call returns
        // 1000 (reading into the first alone returned 500).
        let (status, output) = try Self.runScript(named: "iovecs.pkt", """
        --tolerance_usecs=500000
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 65535 <mss 1460>
           +0 > S. 0:0(0) ack 1 <...>
           +0 < . 1:1(0) ack 1 win 514
           +0 accept(3, ..., ...) = 4
           +0 < P. 1:1001(1000) ack 1 win 514
           +0 > . 1:1(0) ack 1001
           +0 recvmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 500}, {..., 500}], msg_flags=0}, 0) = 1000
        """)
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: isRoot || isCI, "needs root: network namespaces and tun devices"))
    func unsupportedCallIsAnErrorWithItsLine() throws {
        let (status, output) = try Self.runScript(named: "unsupported.pkt",
                                                  "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 frobnicate(3) = 0\n")
        #expect(status == 1)
        #expect(output.contains("unsupported.pkt:2:4: unsupported system call 'frobnicate'"), "\(output)")
    }

    @Test(.enabled(if: isRoot || isCI, "needs root: network namespaces and tun devices"))
    func bothStacksSideBySideShowTheFirstDifference() throws {
        // Both systems pass this script; they differ in the window of the ACK for the data (Linux
        // offers its initial receive window, 1046 << 8; we the free buffer, (540000 - 1000) >> 8 = 2105), which
        // `--stack both` points at.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pktdrill-both-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("both.pkt")
        try FileManager.default.copyItem(atPath: Corpus.folder + "/defaults.sh", toPath: dir.appendingPathComponent("defaults.sh").path)
        try """
        `./defaults.sh`
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0...0.2 accept(3, ..., ...) = 4
          +.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 < P. 1:1001(1000) ack 1 win 257
           +0 > . 1:1(0) ack 1001
           +0 read(4, ..., 1000) = 1000
        """.write(to: file, atomically: true, encoding: .utf8)
        let (status, output) = try Self.run(["run", "--stack", "both", "--tolerance_usecs", "100000", file.path])
        #expect(output.contains("# both.pkt: ok (kernel)") && output.contains("# both.pkt: ok (toytcp)"), "\(output)")
        #expect(status == 1, "the two differ, so the exit status says so")
        let marked = output.split(separator: "\n").filter { $0.hasPrefix("! ") }
        #expect(marked.count == 2, "\(output)")
        #expect(marked.first?.hasPrefix("! kernel ") == true && marked.first?.contains("> . 1:1(0) ack 1001 win ") == true, "\(output)")
        #expect(marked.last?.hasPrefix("! toytcp ") == true && marked.last?.contains("> . 1:1(0) ack 1001 win 2105") == true, "\(output)")
    }
}
