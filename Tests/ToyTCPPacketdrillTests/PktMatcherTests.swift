import Testing
import ToyTCPScript
import ToyTCPWire
@testable import ToyTCPPacketdrill

/// Outbound matching: a `.pkt` line becomes a `ResolvedTemplate` in relative sequence space, and each
/// field that differs is reported under packetdrill's name with both values.
@Suite struct PktMatcherTests {
    static let connection: PktConnection = {
        var c = PktConnection(local: Endpoint(address: IPv4Address(10, 0, 0, 1), port: 8080),
                              remote: Endpoint(address: IPv4Address(10, 0, 1, 1), port: 40000))
        c.localISN = 1_000_000
        c.remoteISN = 5000
        return c
    }()

    /// The kernel's segment: seq ISN+1, ack remote ISN+1, 1000 bytes, window 257, TS.
    static func live(flags: TCPFlags = [.ack, .psh], ack: UInt32 = 5001, window: UInt16 = 257) -> IPv4Packet {
        IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 1, 1)),
                   segment: TCPSegment(sourcePort: 8080, destinationPort: 40000, sequenceNumber: 1_000_001,
                                       acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: window,
                                       options: [.nop, .nop, .timestamps(value: 77, echoReply: 5)],
                                       payload: [UInt8](repeating: 0, count: 1000)))
    }

    func problems(_ line: String, _ packet: IPv4Packet) throws -> [String] {
        let script = try PktParser(file: "t.pkt").parse(line)
        guard case .packet(let p) = script.events[0].kind else { return ["not a packet"] }
        let rel = PktPacket.relative(.v4(packet), to: PktMatcherTests.connection)
        return (p.outboundTemplate().mismatches(rel) + p.unexpectedOptions(in: packet.segment)).map(PktRunner.packetdrillField)
    }

    @Test func matchingLineHasNoProblems() throws {
        #expect(try problems("+0 > P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 100 ecr 700>", Self.live()) == [])
    }

    @Test func wrongAckIsReportedRelative() throws {
        #expect(try problems("+0 > P. 1:1001(1000) ack 1001 <nop,nop,TS val 1 ecr 2>", Self.live()) ==
                ["live packet field tcp_ack: expected: 1001 (0x3e9) vs actual: 1 (0x1)"])
    }

    @Test func everyMismatchedFieldIsNamed() throws {
        let got = try problems("+0 > F. 2:502(500) ack 1 win 100", Self.live())
        #expect(got == [
            "live packet field tcp_flags: expected: [F.] vs actual: [P.]",
            "live packet field tcp_seq: expected: 2 (0x2) vs actual: 1 (0x1)",
            "live packet field tcp_window: expected: 100 (0x64) vs actual: 257 (0x101)",
            "live packet field tcp_payload_len: expected: 500 (0x1f4) vs actual: 1000 (0x3e8)",
            "live packet field options: expected: none vs actual: [nop,nop,TS val 77 ecr 5]",
        ])
    }

    @Test func missingAndUnexpectedOptions() throws {
        let got = try problems("+0 > P. 1:1001(1000) ack 1 <mss 1460>", Self.live())
        #expect(got.contains("live packet field tcp_option mss: expected: 1460 vs actual: no mss option"))
        #expect(got.contains("live packet field options: unexpected TS val 77 ecr 5"))
        // `...` allows the rest.
        #expect(try problems("+0 > P. 1:1001(1000) ack 1 <...>", Self.live()) == [])
    }

    @Test func inboundSegmentIsBuiltInLiveSequenceSpace() throws {
        let script = try PktParser(file: "t.pkt").parse("+0 < . 1:11(10) ack 1001 win 514 <sack 2001:3001,nop,nop>")
        guard case .packet(let p) = script.events[0].kind else { Issue.record("not a packet"); return }
        let bytes = try p.inboundBytes(on: Self.connection, tsOffset: 0)
        let packet = try IPv4Packet.parse(bytes, verifyChecksum: true)
        #expect(packet.segment.sequenceNumber == 5001)
        #expect(packet.segment.acknowledgmentNumber == 1_001_001)
        #expect(packet.segment.window == 514 && packet.segment.payload.count == 10)
        #expect(packet.segment.options.sackBlocks == [SACKBlock(left: 1_002_001, right: 1_003_001)])
        #expect(packet.header.source == IPv4Address(10, 0, 1, 1) && packet.segment.destinationPort == 8080)
    }
}
