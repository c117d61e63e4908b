import Testing
@testable import ToyTCPWire

/// IPv6 packets built by an independent implementation (Python `struct` + RFC 1071 sum, `/tmp`
/// generator kept in the commit message's spirit: the bytes below are its output) and read by tcpdump
/// 4.99.3 with `-vv` as "cksum … (correct)".
enum IPv6Fixture {
    static let a = IPv6Address(0xfd00, 0, 0, 0, 0, 0, 0, 1)
    static let b = IPv6Address(0xfd00, 1, 0, 0, 0, 0, 0, 1)
    static let c = IPv6Address(0xfd00, 2, 0, 0, 0, 0, 0, 2)

    /// fd00::1.40000 > fd00:1::1.80: Flags [S], seq 1000, win 64800, options [mss 1440,sackOK,TS val 100
    /// ecr 0,nop,wscale 7]; traffic class 0xb9 (DSCP 46, ECN 1), flow label 0x12345, hop limit 64.
    static let syn = hex("""
        6b91234500280640fd000000000000000000000000000001fd0000010000000000000000000000019c400050000003e8
        00000000a002fd20b0120000020405a00402080a000000640000000001030307
        """)

    /// fd00::1 > fd00:2::2 with hop-by-hop (router alert, PadN), a type 0 routing header with one segment
    /// left to fd00:1::1 (the final destination of the pseudo-header), destination options (PadN) and an
    /// atomic fragment header (id 0x1234), then [P.] seq 1001:1007 ack 5001 win 502 "hello\n".
    static let withExtensions = hex("""
        60000000004a0040fd000000000000000000000000000001fd0000020000000000000000000000022b000502000001003c
        02000100000000fd0000010000000000000000000000012c0001040000000006000000000012349c400050000003e9000013
        89501801f6bbed000068656c6c6f0a
        """)
}

@Suite("IPv6 addresses: RFC 5952 text and RFC 4291 §2.2 parsing")
struct IPv6AddressTests {
    @Test("RFC 5952 §4 canonical text", arguments: [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),        // §4.2.3: the first of equal runs
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),              // §4.2.3: the longest run
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),     // §4.2.2: one zero group is not compressed
        ("2001:DB8::ABCD", "2001:db8::abcd"),                 // §4.3: lowercase
        ("::", "::"), ("::1", "::1"), ("1::", "1::"),
        ("fd00:0:0:1::1", "fd00:0:0:1::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),               // §5: IPv4-mapped, dotted tail
        ("::10.0.0.1", "::10.0.0.1"),                         // IPv4-compatible, as inet_ntop prints it
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
    ])
    func canonicalText(input: String, expected: String) throws {
        let address = try #require(IPv6Address(input))
        #expect(address.description == expected)
        #expect(IPv6Address(expected) == address)
    }

    @Test("Text that is not an IPv6 address is refused", arguments: [
        "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "1:", ":1",
        "::ffff:10.0.0", "::10.0.0.1:1", "[::1]", "fd00::1/64", "1:2:3:4:5:6:7::8:9",
    ])
    func refused(input: String) {
        #expect(IPv6Address(input) == nil)
    }

    @Test("Endpoints: 10.0.0.1:80 and [fd00::1]:80 (RFC 5952 §6); an unbracketed IPv6 endpoint is refused")
    func endpoints() throws {
        let v6 = try #require(IPEndpoint("[fd00::1]:40000"))
        #expect(v6.address == .v6(IPv6Fixture.a) && v6.port == 40000)
        #expect(v6.description == "[fd00::1]:40000")
        let v4 = try #require(IPEndpoint("10.0.0.1:80"))
        #expect(v4.address == .v4(IPv4Address(10, 0, 0, 1)) && v4.description == "10.0.0.1:80")
        #expect(IPEndpoint("fd00::1:80") == nil)
        #expect(IPEndpoint("[fd00::1]") == nil)
        #expect(IPEndpoint("[fd00::1]:65536") == nil)
        #expect(IPAddress("fd00::1") == .v6(IPv6Fixture.a))
        #expect(IPAddress("10.0.0.1") == .v4(IPv4Address(10, 0, 0, 1)))
    }

    @Test("Prefix membership (RFC 4291 §2.3) for the lab's unique-local /64s")
    func prefixes() throws {
        let net = try #require(IPv6Address("fd00:0:0:1::"))
        #expect(try #require(IPv6Address("fd00:0:0:1::1")).isIn(network: net, prefixLength: 64))
        #expect(try !#require(IPv6Address("fd00:0:0:2::1")).isIn(network: net, prefixLength: 64))
        #expect(IPv6Fixture.a.isIn(network: .any, prefixLength: 0))
        #expect(IPv6Fixture.a.isIn(network: IPv6Fixture.a, prefixLength: 128))
        #expect(!IPv6Fixture.b.isIn(network: IPv6Fixture.a, prefixLength: 128))
    }
}

