import Testing
@testable import ToyTCPWire

/// Every malformed-input class of issue 2, against its exact `WireError` kind, offset and message; the view
/// gate and the owned parser must throw the same error (`parseError` checks both).
@Suite("Malformed input yields a typed error at the right byte (RFC 791 §3.1, RFC 9293 §3.1-3.2)")
struct MalformedInputTests {
    /// `bytes` with `edits` applied (index, new value).
    func edited(_ bytes: [UInt8], _ edits: [(Int, UInt8)]) -> [UInt8] {
        var b = bytes
        for (i, v) in edits { b[i] = v }
        return b
    }

    func expectError(_ bytes: [UInt8], _ kind: WireError.Kind, at offset: Int, _ message: String,
                     verifyChecksum: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = parseError(bytes, verifyChecksum: verifyChecksum, sourceLocation: sourceLocation) else {
            Issue.record("parsed, expected \(message)", sourceLocation: sourceLocation); return
        }
        #expect(e.kind == kind, sourceLocation: sourceLocation)
        #expect(e.offset == offset, sourceLocation: sourceLocation)
        #expect(e.description == message, sourceLocation: sourceLocation)
    }

    @Test("Truncated IPv4 header (RFC 791 §3.1: 20 bytes minimum)")
    func truncatedIPv4() {
        expectError([], .ipv4Truncated(available: 0), at: 0, "IPv4 header at byte 0: truncated, 0 bytes, minimum 20")
        expectError(Array(Fixture.realSYN[..<19]), .ipv4Truncated(available: 19), at: 0,
                    "IPv4 header at byte 0: truncated, 19 bytes, minimum 20")
    }

    @Test("Version other than 4 (RFC 791 §3.1)")
    func badVersion() {
        expectError(edited(Fixture.realSYN, [(0, 0x65)]), .ipv4BadVersion(6), at: 0, "IPv4 version at byte 0: 6, expected 4")
    }

    @Test("IHL below 5 or past the end (RFC 791 §3.1)")
    func badIHL() {
        expectError(edited(Fixture.realSYN, [(0, 0x44)]), .ipv4BadHeaderLength(ihl: 4, available: 60), at: 0,
                    "IPv4 IHL at byte 0: 4 words (16 bytes), minimum 5")
        expectError(edited(Fixture.realSYN, [(0, 0x40)]), .ipv4BadHeaderLength(ihl: 0, available: 60), at: 0,
                    "IPv4 IHL at byte 0: 0 words (0 bytes), minimum 5")
        expectError(edited(Fixture.realRST, [(0, 0x4f)]), .ipv4BadHeaderLength(ihl: 15, available: 40), at: 0,
                    "IPv4 IHL at byte 0: 15 words (60 bytes), only 40 bytes present")
    }

    @Test("Total length lying both ways (RFC 791 §3.1)")
    func lyingTotalLength() throws {
        // Shorter than the header.
        expectError(edited(Fixture.realData, [(2, 0), (3, 19)]),
                    .ipv4BadTotalLength(totalLength: 19, headerLength: 20, available: 65), at: 2,
                    "IPv4 total length at byte 2: 19, shorter than the 20-byte header")
        // Longer than the bytes present.
        let long = edited(Fixture.realData, [(2, 0), (3, 66)])
        expectError(long, .ipv4BadTotalLength(totalLength: 66, headerLength: 20, available: 65), at: 2,
                    "IPv4 total length at byte 2: 66, only 65 bytes present")
        // ...which a capture cut at its snap length may have: the view then says it is truncated.
        try long.withUnsafeBytes { buf in
            let v = try IPv4HeaderView(validating: buf, allowTruncatedPayload: true)
            #expect(v.isTruncated && v.totalLength == 66 && v.payloadRange == 20..<65 && v.payload.count == 45)
        }
        // Shorter than the bytes but at least the header: the TCP segment is cut by it.
        expectError(edited(Fixture.realData, [(2, 0), (3, 30)]), .tcpTruncated(available: 10), at: 20,
                    "TCP header at byte 20: truncated, 10 bytes, minimum 20")
        // Cutting the payload only: parses, with a shorter payload.
        let cut = try parseBoth(edited(Fixture.realData, [(2, 0), (3, 60)]))
        #expect(cut.segment.payload == Array("hello, w".utf8))
    }

