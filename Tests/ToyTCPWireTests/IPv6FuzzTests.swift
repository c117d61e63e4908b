import Testing
@testable import ToyTCPWire

/// Random IPv6 packets with random extension-header chains, and mutations aimed at IPv6's own fields.
struct IPv6FuzzInputGenerator {
    var base: FuzzInputGenerator

    init(seed: UInt64) { base = FuzzInputGenerator(seed: seed) }

    mutating func address() -> IPv6Address { IPv6Address(high: base.rng.next(), low: base.rng.next()) }

    mutating func validPacket() -> [UInt8] {
        var extensions: [IPv6ExtensionHeader] = []
        for _ in 0..<base.rng.below(4) {
            switch base.rng.below(5) {
            case 0: extensions.append(.options(type: 0, (0..<base.rng.below(12)).map { _ in base.rng.byte() }))
            case 1: extensions.append(.options(type: 60, (0..<base.rng.below(12)).map { _ in base.rng.byte() }))
            case 2: extensions.append(.routing(routingType: UInt8(base.rng.below(5)), segmentsLeft: UInt8(base.rng.below(3)),
                                               addresses: (0..<base.rng.below(3)).map { _ in address() }))
            case 3: extensions.append(.fragment(identification: UInt32(truncatingIfNeeded: base.rng.next())))
            default: extensions.append(IPv6ExtensionHeader(type: 51, bytes: [0, 1, 0, 0] + (0..<8).map { _ in base.rng.byte() }))
            }
        }
        let header = IPv6Header(source: address(), destination: address(), hopLimit: base.rng.byte(),
                                trafficClass: base.rng.byte(), flowLabel: UInt32(truncatingIfNeeded: base.rng.next()),
                                extensionHeaders: extensions)
        // The segment of a random IPv4 packet (its own generator's variety of options and payloads).
        let v4 = base.validPacket()
        let segment = (try? IPv4Packet.parse(v4).segment) ?? TCPSegment(flags: [.syn])
        return IPv6Packet(header: header, segment: segment).bytes(tcpChecksum: base.rng.below(4) == 0 ? .keep : .compute)
    }

    mutating func next() -> [UInt8] {
        switch base.rng.below(16) {
        case 0: return (0..<base.rng.below(100)).map { _ in base.rng.byte() }
        case 1, 2: return validPacket()
        default:
            var bytes = base.rng.below(2) == 0 ? [IPv6Fixture.syn, IPv6Fixture.withExtensions][base.rng.below(2)] : validPacket()
            for _ in 0...base.rng.below(4) { mutate(&bytes) }
            return bytes
        }
    }

    mutating func mutate(_ bytes: inout [UInt8]) {
        let n = bytes.count
        switch base.rng.below(8) {
        case 0:      // payload length near the truth, or anything
            if n >= 6 {
                let length = base.rng.below(2) == 0 ? max(0, n - 40 + base.rng.below(9) - 4) : base.rng.below(65536)
                bytes[4] = UInt8(truncatingIfNeeded: length >> 8); bytes[5] = UInt8(truncatingIfNeeded: length)
            }
        case 1:      // next header: an extension type, TCP, or anything
            if n >= 7 { bytes[6] = [0, 43, 44, 51, 60, 6, 59, base.rng.byte()][base.rng.below(8)] }
        case 2:      // an extension header's length or next-header byte
            if n > 41 { bytes[40 + base.rng.below(min(n - 40, 48))] = UInt8(base.rng.below(2) == 0 ? base.rng.below(8) : Int(base.rng.byte())) }
        case 3:      // version nibble
            if n >= 1 { bytes[0] = bytes[0] & 0x0F | UInt8(base.rng.below(16)) << 4 }
        default:     // the IPv4 generator's mutations (bit flips, truncation, extension, …)
            base.mutate(&bytes)
        }
    }
}