@Suite("IPv6 header, extension headers and checksum (RFC 8200 §3, §4, §8.1)")
struct IPv6PacketTests {
    @Test("A SYN: every fixed-header field, and the checksum over the IPv6 pseudo-header")
    func synFields() throws {
        let p = try IPv6Packet.parse(IPv6Fixture.syn, verifyChecksum: true)
        #expect(p.header.trafficClass == 0xB9 && p.header.dscp == 46 && p.header.ecn == 1)
        #expect(p.header.flowLabel == 0x12345 && p.header.hopLimit == 64 && p.header.nextHeader == 6)
        #expect(p.header.source == IPv6Fixture.a && p.header.destination == IPv6Fixture.b)
        #expect(p.segment.sourcePort == 40000 && p.segment.destinationPort == 80 && p.segment.flags == [.syn])
        #expect(p.segment.checksum == 0xB012)
        #expect(p.segment.options == [.mss(1440), .sackPermitted, .timestamps(value: 100, echoReply: 0), .nop, .windowScale(7)])
        #expect(p.bytes(tcpChecksum: .keep) == IPv6Fixture.syn)
    }

    @Test("Crafting the SYN from fields gives the independent implementation's bytes, checksum included")
    func craftedSYN() {
        let header = IPv6Header(source: IPv6Fixture.a, destination: IPv6Fixture.b, trafficClass: 0xB9, flowLabel: 0x12345)
        let segment = TCPSegment(sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000, flags: [.syn], window: 64800,
                                 options: [.mss(1440), .sackPermitted, .timestamps(value: 100, echoReply: 0), .nop, .windowScale(7)])
        #expect(IPv6Packet(header: header, segment: segment).bytes() == IPv6Fixture.syn)
    }

    @Test("Extension headers are walked to TCP, kept raw and round-trip; the checksum uses the routing header's final destination")
    func extensionHeaders() throws {
        let bytes = IPv6Fixture.withExtensions
        let p = try IPv6Packet.parse(bytes, verifyChecksum: true)
        #expect(p.header.extensionHeaders.map(\.type) == [0, 43, 60, 44])
        #expect(p.header.upperLayerProtocol == 6)
        #expect(p.header.finalDestination == IPv6Fixture.b)
        #expect(p.segment.payload == Array("hello\n".utf8))
        #expect(p.bytes(tcpChecksum: .keep) == bytes)
        #expect(p.bytes() == bytes)
        try bytes.withUnsafeBytes { buf in
            let v = try IPv6PacketView(validating: buf, verifyChecksum: true)
            #expect(v.ip.upperLayerOffset == 40 + 8 + 24 + 8 + 8)
            #expect(v.ip.extensionHeaderCount == 4)
            #expect(v.ip.fragment?.identification == 0x1234)
            #expect(v.ip.finalDestination == IPv6Fixture.b && v.ip.destination == IPv6Fixture.c)
            // Over the Destination Address field instead, the checksum would not verify.
            #expect(!v.tcp.isChecksumValid(TCPPseudoHeader(source: v.ip.source, destination: v.ip.destination)))
        }
        // Crafted with the constructors: the same chain and bytes.
        let crafted = IPv6Header(source: IPv6Fixture.a, destination: IPv6Fixture.c, extensionHeaders: [
            .options(type: 0, [5, 2, 0, 0]),
            .routing(routingType: 0, segmentsLeft: 1, addresses: [IPv6Fixture.b]),
            .options(type: 60),
            .fragment(identification: 0x1234),
        ])
        #expect(IPv6Packet(header: crafted, segment: p.segment).bytes() == bytes)
    }

    @Test("The family-generic view and flow key")
    func familyGeneric() throws {
        try IPv6Fixture.withExtensions.withUnsafeBytes { buf in
            let v = try IPPacketView(validating: buf, verifyChecksum: true)
            #expect(v.flowKey.description == "[fd00::1]:40000 > [fd00:2::2]:80")
            #expect(v.flowKey.reversed.canonical == v.flowKey.canonical)
            #expect(v.flowKey.canonical.source.port == 80)
        }
        try Fixture.realSYN.withUnsafeBytes { buf in
            let v = try IPPacketView(validating: buf, verifyChecksum: true)
            #expect(v.flowKey.description == "10.0.0.1:56852 > 10.0.0.2:40000")
        }
        [UInt8]([0x50, 0, 0]).withUnsafeBytes { buf in
            #expect(throws: WireError(.ipBadVersion(5), at: 0)) { try IPPacketView(validating: buf) }
        }
        [UInt8]().withUnsafeBytes { buf in
            #expect(throws: WireError(.ipBadVersion(nil), at: 0)) { try IPPacketView(validating: buf) }
        }
    }

