import Testing
@testable import ToyTCPWire

/// Crafted segments emitted and parsed back (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018).
@Suite("Emit then parse gives back the segment")
struct RoundTripTests {
    let src = Fixture.a, dst = Fixture.b

    func packet(_ segment: TCPSegment, ipOptions: [UInt8] = []) -> IPv4Packet {
        IPv4Packet(header: IPv4Header(source: src, destination: dst, identification: 77, options: ipOptions), segment: segment)
    }

    @Test("Options that fill whole words come back unchanged (RFC 9293 §3.2)", arguments: [
        [TCPOption](),
        [.mss(1460), .sackPermitted, .timestamps(value: 1, echoReply: 0), .nop, .windowScale(14)],
        [.nop, .nop, .timestamps(value: .max, echoReply: .max)],
        [.nop, .nop, .sack([SACKBlock(left: 1, right: 2)])],
        [.sack([SACKBlock(left: 0xFFFF_FFF0, right: 0x10), SACKBlock(left: 100, right: 200),
                SACKBlock(left: 300, right: 400), SACKBlock(left: 500, right: 600)]), .nop, .nop],
        [.unknown(kind: 30, data: [0x00, 0x81, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]), .nop, .nop],
        [.unknown(kind: 2, data: [0x05, 0xb4, 0x00, 0x00, 0x00, 0x00])],   // MSS with the wrong length
        [.unknown(kind: 254, data: []), .unknown(kind: 253, data: [])],
        [.mss(536), .eol, ],
    ] as [[TCPOption]])
    func wholeWordOptions(options: [TCPOption]) throws {
        let seg = TCPSegment(sourcePort: 1234, destinationPort: 80, sequenceNumber: 0xFFFF_FFFF, acknowledgmentNumber: 7,
                             flags: [.syn, .ack], window: 65535, urgentPointer: 0, options: options,
                             payload: [1, 2, 3])
        let bytes = packet(seg).bytes()
        let parsed = try parseBoth(bytes, verifyChecksum: true)
        var expected = seg
        if options.last == .eol {
            // The EOL's word is completed with zero padding, kept as padding.
            expected.optionPadding = Array(repeating: 0, count: seg.optionsEncodedLength - options.reduce(0) { $0 + $1.encodedLength })
        }
        expected.checksum = parsed.segment.checksum
        #expect(parsed.segment == expected)
        #expect(parsed.bytes(tcpChecksum: .keep, ipChecksum: .keep) == bytes)
    }