/// Parses one input as IPv6 every way there is; nil if all agree.
func checkOneIPv6Input(_ bytes: [UInt8], tally: inout FuzzTally) -> String? {
    let owned = Result { () throws(WireError) in try IPv6Packet.parse(bytes) }
    let verified = Result { () throws(WireError) in try IPv6Packet.parse(bytes, verifyChecksum: true) }
    return bytes.withUnsafeBytes { buf -> String? in
        let view = Result { () throws(WireError) in try IPv6PacketView(validating: buf) }
        let generic = Result { () throws(WireError) in try IPPacketView(validating: buf, verifyChecksum: true) }
        switch (owned, view) {
        case (.failure(let a), .failure(let b)):
            guard a == b else { return "owned error \(a) but view error \(b)" }
            tally.rejected += 1
            tally.saw(a.kind)
            guard a.offset >= 0, a.offset <= bytes.count else { return "error offset \(a.offset) outside \(bytes.count) bytes" }
        case (.success(let p), .success(let v)):
            tally.parsed += 1
            guard p == (try? IPv6Packet(v)) else { return "the view converts to a different packet" }
            let end = 40 + v.ip.payloadLength
            guard p.bytes(tcpChecksum: .keep)[...] == bytes[..<end] else { return "re-emit differs from the input" }
            guard v.ip.hopLimit == p.header.hopLimit, v.ip.flowLabel == p.header.flowLabel,
                  v.ip.trafficClass == p.header.trafficClass, v.tcp.payload.count == p.segment.payload.count else {
                return "view fields disagree with the owned packet"
            }
        case (.failure(let a), .success): return "owned failed (\(a)) but the view accepted"
        case (.success, .failure(let b)): return "owned accepted but the view failed (\(b))"
        }
        switch (verified, generic) {
        case (.failure(let a), .failure(let b)):
            // The generic gate answers ipBadVersion where the IPv6 one answers ipv6BadVersion/ipv6Truncated.
            if case .ipBadVersion = b.kind { tally.saw(b.kind); break }
            if case .ipv4Truncated = b.kind { break }
            if case .ipv4BadVersion = b.kind { break }
            if case .ipv4BadHeaderLength = b.kind { break }
            guard a == b || bytes.first.map({ $0 >> 4 == 4 }) == true else { return "verifying: \(a) vs generic \(b)" }
            tally.saw(a.kind)
        case (.success(let p), .success(let g)):
            tally.checksumOK += 1
            guard case .v6 = g, g.flowKey.source.address == .v6(p.header.source) else { return "generic view disagrees" }
        case (.success, .failure(let b)): return "verified owned parse but generic view failed (\(b))"
        case (.failure(let a), .success(let g)):
            if case .v4 = g { break }
            return "generic view accepted what the IPv6 parse refused (\(a))"
        }
        return nil
    }
}

@Suite("Seeded parser fuzzing, IPv6: random chains and mutations never trap, and every parser agrees (issue 15)")
struct IPv6FuzzTests {
    @Test("IPv6 inputs: views, owned parse and the family-generic gate agree; accepted ones re-emit identically")
    func ipv6Inputs() {
        #if DEBUG
        let count = 100_000
        #else
        let count = 1_000_000
        #endif
        var generator = IPv6FuzzInputGenerator(seed: 0x69_70_76_36)
        var tally = FuzzTally()
        var reports: [String] = []
        withoutThrowBacktraces {
            for i in 0..<count {
                let input = generator.next()
                if let problem = checkOneIPv6Input(input, tally: &tally), reports.count < 5 {
                    reports.append("input \(i) (hex \(input.map { String($0, radix: 16) }.joined(separator: " "))): \(problem)")
                }
            }
        }
        for report in reports { Issue.record(Comment(rawValue: report)) }
        print("IPv6 parser fuzz: \(count) inputs; \(tally.parsed) parsed, \(tally.checksumOK) with good checksums, "
              + "\(tally.rejected) rejected; error kinds seen: \(tally.errorKinds.sorted().joined(separator: " "))")
        #expect(reports.isEmpty)
        #expect(tally.parsed > count / 10)
        #expect(tally.checksumOK > count / 50)
        #expect(tally.rejected > count / 4)
        for kind in ["ipv6Truncated", "ipv6BadVersion", "ipv6BadPayloadLength", "ipv6ExtensionHeaderTruncated",
                     "ipv6NotTCP", "ipv6Fragment", "ipBadVersion", "tcpBadChecksum", "tcpBadDataOffset"] {
            #expect(tally.errorKinds.contains(kind), "never saw \(kind): \(tally.errorKinds.sorted())")
        }
    }
}
