import Testing
@testable import ToyTCPWire

/// Literal segments from real captures (and hand-crafted ones that tcpdump -vv accepts), parsed field by
/// field and emitted back byte for byte (RFC 9293 §3.1, RFC 791 §3.1).
@Suite("Real segments parse field by field and emit byte for byte")
struct RealPacketTests {
    @Test("Every fixture re-emits identically with .keep checksums (RFC 9293 §3.1)",
          arguments: Fixture.all.map(\.name))
    func roundTrip(name: String) throws {
        let bytes = try #require(Fixture.all.first { $0.name == name }).bytes
        let packet = try parseBoth(bytes)
        #expect(packet.bytes(tcpChecksum: .keep, ipChecksum: .keep) == bytes)
        #expect(packet.encodedLength == bytes.count)
        // Checksums as captured are correct, so computing them gives the same bytes too.
        if name != "loopback SYN, offloaded checksum" {
            #expect(packet.bytes() == bytes)
            _ = try parseBoth(bytes, verifyChecksum: true)
            bytes.withUnsafeBytes { buf in
                guard let view = try? IPv4PacketView(validating: buf) else { Issue.record("view rejected"); return }
                #expect(view.ip.isHeaderChecksumValid)
                #expect(view.ip.expectedHeaderChecksum == view.ip.headerChecksum)
                #expect(view.tcp.isChecksumValid(source: view.ip.source, destination: view.ip.destination))
            }
        }
    }

    @Test("Linux SYN: mss, sackOK, TS, nop, wscale (RFC 9293 §3.1, RFC 7323 §2-3, RFC 2018 §2)")
    func linuxSYN() throws {
        let p = try parseBoth(Fixture.realSYN)
        #expect(p.header.tos == 0)
        #expect(p.header.identification == 34255)
        #expect(p.header.dontFragment && !p.header.moreFragments && !p.header.reservedFlag)
        #expect(p.header.fragmentOffset == 0)
        #expect(p.header.ttl == 64)
        #expect(p.header.protocol == 6)
        #expect(p.header.headerChecksum == 0xa0ea)
        #expect(p.header.source == Fixture.a && p.header.destination == Fixture.b)
        #expect(p.header.options.isEmpty)
        let s = p.segment
        #expect(s.sourcePort == 56852 && s.destinationPort == 40000)
        #expect(s.sequenceNumber == 1549642466 && s.acknowledgmentNumber == 0)
        #expect(s.dataOffset == 10 && s.headerLength == 40 && s.reserved == 0)
        #expect(s.flags == .syn && s.flags.description == "S")
        #expect(s.window == 64240 && s.checksum == 0xb557 && s.urgentPointer == 0)
        #expect(s.options == [.mss(1460), .sackPermitted, .timestamps(value: 1422699856, echoReply: 0), .nop, .windowScale(10)])
        #expect(s.options.mss == 1460 && s.options.windowScale == 10 && s.options.sackPermitted)
        #expect(s.options.timestamps?.value == 1422699856 && s.options.timestamps?.echoReply == 0)
        #expect(s.optionPadding.isEmpty && s.payload.isEmpty)
        #expect(s.sequenceLength == 1)
    }

    @Test("Linux SYN-ACK echoes TSval in TSecr (RFC 7323 §3.2)")
    func linuxSYNACK() throws {
        let s = try parseBoth(Fixture.realSYNACK).segment
        #expect(s.sourcePort == 40000 && s.destinationPort == 56852)
        #expect(s.sequenceNumber == 2346778543 && s.acknowledgmentNumber == 1549642467)
        #expect(s.flags == [.syn, .ack] && s.flags.description == "S.")
        #expect(s.window == 65160 && s.checksum == 0x5779)
        #expect(s.options == [.mss(1460), .sackPermitted, .timestamps(value: 3261729850, echoReply: 1422699856), .nop, .windowScale(10)])
    }

    @Test("Data segment: PSH+ACK, 13 bytes of payload (RFC 9293 §3.1)")
    func dataSegment() throws {
        let p = try parseBoth(Fixture.realData)
        #expect(p.header.identification == 34257 && p.header.headerChecksum == 0xa0e3)
        let s = p.segment
        #expect(s.flags == [.psh, .ack] && s.flags.description == "P.")
        #expect(s.sequenceNumber == 1549642467 && s.acknowledgmentNumber == 2346778544)
        #expect(s.window == 63 && s.checksum == 0x3a31)
        #expect(s.options == [.nop, .nop, .timestamps(value: 1422699856, echoReply: 3261729850)])
        #expect(s.payload == Array("hello, world\n".utf8))
        #expect(s.sequenceLength == 13)
    }

    @Test("FIN and RST (RFC 9293 §3.1, SEG.LEN counts FIN)")
    func finAndRST() throws {
        let fin = try parseBoth(Fixture.realFIN).segment
        #expect(fin.flags == [.fin, .ack] && fin.flags.description == "F.")
        #expect(fin.sequenceNumber == 1549642480 && fin.sequenceLength == 1 && fin.checksum == 0x8484)
        let rst = try parseBoth(Fixture.realRST)
        #expect(rst.header.identification == 0 && rst.header.source == Fixture.b)
        let s = rst.segment
        #expect(s.flags == [.rst, .ack] && s.flags.description == "R.")
        #expect(s.sourcePort == 40001 && s.destinationPort == 40142)
        #expect(s.sequenceNumber == 0 && s.acknowledgmentNumber == 3501102329)
        #expect(s.window == 0 && s.checksum == 0xfd15 && s.dataOffset == 5 && s.options.isEmpty)
        #expect(s.sequenceLength == 0)
    }

