import Foundation
import Testing
import ToyTCPDecode
import ToyTCPTestSupport
import ToyTCPWire

/// `toytcp-shell decode` run as a program: stdout, stderr and exit status, as a user sees them.
@Suite("toytcp-shell decode")
struct DecodeCommandTests {
    /// The built executable: next to the test bundle in .build/<config>/.
    static func binary() throws -> String {
        let path = TestEnvironment.executable("toytcp-shell")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SubprocessError.failed("toytcp-shell is not built next to the tests (\(path)); run `swift build` first")
        }
        return path
    }

    struct Output: Equatable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `toytcp-shell ARGS` in UTC with an 100-column terminal width, `stdin` as its input.
    static func run(_ args: [String], stdin: Data = Data()) throws -> Output {
        let r = try Subprocess.run([try binary()] + args, input: stdin, environment: ["TZ": "UTC", "COLUMNS": "100"],
                                   timeout: .seconds(120))
        return Output(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static let a = IPv4Address(10, 0, 0, 1), b = IPv4Address(10, 0, 1, 1)

    static func packet(_ src: IPv4Address, _ dst: IPv4Address, _ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32,
                       flags: TCPFlags, options: [TCPOption] = [], payload: [UInt8] = []) -> [UInt8] {
        IPv4Packet(header: IPv4Header(source: src, destination: dst, identification: 1),
                   segment: TCPSegment(sourcePort: sport, destinationPort: dport, sequenceNumber: SequenceNumber(seq),
                                       acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: 4380,
                                       options: options, payload: payload)).bytes()
    }

    static let handshake: [[UInt8]] = [
        packet(a, b, 50467, 40000, seq: 1_815_885_635, ack: 0, flags: [.syn],
               options: [.mss(1460), .sackPermitted, .timestamps(value: 2_581_156_742, echoReply: 0), .nop, .windowScale(7)]),
        packet(b, a, 40000, 50467, seq: 7, ack: 1_815_885_636, flags: [.syn, .ack], options: [.mss(1400)]),
        packet(a, b, 50467, 40000, seq: 1_815_885_636, ack: 8, flags: [.ack]),
        packet(a, b, 50467, 40000, seq: 1_815_885_636, ack: 8, flags: [.psh, .ack], payload: Array("hello".utf8)),
    ]

    static let expectedLines = """
        22:13:20.000000 IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S], seq 1815885635, win 4380, options [mss 1460,sackOK,TS val 2581156742 ecr 0,nop,wscale 7], length 0
        22:13:20.250000 IP 10.0.1.1.40000 > 10.0.0.1.50467: Flags [S.], seq 7, ack 1815885636, win 4380, options [mss 1400], length 0
        22:13:20.500000 IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [.], ack 1, win 4380, length 0
        22:13:20.750000 IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [P.], seq 1:6, ack 1, win 4380, length 5

        """

    func writeHandshake() throws -> String {
        let path = NSTemporaryDirectory() + "toytcp-cli-\(getpid())-\(UUID().uuidString.prefix(8)).pcap"
        let w = try PcapWriter(path: path)
        for (i, p) in Self.handshake.enumerated() { w.write(p, seconds: 1_700_000_000, nanoseconds: Int32(i * 250_000_000)) }
        try w.close()
        return path
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("decode FILE prints tcpdump -nn lines, nothing on stderr, status 0")
    func decodeFile() throws {
        let path = try writeHandshake()
        defer { unlink(path) }
        #expect(try Self.run(["decode", path]) == Output(status: 0, stdout: Self.expectedLines, stderr: ""))
    }

    @Test("--absolute prints absolute numbers (tcpdump -S)")
    func absolute() throws {
        let path = try writeHandshake()
        defer { unlink(path) }
        let r = try Self.run(["decode", path, "--absolute"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Flags [P.], seq 1815885636:1815885641, ack 8, win 4380, length 5\n"))
    }

    @Test("the same lines as the installed tcpdump")
    func sameAsTcpdump() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("tcpdump is not installed") }
            return
        }
        let path = try writeHandshake()
        defer { unlink(path) }
        let text = try Subprocess.run(["/usr/bin/tcpdump", "-nn", "-r", path], environment: ["TZ": "UTC"]).stdout
        #expect(text == Self.expectedLines)
    }

    @Test("- reads a pcap from standard input")
    func pcapOnStdin() throws {
        let path = try writeHandshake()
        defer { unlink(path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try Self.run(["decode", "-"], stdin: data) == Output(status: 0, stdout: Self.expectedLines, stderr: ""))
    }

    @Test("--hex decodes one packet: the line (no time), the RFC 9293 diagram and the hex dump")
    func hexArgument() throws {
        let r = try Self.run(["decode", "--hex", Self.hex(Self.handshake[0])])
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S], seq 1815885635, win 4380, options [mss 1460,sackOK,TS val 2581156742 ecr 0,nop,wscale 7], length 0")
        #expect(r.stdout.contains("   |          Source Port          |       Destination Port        |\n"))
        #expect(r.stdout.contains("   |             50467             |             40000             |\n"))
        #expect(r.stdout.contains(": correct\n"))
        #expect(r.stdout.contains("  0x0000:  4500 003c 0001 4000 4006 "))
        let lineOnly = try Self.run(["decode", "--hex", Self.hex(Self.handshake[3]), "--format", "line"])
        #expect(lineOnly.stdout == "IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [P.], seq 1815885636:1815885641, ack 8, win 4380, length 5\n")
    }

    @Test("hex text on standard input, one packet per line")
    func hexOnStdin() throws {
        let text = Self.handshake.map { Self.hex($0) }.joined(separator: "\n") + "\n"
        let r = try Self.run(["decode", "-", "--format", "line"], stdin: Data(text.utf8))
        let expected = Self.expectedLines.split(separator: "\n").map { String($0.dropFirst(16)) + "\n" }.joined()
        #expect(r == Output(status: 0, stdout: expected, stderr: ""))
    }

    @Test("--format hex and diagram print the line then their part")
    func formats() throws {
        let path = try writeHandshake()
        defer { unlink(path) }
        let hex = try Self.run(["decode", path, "--format", "hex"])
        #expect(hex.status == 0)
        #expect(hex.stdout.hasPrefix(Self.expectedLines.split(separator: "\n")[0] + "\n  0x0000:  4500 003c"))
        #expect(!hex.stdout.contains("Source Port"))
        let diagram = try Self.run(["decode", path, "--format", "diagram"])
        #expect(diagram.stdout.contains("Source Port"))
        #expect(!diagram.stdout.contains("0x0000:"))
        let all = try Self.run(["decode", path, "--format", "all"])
        #expect(all.stdout.contains("Source Port") && all.stdout.contains("0x0000:"))
    }

    @Test("usage errors: no input, both inputs, an unknown format (status 2)")
    func usageErrors() throws {
        let none = try Self.run(["decode"])
        #expect(none.status == 2)
        #expect(none.stdout == "")
        #expect(none.stderr.hasPrefix("Error: Give a capture file (or '-' for standard input), a packet with --hex, or an interface with -i.\n"))
        let both = try Self.run(["decode", "x.pcap", "--hex", "4500"])
        #expect(both.status == 2)
        #expect(both.stderr.hasPrefix("Error: Give either a capture file or --hex, not both.\n"))
        let fileAndInterface = try Self.run(["decode", "-r", "x.pcap", "-i", "lo"])
        #expect(fileAndInterface.status == 2)
        #expect(fileAndInterface.stderr.hasPrefix("Error: Give one of a capture file (-r), --hex or -i, not several.\n"))
        let liveOnly = try Self.run(["decode", "x.pcap", "--duration", "3"])
        #expect(liveOnly.status == 2)
        #expect(liveOnly.stderr.contains("go with a live capture"))
        let format = try Self.run(["decode", "x.pcap", "--format", "fancy"])
        #expect(format.status == 2)
        #expect(format.stderr.contains("fancy"))
    }

    @Test("bad input: a missing file, bad hex, a non-TCP packet, a truncated file (status 1, one clear line)")
    func badInput() throws {
        let missing = try Self.run(["decode", "/nonexistent/capture.pcap"])
        #expect(missing.status == 1)
        #expect(missing.stdout == "")
        #expect(missing.stderr == "toytcp-shell decode: error: /nonexistent/capture.pcap: No such file or directory\n")

        let badHex = try Self.run(["decode", "--hex", "45 0g"])
        #expect(badHex == Output(status: 1, stdout: "", stderr: "toytcp-shell decode: error: --hex: line 1, column 5: 'g' is not a hex digit\n"))

        var udp = Self.handshake[0]
        udp[9] = 17
        let notTCP = try Self.run(["decode", "--hex", Self.hex(udp)])
        #expect(notTCP == Output(status: 1, stdout: "", stderr: "toytcp-shell decode: error: the packet is not TCP (IPv4 protocol, or the end of the IPv6 header chain, is not 6)\n"))

        let path = try writeHandshake()
        defer { unlink(path) }
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.removeLast(3)
        try data.write(to: URL(fileURLWithPath: path))
        let truncated = try Self.run(["decode", path])
        #expect(truncated.status == 1)
        #expect(truncated.stdout == Self.expectedLines.split(separator: "\n").prefix(3).map { $0 + "\n" }.joined())
        #expect(truncated.stderr.hasPrefix("toytcp-shell decode: error: \(path): record 4: truncated dump file"))
        #expect(truncated.stderr.split(separator: "\n").count == 1)
    }

    @Test("packets that are not IPv4 or IPv6 TCP are skipped and counted on stderr")
    func skippedCount() throws {
        let path = NSTemporaryDirectory() + "toytcp-cli-skip-\(getpid()).pcap"
        defer { unlink(path) }
        var udp = Self.handshake[0]
        udp[9] = 17
        let w = try PcapWriter(path: path)
        w.write(Self.handshake[0], seconds: 1_700_000_000, nanoseconds: 0)
        w.write(udp, seconds: 1_700_000_000, nanoseconds: 0)
        w.write([0x50] + [UInt8](repeating: 0, count: 39), seconds: 1_700_000_000, nanoseconds: 0)
        // IPv6 whose chain (hop-by-hop, then UDP) does not end in TCP.
        w.write([0x60, 0, 0, 0, 0, 8, 0, 64] + [UInt8](repeating: 0, count: 32) + [17, 0, 1, 4, 0, 0, 0, 0],
                seconds: 1_700_000_000, nanoseconds: 0)
        try w.close()
        let r = try Self.run(["decode", path])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expectedLines.split(separator: "\n")[0] + "\n")
        #expect(r.stderr == "toytcp-shell decode: skipped 3 of 4 packets (1 neither IPv4 nor IPv6, 2 not TCP)\n")
    }
}
