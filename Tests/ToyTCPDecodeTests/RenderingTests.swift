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