    @Test("Options that need padding come back with an EOL and re-emit identically (RFC 9293 §3.2)", arguments: [
        ([TCPOption.mss(1460), .windowScale(7)], 1),
        ([.windowScale(7)], 1),
        ([.sackPermitted], 2),
        ([.nop], 3),
        ([.sackPermitted, .nop, .windowScale(2), .mss(9000)], 2),
    ] as [([TCPOption], Int)])
    func paddedOptions(options: [TCPOption], padding: Int) throws {
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .syn, window: 1024, options: options)
        #expect(seg.optionsEncodedLength == options.reduce(0) { $0 + $1.encodedLength } + padding)
        let bytes = packet(seg).bytes()
        let parsed = try parseBoth(bytes, verifyChecksum: true).segment
        // The first zero byte of padding reads as EOL; the rest is padding.
        #expect(parsed.options == options + [.eol])
        #expect(parsed.optionPadding == Array(repeating: 0, count: padding - 1))
        #expect(parsed.headerLength == seg.headerLength)
        #expect(packet(parsed).bytes(tcpChecksum: .keep) == bytes)
    }

    @Test("Non-zero padding after EOL is kept byte for byte (RFC 9293 §3.2)")
    func garbagePadding() throws {
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack, options: [.nop, .eol],
                             optionPadding: [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
        let bytes = packet(seg).bytes()
        #expect(bytes.count == 20 + 28)
        let parsed = try parseBoth(bytes).segment
        #expect(parsed.options == [.nop, .eol])
        #expect(parsed.optionPadding == [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
        #expect(packet(parsed).bytes(tcpChecksum: .keep) == bytes)
    }

    @Test("A wrong checksum on purpose survives emit and parse (RFC 9293 §3.1)")
    func wrongChecksum() throws {
        var seg = TCPSegment(sourcePort: 9, destinationPort: 9, sequenceNumber: 5, flags: .rst, checksum: 0xdead)
        seg.reserved = 0b111
        seg.flags.insert(.ae)
        let bytes = packet(seg).bytes(tcpChecksum: .keep)
        let parsed = try parseBoth(bytes)
        #expect(parsed.segment.checksum == 0xdead)
        #expect(parsed.segment == seg)
        #expect(bytes[32] == 0x5F)
        let e = try #require(parseError(bytes, verifyChecksum: true))
        guard case .tcpBadChecksum(carried: 0xdead, _) = e.kind else { Issue.record("got \(e)"); return }
        #expect(e.offset == 36)
    }

    @Test("A lying data offset is written as asked and read as the receiver would (RFC 9293 §3.1)")
    func lyingDataOffset() throws {
        // Too large: the header would run past the segment.
        let tooLarge = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack, dataOffsetOverride: 15)
        let e = try #require(parseError(packet(tooLarge).bytes()))
        #expect(e == WireError(.tcpBadDataOffset(dataOffset: 15, available: 20), at: 32))
        // Too small: below 5.
        let tooSmall = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack, dataOffsetOverride: 4)
        #expect(parseError(packet(tooSmall).bytes()) == WireError(.tcpBadDataOffset(dataOffset: 4, available: 20), at: 32))
        // One word too many: the first payload bytes are read as options.
        let payloadAsOptions = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack,
                                          payload: [1, 3, 3, 7, 0x41], dataOffsetOverride: 6)
        let parsed = try parseBoth(packet(payloadAsOptions).bytes(), verifyChecksum: true).segment
        #expect(parsed.options == [.nop, .windowScale(7)])
        #expect(parsed.payload == [0x41])
        // One word too few: the options are read as payload.
        let optionsAsPayload = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .ack, options: [.mss(1460)],
                                          dataOffsetOverride: 5)
        let parsed2 = try parseBoth(packet(optionsAsPayload).bytes(), verifyChecksum: true).segment
        #expect(parsed2.options.isEmpty && parsed2.payload == [2, 4, 0x05, 0xb4])
    }

    @Test("IPv4 options are padded to a word; a lying total length is refused (RFC 791 §3.1)")
    func ipv4Options() throws {
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, flags: .syn)
        let p = packet(seg, ipOptions: [0x01, 0x01, 0x01])   // three NOPs, one byte of padding
        let bytes = p.bytes()
        #expect(bytes[0] == 0x46 && bytes.count == 44)
        let parsed = try parseBoth(bytes, verifyChecksum: true)
        #expect(parsed.header.options == [1, 1, 1, 0])
        #expect(parsed.bytes(tcpChecksum: .keep, ipChecksum: .keep) == bytes)
        var lying = p
        lying.header.totalLengthOverride = 45
        #expect(parseError(lying.bytes()) == WireError(.ipv4BadTotalLength(totalLength: 45, headerLength: 24, available: 44), at: 2))
        // Options past 40 bytes cannot be described by IHL; emit wraps it rather than trapping.
        let tooLong = packet(seg, ipOptions: Array(repeating: 1, count: 44))
        #expect(tooLong.bytes()[0] == 0x40)
        #expect(parseError(tooLong.bytes())?.kind == .ipv4BadHeaderLength(ihl: 0, available: 84))
    }

    @Test("Every IPv4 field round-trips, including the evil bit and ECN (RFC 791 §3.1, RFC 3168)")
    func ipv4Fields() throws {
        let header = IPv4Header(source: IPv4Address(1, 2, 3, 4), destination: IPv4Address(5, 6, 7, 8), ttl: 1, tos: 0xB9,
                                identification: 0xFFFF, dontFragment: false, reservedFlag: true)
        let p = IPv4Packet(header: header, segment: TCPSegment(sourcePort: 65535, destinationPort: 0, flags: .fin))
        let parsed = try parseBoth(p.bytes(), verifyChecksum: true)
        var expected = p.header
        expected.headerChecksum = parsed.header.headerChecksum
        #expect(parsed.header == expected)
        #expect(parsed.header.reservedFlag && !parsed.header.dontFragment && parsed.header.tos == 0xB9)
    }

    @Test("Emitting after other bytes checksums only the segment (RFC 9293 §3.1)")
    func emitAtOffset() throws {
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, sequenceNumber: 3, flags: [.psh, .ack], payload: [9, 9, 9])
        var w = ByteWriter()
        w.write(contentsOf: [0xEE, 0xEE, 0xEE])
        seg.emit(into: &w, source: src, destination: dst)
        #expect(Array(w.bytes[3...]) == seg.bytes(source: src, destination: dst))
        let reused = ByteWriter(reusing: w.bytes)
        #expect(reused.count == 0)
    }

    @Test("encodedLength and sequenceLength (RFC 9293 §3.4 SEG.LEN)")
    func lengths() {
        let seg = TCPSegment(flags: [.syn, .fin], options: [.mss(1)], payload: [1, 2])
        #expect(seg.headerLength == 24 && seg.encodedLength == 26 && seg.dataOffset == 6)
        #expect(seg.sequenceLength == 4)
        #expect(TCPSegment(flags: .ack).sequenceLength == 0)
    }
}

@Suite("Option accessors (RFC 7323 §2.3, RFC 2018 §3)")
struct OptionAccessorTests {
    @Test("A window-scale shift above 14 is used as 14 (RFC 7323 §2.3)")
    func windowScaleClamp() {
        let options: [TCPOption] = [.nop, .windowScale(15)]
        #expect(options.windowScale == 15)
        #expect(options.effectiveWindowScale == 14)
        #expect([TCPOption.windowScale(7)].effectiveWindowScale == 7)
        #expect([TCPOption]().effectiveWindowScale == nil)
    }

    @Test("Accessors find each option; encodedLength and kind match the wire (RFC 9293 §3.2)")
    func accessors() {
        let blocks = [SACKBlock(left: 1, right: 5)]
        let options: [TCPOption] = [.mss(1400), .sackPermitted, .timestamps(value: 9, echoReply: 8), .sack(blocks),
                                    .unknown(kind: 99, data: [1]), .nop, .eol]
        #expect(options.mss == 1400 && options.sackPermitted && options.sackBlocks == blocks)
        #expect(options.timestamps?.value == 9 && options.timestamps?.echoReply == 8)
        #expect(options.map(\.kind) == [2, 4, 8, 5, 99, 1, 0])
        for o in options {
            var w = ByteWriter()
            o.emit(into: &w)
            #expect(w.count == o.encodedLength)
            #expect(w.bytes[0] == o.kind)
        }
        #expect([TCPOption.nop].mss == nil && ![TCPOption.nop].sackPermitted && [TCPOption.nop].timestamps == nil)
    }
}
