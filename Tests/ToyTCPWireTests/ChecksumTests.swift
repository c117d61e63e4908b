import Testing
@testable import ToyTCPWire

/// Packets and the TCP checksum tcpdump -vv reported as correct for them.
let checksumVectors: [([UInt8], UInt16)] = [
    (Fixture.realSYN, 0xb557), (Fixture.realSYNACK, 0x5779), (Fixture.realACK, 0x8492),
    (Fixture.realData, 0x3a31), (Fixture.realFIN, 0x8484), (Fixture.realRST, 0xfd15),
    (Fixture.craftedIPOptions, 0x0d02), (Fixture.craftedURG, 0xcbfa),
    (Fixture.loopbackSYNOffloaded, 0xbb16),
]

@Suite("Internet checksum (RFC 1071) and the TCP pseudo-header (RFC 9293 §3.1)")
struct ChecksumTests {
    @Test("RFC 1071 §3 numerical example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2")
    func rfc1071Example() {
        var c = InternetChecksum()
        c.add([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])
        #expect(c.folded == 0xddf2)
        #expect(c.value == 0x220d)
    }

    @Test("Chunks split at odd positions sum like one buffer (RFC 1071 §2 byte-order independence)")
    func oddChunks() {
        let data: [UInt8] = Array(Fixture.realData[20...]) + [0x5a, 0xa5, 0x01]
        var whole = InternetChecksum()
        whole.add(data)
        for cut1 in 0...data.count {
            for cut2 in cut1...data.count {
                var c = InternetChecksum()
                c.add(Array(data[..<cut1]))
                c.add(Array(data[cut1..<cut2]))
                c.add(Array(data[cut2...]))
                #expect(c.folded == whole.folded, "cuts at \(cut1), \(cut2)")
            }
        }
        // A word added after an odd chunk lands byte-swapped in the sum, as it should.
        var a = InternetChecksum()
        a.add([0x12])
        a.add(UInt16(0x3456))
        a.add([0x78])
        var b = InternetChecksum()
        b.add([0x12, 0x34, 0x56, 0x78])
        #expect(a.folded == b.folded)
    }