    @Test("An unknown option kind is kept raw (RFC 9293 §3.2: unknown options must be skipped, MUST-68)")
    func unknownOption() throws {
        let s = try parseBoth(Fixture.craftedUnknownOption).segment
        #expect(s.options == [.nop, .nop, .timestamps(value: 1422699900, echoReply: 3261729850),
                              .unknown(kind: 253, data: [0xbe, 0xef])])
        #expect(s.checksum == 0xb860)
    }

    @Test("Padding after EOL is kept (RFC 9293 §3.2)")
    func eolPadding() throws {
        let s = try parseBoth(Fixture.craftedEOLPadding).segment
        #expect(s.options == [.mss(1460), .nop, .windowScale(7), .eol])
        #expect(s.optionPadding == [0, 0, 0])
        #expect(s.dataOffset == 8)
    }

    @Test("Reserved bits and AE survive (RFC 9293 §3.1, RFC 9768)")
    func reservedAndAE() throws {
        let p = try parseBoth(Fixture.craftedReservedAndAE)
        #expect(p.header.tos == 0x02)
        let s = p.segment
        #expect(s.reserved == 0b101)
        #expect(s.flags == [.syn, .ece, .cwr, .ae])
        #expect(s.flags.description == "SEWe")
        #expect(s.checksum == 0xe75a)
    }

    @Test("IPv4 options (Router Alert, RFC 2113) are kept raw (RFC 791 §3.1)")
    func ipOptions() throws {
        let p = try parseBoth(Fixture.craftedIPOptions)
        #expect(p.header.headerLength == 24)
        #expect(p.header.options == [0x94, 0x04, 0x00, 0x00])
        #expect(p.header.identification == 0xbeef && p.header.headerChecksum == 0xd2ce)
        let s = p.segment
        #expect(s.flags == [.psh, .ack] && s.payload == Array("GET /\r\n".utf8))
        Fixture.craftedIPOptions.withUnsafeBytes { buf in
            guard let v = try? IPv4PacketView(validating: buf) else { Issue.record("view rejected"); return }
            #expect(v.ip.ihl == 6 && v.tcp.baseOffset == 24 && v.ip.payloadRange == 24..<51)
        }
    }

    @Test("SACK blocks (RFC 2018 §3)")
    func sackBlocks() throws {
        let s = try parseBoth(Fixture.craftedSACK).segment
        let blocks = [SACKBlock(left: 0x8be1_0000, right: 0x8be1_0100), SACKBlock(left: 0x8be1_0200, right: 0x8be1_0300)]
        #expect(s.options == [.nop, .nop, .timestamps(value: 1422699900, echoReply: 3261729850), .nop, .nop, .sack(blocks)])
        #expect(s.options.sackBlocks == blocks)
        Fixture.craftedSACK.withUnsafeBytes { buf in
            guard let v = try? IPv4PacketView(validating: buf) else { Issue.record("view rejected"); return }
            var found = false
            for case .sack(let view) in v.tcp.options {
                found = true
                #expect(view.count == 2)
                #expect(Array(view) == blocks)
                #expect(view[1].right == 0x8be1_0300)
            }
            #expect(found)
        }
    }

    @Test("URG with an urgent pointer (RFC 9293 §3.1, §3.8.5)")
    func urgent() throws {
        let s = try parseBoth(Fixture.craftedURG).segment
        #expect(s.flags == [.psh, .ack, .urg] && s.flags.description == "P.U")
        #expect(s.urgentPointer == 2 && s.payload == [0xff, 0xf4])
    }

    @Test("Link-layer padding past the total length is ignored (RFC 791 §3.1 Total Length)")
    func ethernetPadding() throws {
        // A 40-byte RST in a minimum-size Ethernet frame carries 6 bytes of padding.
        let padded = Fixture.realRST + [0, 0, 0, 0, 0, 0]
        let p = try parseBoth(padded)
        #expect(p.bytes(tcpChecksum: .keep) == Fixture.realRST)
        try padded.withUnsafeBytes { buf in
            let v = try IPv4PacketView(validating: buf, verifyChecksum: true)
            #expect(v.ip.payload.count == 20 && v.tcp.bytes.count == 20)
        }
    }

    @Test("A bare TCP segment parses with baseOffset 0 and emits back (RFC 9293 §3.1)")
    func bareSegment() throws {
        let tcp = Array(Fixture.realSYN[20...])
        let s = try TCPSegment.parse(tcp)
        #expect(s.bytes(source: Fixture.a, destination: Fixture.b, checksum: .keep) == tcp)
        #expect(s.bytes(source: Fixture.a, destination: Fixture.b) == tcp)
        try tcp.withUnsafeBytes { buf in
            let v = try TCPHeaderView(validating: buf)
            #expect(v.isChecksumValid(source: Fixture.a, destination: Fixture.b))
            #expect(!v.isChecksumValid(source: Fixture.a, destination: IPv4Address(10, 0, 0, 3)))
            try v.verifyChecksum(source: Fixture.a, destination: Fixture.b)
        }
    }
}