    @Test("Protocol other than TCP (RFC 791 §3.1, RFC 790 numbers)")
    func notTCP() {
        expectError(edited(Fixture.realSYN, [(9, 17)]), .ipv4NotTCP(protocol: 17), at: 9,
                    "IPv4 protocol at byte 9: 17, not TCP (6)")
        expectError(edited(Fixture.realSYN, [(9, 1)]), .ipv4NotTCP(protocol: 1), at: 9,
                    "IPv4 protocol at byte 9: 1, not TCP (6)")
    }

    @Test("Fragments: MF set, or a non-zero offset (RFC 791 §3.2)")
    func fragments() {
        expectError(edited(Fixture.realSYN, [(6, 0x20)]), .ipv4Fragment(fragmentOffset: 0, moreFragments: true), at: 6,
                    "IPv4 fragment at byte 6: offset 0, more fragments; fragments are not reassembled")
        // Offset 185 × 8 = 1480 (DF left set, as a lying sender might).
        expectError(edited(Fixture.realSYN, [(6, 0x40), (7, 185)]), .ipv4Fragment(fragmentOffset: 1480, moreFragments: false), at: 6,
                    "IPv4 fragment at byte 6: offset 1480; fragments are not reassembled")
        expectError(edited(Fixture.realSYN, [(6, 0x3f), (7, 0xff)]), .ipv4Fragment(fragmentOffset: 8191 * 8, moreFragments: true), at: 6,
                    "IPv4 fragment at byte 6: offset 65528, more fragments; fragments are not reassembled")
        // DF and the reserved bit alone are not fragmentation.
        #expect(parseError(edited(Fixture.realSYN, [(6, 0xc0)])) == nil)
    }

    @Test("Truncated TCP header (RFC 9293 §3.1: 20 bytes minimum)")
    func truncatedTCP() throws {
        var short = Array(Fixture.realRST[..<39])
        short[3] = 39
        expectError(short, .tcpTruncated(available: 19), at: 20, "TCP header at byte 20: truncated, 19 bytes, minimum 20")
        // A bare segment reports offsets from its own first byte.
        #expect(throws: WireError(.tcpTruncated(available: 3), at: 0)) { try TCPSegment.parse([1, 2, 3]) }
        #expect(throws: WireError(.tcpTruncated(available: 3), at: 100)) { try TCPSegment.parse([1, 2, 3], baseOffset: 100) }
    }

    @Test("Data offset below 5 or past the end (RFC 9293 §3.1)")
    func badDataOffset() {
        expectError(edited(Fixture.realSYN, [(32, 0x40)]), .tcpBadDataOffset(dataOffset: 4, available: 40), at: 32,
                    "TCP data offset at byte 32: 4 words (16 bytes), minimum 5")
        expectError(edited(Fixture.realSYN, [(32, 0x02)]), .tcpBadDataOffset(dataOffset: 0, available: 40), at: 32,
                    "TCP data offset at byte 32: 0 words (0 bytes), minimum 5")
        expectError(edited(Fixture.realRST, [(32, 0x60)]), .tcpBadDataOffset(dataOffset: 6, available: 20), at: 32,
                    "TCP data offset at byte 32: 6 words (24 bytes), only 20 bytes present")
        expectError(edited(Fixture.realSYN, [(32, 0xf0)]), .tcpBadDataOffset(dataOffset: 15, available: 40), at: 32,
                    "TCP data offset at byte 32: 15 words (60 bytes), only 40 bytes present")
        // The options start at 40 in these packets.
    }

