import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// The header diagram, the hex dump and hex text input.
@Suite("diagram, hex")
struct RenderingTests {
    let packet = Craft.packet(sport: 50467, dport: 40000, seq: 1_815_885_635, ack: 0, flags: [.syn], window: 64240,
                              options: [.mss(1460), .sackPermitted, .timestamps(value: 2_581_156_742, echoReply: 0), .nop, .windowScale(7)])

    @Test("the RFC 9293 §3.1 box carries ports, numbers, offset, flags, window, checksum and urgent pointer")
    func diagramFields() {
        let text = HeaderDiagram.string(packet)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("   |          Source Port          |       Destination Port        |"))
        #expect(lines.contains("   |             50467             |             40000             |"))
        #expect(lines.contains("   |                          1815885635                           |"))
        #expect(lines.contains("   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |"))
        #expect(lines.contains("   |  10   | 0000  |0|0|0|0|0|0|1|0|             64240             |"))
        #expect(text.contains("Checksum 0x"))
        #expect(text.contains(": correct\n"))
        #expect(text.contains("mss 1460"))
        #expect(text.contains("wscale 7"))
        #expect(text.contains("TS val 2581156742 ecr 0"))
        #expect(text.contains("sackOK"))
        #expect(text.contains("IPv4 10.0.0.1 > 10.0.1.1"))
        // Every box line is 68 columns wide.
        for line in lines where line.hasPrefix("   |") || line.hasPrefix("   +") { #expect(line.count == 68, "\(line)") }
    }

    @Test("a wrong checksum is marked incorrect with the right value (RFC 9293 §3.1)")
    func diagramBadChecksum() throws {
        var bad = packet
        let carried = UInt16(bad[36]) << 8 | UInt16(bad[37])
        bad[36] ^= 0xFF
        let text = HeaderDiagram.string(bad)
        let right = String(carried, radix: 16)
        #expect(text.contains("incorrect (should be 0x\(String(repeating: "0", count: 4 - right.count) + right))"))
    }

    @Test("payload length and a printable preview; malformed headers are reported, not crashed on")
    func diagramPayloadAndMalformed() {
        let withData = Craft.packet(seq: 1, ack: 1, flags: [.psh, .ack], payload: Array("GET / HTTP/1.1\r\n".utf8))
        let text = HeaderDiagram.string(withData)
        #expect(text.contains("data: 16 bytes \"GET / HTTP/1.1..\""))
        #expect(text.contains("Payload 16 bytes"))
        var badOffset = withData
        badOffset[32] = 0x30
        #expect(HeaderDiagram.string(badOffset).contains("malformed TCP header: TCP data offset"))
        #expect(HeaderDiagram.string([0x45, 0, 0]).contains("malformed IPv4 header"))
        let badOption = Craft.withRawOptions([2, 0, 5, 0xB4])
        #expect(HeaderDiagram.string(badOption).contains("[bad opt]"))
    }

    @Test("hex dump: offset, 16 bytes in pairs, ASCII column")
    func hexDump() {
        let bytes: [UInt8] = Array(0..<20) + Array("Hi!".utf8)
        let text = HexDump.string(bytes)
        #expect(text == """
              0x0000:  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................
              0x0010:  1011 1213 4869 21                        ....Hi!

            """)
    }

    @Test("hex text: spaces, colons, 0x and comments are accepted; bad digits are located")
    func hexText() throws {
        #expect(try HexText.packets("45 00:00 3c\n\n0x4500 # comment\n") == [[0x45, 0, 0, 0x3c], [0x45, 0]])
        #expect(throws: HexText.ParseError.self) { try HexText.packets("45 0g") }
        do {
            _ = try HexText.packets("4500\n45z0")
        } catch {
            #expect(error.line == 2 && error.column == 3)
        }
        #expect(throws: HexText.ParseError.self) { try HexText.packets("450") }
    }

    @Test("the line renderer on its own: no time, hex packets")
    func lineWithoutTime() {
        var renderer = TcpdumpLine()
        let out = OutputBuffer()
        packet.withUnsafeBytes { renderer.renderIPv4($0, wireLength: packet.count, into: out) }
        #expect(out.string == "IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S], seq 1815885635, win 64240, options [mss 1460,sackOK,TS val 2581156742 ecr 0,nop,wscale 7], length 0")
    }
}

@Suite("IPv6 header diagram (RFC 8200 §3, issue 15)")
struct IPv6DiagramTests {
    /// fd00::1 > fd00:2::2 with hop-by-hop, a type 0 routing header to fd00:1::1, destination options and
    /// an atomic fragment, carrying [P.] "hello\n" (checksum over the final destination's pseudo-header).
    static let packet: [UInt8] = {
        let b = IPv6Address(0xfd00, 1, 0, 0, 0, 0, 0, 1)
        let header = IPv6Header(source: IPv6Address(0xfd00, 0, 0, 0, 0, 0, 0, 1), destination: IPv6Address(0xfd00, 2, 0, 0, 0, 0, 0, 2),
                                trafficClass: 0xB9, flowLabel: 0x12345,
                                extensionHeaders: [.options(type: 0, [5, 2, 0, 0]), .routing(routingType: 0, segmentsLeft: 1, addresses: [b]),
                                                   .options(type: 60), .fragment(identification: 0x1234)])
        let segment = TCPSegment(sourcePort: 40000, destinationPort: 80, sequenceNumber: 1001, acknowledgmentNumber: 5001,
                                 flags: [.psh, .ack], window: 502, payload: Array("hello\n".utf8))
        return IPv6Packet(header: header, segment: segment).bytes()
    }()

    @Test("the IPv6 box with its values, a row per extension header, the TCP box with the checksum verified")
    func diagram() {
        let text = HeaderDiagram.string(Self.packet)
        for needle in ["   IPv6 fd00::1 > fd00:2::2: hop limit 64, traffic class 0xb9 (DSCP 46, ECN 1), flow label 0x12345, payload length 74\n",
                       "   |Version| Traffic Class |              Flow Label               |\n",
                       "   |   6   |     0xb9      |                0x12345                |\n",
                       "   |              74               |       0       |      64       |\n",
                       "   |                            fd00::1                            |\n",
                       "   | routing (43), 24 bytes, type 0, segments left 1               |\n",
                       "   | fragment (44), 8 bytes, offset 0, id 0x1234                   |\n",
                       "(correct)", "   Checksum 0x", ": correct\n", "   Payload 6 bytes"] {
            #expect(text.contains(needle), "missing \(needle.debugDescription) in\n\(text)")
        }
        var bad = Self.packet
        bad[bad.count - 1] ^= 1
        #expect(HeaderDiagram.string(bad).contains(": incorrect (should be 0x"))
        #expect(HeaderDiagram.string(Array(Self.packet.prefix(39))).contains("malformed IPv6 header: IPv6 header at byte 0: truncated, 39 bytes, minimum 40"))
    }
}