    @Test("The two-byte source-port read agrees with the full view, and declines what it cannot read")
    func sourcePortRead() throws {
        for bytes in [IPv6Fixture.syn, Fixture.realSYN] {
            try bytes.withUnsafeBytes { buf in
                let full = try IPPacketView(validating: buf).tcp.sourcePort
                #expect(IPPacketView.tcpSourcePort(of: buf) == full)
            }
            // Cut inside the port: no answer, no crash.
            let headerLength = bytes[0] >> 4 == 4 ? Int(bytes[0] & 0x0F) * 4 : 40
            Array(bytes[0..<(headerLength + 1)]).withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
        }
        // Extension headers (next header is not TCP), UDP, an IHL below 5, version 5, nothing.
        IPv6Fixture.withExtensions.withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
        var udp = Fixture.realSYN
        udp[9] = 17
        udp.withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
        var shortHeader = Fixture.realSYN
        shortHeader[0] = 0x44
        shortHeader.withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
        [UInt8]([0x50, 0, 0]).withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
        [UInt8]().withUnsafeBytes { #expect(IPPacketView.tcpSourcePort(of: $0) == nil) }
    }

    /// Each malformed class, with the exact error (kind and byte).
    @Test("Malformed IPv6 gives typed errors at the right byte")
    func malformed() {
        func check(_ bytes: [UInt8], _ error: WireError, verify: Bool = false, _ comment: Comment) {
            #expect(throws: error, comment) { try IPv6Packet.parse(bytes, verifyChecksum: verify) }
            _ = bytes.withUnsafeBytes { buf in
                #expect(throws: error, comment) { try IPv6PacketView(validating: buf, verifyChecksum: verify) }
            }
        }
        let syn = IPv6Fixture.syn
        check(Array(syn[..<39]), WireError(.ipv6Truncated(available: 39), at: 0), "39 bytes")
        var v = syn; v[0] = 0x7B
        check(v, WireError(.ipv6BadVersion(7), at: 0), "version 7")
        var pl = syn; pl[5] = 0x29
        check(pl, WireError(.ipv6BadPayloadLength(payloadLength: 41, available: 40), at: 4), "payload length past the end")
        var udp = syn; udp[6] = 17
        check(udp, WireError(.ipv6NotTCP(nextHeader: 17), at: 6), "UDP")
        var sum = syn; sum[57] ^= 1
        check(sum, WireError(.tcpBadChecksum(carried: 0xB013, expected: 0xB012), at: 56), verify: true, "checksum")
        // Extension headers: a hop-by-hop header whose length reaches past the payload.
        var ext = IPv6Fixture.withExtensions; ext[41] = 20
        check(ext, WireError(.ipv6ExtensionHeaderTruncated(type: 0, length: 168, available: 74), at: 40), "HBH length")
        // Layout: fixed 0-39, hop-by-hop 40-47, routing 48-71, destination options 72-79, fragment 80-87.
        // The fragment header's Next Header now says UDP.
        var nh = IPv6Fixture.withExtensions; nh[80] = 17
        check(nh, WireError(.ipv6NotTCP(nextHeader: 17), at: 80), "UDP after the fragment header")
        // A real fragment: offset 8, M set.
        var frag = IPv6Fixture.withExtensions; frag[82] = 0; frag[83] = 0x09
        check(frag, WireError(.ipv6Fragment(fragmentOffset: 8, moreFragments: true), at: 80), "fragment")
        // A chain cut right after the fixed header: payload length 1 with hop-by-hop next.
        var cut = Array(IPv6Fixture.withExtensions[..<41]); cut[4] = 0; cut[5] = 1
        check(cut, WireError(.ipv6ExtensionHeaderTruncated(type: 0, length: -1, available: 1), at: 40), "no length byte")
        // TCP data offset past the end, reported at the segment's byte 12 in packet offsets.
        var doff = syn; doff[52] = 0xF0
        check(doff, WireError(.tcpBadDataOffset(dataOffset: 15, available: 40), at: 52), "data offset")
    }

    @Test("The IPv6 pseudo-header sum equals RFC 8200 §8.1's layout summed word by word")
    func pseudoHeaderLayout() {
        IPv6Fixture.syn.withUnsafeBytes { buf in
            let segment = UnsafeRawBufferPointer(rebasing: buf[40...])
            var c = InternetChecksum()
            c.addPseudoHeader(source: IPv6Fixture.a, destination: IPv6Fixture.b, length: segment.count)
            c.add(segment)
            #expect(c.value == 0)
            #expect(InternetChecksum.tcp(segment, source: IPv6Fixture.a, destination: IPv6Fixture.b) == 0)
        }
    }
}