    @Test("Option length 0 or 1 (RFC 9293 §3.2: length counts kind and length bytes)")
    func optionLengthBelowTwo() {
        // MSS at byte 40: kind 2, length at 41.
        expectError(edited(Fixture.realSYN, [(41, 0)]), .tcpOptionBadLength(kind: 2, length: 0), at: 40,
                    "TCP option at byte 40: kind 2, length 0, minimum 2")
        expectError(edited(Fixture.realSYN, [(41, 1)]), .tcpOptionBadLength(kind: 2, length: 1), at: 40,
                    "TCP option at byte 40: kind 2, length 1, minimum 2")
        // An unknown kind gets the same check (and the walk points at it).
        expectError(edited(Fixture.craftedUnknownOption, [(53, 1)]), .tcpOptionBadLength(kind: 253, length: 1), at: 52,
                    "TCP option at byte 52: kind 253, length 1, minimum 2")
    }

    @Test("Option reaching past the header (RFC 9293 §3.2)")
    func optionPastHeader() {
        expectError(edited(Fixture.realSYN, [(41, 21)]), .tcpOptionPastEnd(kind: 2, length: 21, remaining: 20), at: 40,
                    "TCP option at byte 40: kind 2, length 21, past the end of the header (20 bytes left)")
        // wscale at 57..59 is the last option; length 4 reaches one byte past.
        expectError(edited(Fixture.realSYN, [(58, 4)]), .tcpOptionPastEnd(kind: 3, length: 4, remaining: 3), at: 57,
                    "TCP option at byte 57: kind 3, length 4, past the end of the header (3 bytes left)")
        // An option that would run into the payload is still past the header.
        expectError(edited(Fixture.realData, [(42, 8), (43, 40)]), .tcpOptionPastEnd(kind: 8, length: 40, remaining: 10), at: 42,
                    "TCP option at byte 42: kind 8, length 40, past the end of the header (10 bytes left)")
    }

    @Test("Missing length byte at the end of the header (RFC 9293 §3.2)")
    func missingLengthByte() {
        // EOL-padded SYN: options 40..51; make them mss, nop, wscale, nop, nop, nop, then kind 2 at 51.
        expectError(edited(Fixture.craftedEOLPadding, [(48, 1), (49, 1), (50, 1), (51, 2)]),
                    .tcpOptionPastEnd(kind: 2, length: -1, remaining: 1), at: 51,
                    "TCP option at byte 51: kind 2, length byte missing at the end of the header")
    }

    @Test("Option errors in a bare segment count from the segment (RFC 9293 §3.2)")
    func bareSegmentOptionOffsets() {
        var tcp = Array(Fixture.realSYN[20...])
        tcp[21] = 0
        #expect(throws: WireError(.tcpOptionBadLength(kind: 2, length: 0), at: 20)) { try TCPSegment.parse(tcp) }
        tcp.withUnsafeBytes { buf in
            guard let v = try? TCPHeaderView(validating: buf) else { Issue.record("gate rejected a valid header"); return }
            var seen: [String] = []
            for o in v.options {
                switch o {
                case .malformed(let e): seen.append("bad: \(e)")
                default: seen.append("ok")
                }
            }
            #expect(seen == ["bad: TCP option at byte 20: kind 2, length 0, minimum 2"])
            #expect(v.options.firstError == WireError(.tcpOptionBadLength(kind: 2, length: 0), at: 20))
        }
    }

    @Test("A malformed option after good ones: the walk yields the good ones, then .malformed, then ends")
    func walkStopsAtMalformed() throws {
        let bytes = edited(Fixture.realSYN, [(58, 0)])   // wscale length 0
        try bytes.withUnsafeBytes { buf in
            let v = try IPv4HeaderView(validating: buf)
            let t = try TCPHeaderView(validating: v.payload, baseOffset: 20)
            var it = t.options
            var kinds: [String] = []
            while let o = it.next() {
                switch o {
                case .mss: kinds.append("mss")
                case .sackPermitted: kinds.append("sackOK")
                case .timestamps: kinds.append("TS")
                case .nop: kinds.append("nop")
                case .malformed(let e): kinds.append("bad@\(e.offset)")
                default: kinds.append("?")
                }
            }
            #expect(kinds == ["mss", "sackOK", "TS", "nop", "bad@57"])
            let ended = it.next() == nil
            #expect(ended)
            #expect(it.offset == 17)
        }
    }
}