    /// RFC 1071 written the obvious way: big-endian 16-bit words one at a time, an odd last byte padded
    /// with zero, carries folded at the end. The reference for the fast summation.
    static func referenceFolded(_ bytes: UnsafeRawBufferPointer, initial: UInt64 = 0) -> UInt16 {
        var s = initial
        var i = 0
        while i + 1 < bytes.count { s += UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1]); i += 2 }
        if i < bytes.count { s += UInt64(bytes[i]) << 8 }
        while s >> 16 != 0 { s = (s & 0xFFFF) + (s >> 16) }
        return UInt16(s)
    }

    @Test("The parallel 64-bit summation equals the word-by-word sum on random buffers of every length 0…300 and odd offsets (RFC 1071 §2 (B), (C))")
    func fastSumMatchesReference() {
        var rng = SplitMix64(seed: 99)
        let source = IPv4Address(10, 0, 0, 1), destination = IPv4Address(10, 0, 0, 2)
        for length in 0...300 {
            for offset in 0..<3 {
                let all = (0..<(length + offset)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                all.withUnsafeBytes { raw in
                    let b = UnsafeRawBufferPointer(rebasing: raw[offset...])
                    var c = InternetChecksum()
                    c.add(b)
                    let reference = Self.referenceFolded(b)
                    #expect(InternetChecksum.bigEndianSum(b) == reference, "length \(length) offset \(offset)")
                    #expect(c.folded == reference, "length \(length) offset \(offset)")
                    // The pseudo-header (RFC 9293 §3.1): addresses, protocol 6, TCP length.
                    let pseudo = UInt64(source.rawValue >> 16) + UInt64(source.rawValue & 0xFFFF)
                        + UInt64(destination.rawValue >> 16) + UInt64(destination.rawValue & 0xFFFF)
                        + 6 + UInt64(b.count)
                    #expect(InternetChecksum.tcp(b, source: source, destination: destination)
                            == ~Self.referenceFolded(b, initial: pseudo))
                }
            }
        }
        // All-ones words: the deferred carries must fold correctly.
        let ones = [UInt8](repeating: 0xFF, count: 65_000)
        ones.withUnsafeBytes { b in
            var c = InternetChecksum(); c.add(b)
            #expect(InternetChecksum.bigEndianSum(b) == Self.referenceFolded(b))
            #expect(c.folded == Self.referenceFolded(b))
        }
    }

    @Test("IPv4 header checksum of a textbook header is b861 (RFC 791 §3.1)")
    func ipv4HeaderExample() throws {
        let header = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7")
        try header.withUnsafeBytes { buf in
            let v = try IPv4HeaderView(validating: buf, allowTruncatedPayload: true)
            #expect(v.isHeaderChecksumValid)
            #expect(v.expectedHeaderChecksum == 0xb861)
            #expect(v.isTruncated)
        }
        var zeroed = header
        zeroed[10] = 0; zeroed[11] = 0
        var c = InternetChecksum()
        c.add(zeroed)
        #expect(c.value == 0xb861)
    }

    @Test("Real captures: our TCP checksum equals what tcpdump -vv called correct (RFC 9293 §3.1)",
          arguments: checksumVectors)
    func realChecksums(packet: [UInt8], correct: UInt16) throws {
        let p = try IPv4Packet.parse(packet)
        var s = p.segment
        s.checksum = 0
        let computed = s.bytes(source: p.header.source, destination: p.header.destination)
        #expect(UInt16(computed[16]) << 8 | UInt16(computed[17]) == correct)
        try packet.withUnsafeBytes { buf in
            let v = try IPv4PacketView(validating: buf)
            #expect(v.tcp.expectedChecksum(source: v.ip.source, destination: v.ip.destination) == correct)
        }
    }

    @Test("The offloaded loopback SYN fails verification with tcpdump's expected value (RFC 9293 §3.1 MUST-2)")
    func offloadedChecksum() throws {
        let e = try #require(parseError(Fixture.loopbackSYNOffloaded, verifyChecksum: true))
        #expect(e.kind == .tcpBadChecksum(carried: 0xfe30, expected: 0xbb16))
        #expect(e.offset == 36)
        #expect(e.description == "TCP checksum at byte 36: 0xfe30, expected 0xbb16")
        // Without verification it parses (the decoder shows the status instead).
        #expect(parseError(Fixture.loopbackSYNOffloaded) == nil)
    }

    @Test("A wrong checksum on an odd-length segment reports the right expected value (RFC 1071 odd byte)")
    func oddLengthBadChecksum() throws {
        var bytes = Fixture.realData   // 45-byte segment
        bytes[36] = 0x12; bytes[37] = 0x34
        let e = try #require(parseError(bytes, verifyChecksum: true))
        #expect(e == WireError(.tcpBadChecksum(carried: 0x1234, expected: 0x3a31), at: 36))
        #expect(e.description == "TCP checksum at byte 36: 0x1234, expected 0x3a31")
    }

    @Test("A corrupted payload byte is caught by the checksum (RFC 9293 §3.1)")
    func corruptedPayload() throws {
        var bytes = Fixture.realData
        bytes[60] ^= 0x01
        let e = try #require(parseError(bytes, verifyChecksum: true))
        guard case .tcpBadChecksum(let carried, let expected) = e.kind else {
            Issue.record("expected a checksum error, got \(e)"); return
        }
        #expect(carried == 0x3a31 && expected != 0x3a31 && e.offset == 36)
    }

    @Test("A wrong IPv4 header checksum is refused when verifying (RFC 1122 §3.2.1.2)")
    func badIPv4HeaderChecksum() throws {
        var bytes = Fixture.realSYN
        bytes[10] = 0xde; bytes[11] = 0xad
        let e = try #require(parseError(bytes, verifyChecksum: true))
        #expect(e == WireError(.ipv4BadHeaderChecksum(carried: 0xdead, expected: 0xa0ea), at: 10))
        #expect(e.description == "IPv4 header checksum at byte 10: 0xdead, expected 0xa0ea")
        #expect(parseError(bytes) == nil)
    }

    @Test("Emit computes both checksums; .keep writes a wrong one on purpose (RFC 9293 §3.1)")
    func keepWrongChecksum() throws {
        var p = try IPv4Packet.parse(Fixture.realACK)
        p.segment.checksum = 0xbad0
        let wrong = p.bytes(tcpChecksum: .keep)
        #expect(wrong[36] == 0xba && wrong[37] == 0xd0)
        #expect(parseError(wrong, verifyChecksum: true) == WireError(.tcpBadChecksum(carried: 0xbad0, expected: 0x8492), at: 36))
        #expect(p.bytes() == Fixture.realACK)
        p.header.headerChecksum = 0x1111
        let wrongIP = p.bytes(tcpChecksum: .compute, ipChecksum: .keep)
        #expect(wrongIP[10] == 0x11 && wrongIP[11] == 0x11)
        #expect(parseError(wrongIP, verifyChecksum: true)?.kind == .ipv4BadHeaderChecksum(carried: 0x1111, expected: 0xa0f1))
    }

    @Test("Carried 0xFFFF and computed 0x0000 are both ones'-complement zero and both verify (RFC 1624 §3)")
    func negativeZero() throws {
        // Found by scripts/fuzz.sh: the sum over everything but the checksum is 0xFFFF, so a sender
        // computes 0x0000, yet 0xFFFF verifies too.
        let bytes = hex("""
            4500 0034 1234 4000 4006 148e 0a00 0001 0a00 0002 9ca4 0050 0000 03e8 0000 0000
            8002 7210 ffff 4d25 0000 0204 05b4 0103 0307 0000
            """)
        let p = try parseBoth(bytes, verifyChecksum: true)
        #expect(p.segment.checksum == 0xFFFF)
        try bytes.withUnsafeBytes { buf in
            let v = try IPv4PacketView(validating: buf)
            #expect(v.tcp.isChecksumValid(source: v.ip.source, destination: v.ip.destination))
            #expect(v.tcp.expectedChecksum(source: v.ip.source, destination: v.ip.destination) == 0x0000)
        }
        let recomputed = p.bytes()
        #expect(recomputed[36] == 0 && recomputed[37] == 0)
        #expect(Array(recomputed[..<36]) == Array(bytes[..<36]) && Array(recomputed[38...]) == Array(bytes[38...]))
        _ = try parseBoth(recomputed, verifyChecksum: true)
    }
}
