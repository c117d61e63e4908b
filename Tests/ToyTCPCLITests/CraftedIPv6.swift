import Foundation
import ToyTCPWire

/// Crafted IPv6 (and some IPv4) packets for the decoder's comparison with tcpdump, built with Wire's
/// constructors, and pcap files wrapping them in each link type that carries IPv6.
enum CraftedIPv6 {
    static let a = IPv6Address(0xfd00, 0, 0, 0, 0, 0, 0, 1)
    static let b = IPv6Address(0xfd00, 1, 0, 0, 0, 0, 0, 1)
    static let c = IPv6Address(0xfd00, 2, 0, 0, 0, 0, 0, 2)

    static func v6(from src: IPv6Address = a, to dst: IPv6Address = b, tc: UInt8 = 0, flow: UInt32 = 0,
                   ext: [IPv6ExtensionHeader] = [], _ segment: TCPSegment) -> [UInt8] {
        IPv6Packet(header: IPv6Header(source: src, destination: dst, trafficClass: tc, flowLabel: flow,
                                      extensionHeaders: ext), segment: segment).bytes()
    }

    static func seg(_ sport: UInt16 = 40000, _ dport: UInt16 = 80, seq: UInt32, ack: UInt32 = 0, _ flags: TCPFlags,
                    win: UInt16 = 502, options: [TCPOption] = [], payload: [UInt8] = []) -> TCPSegment {
        TCPSegment(sourcePort: sport, destinationPort: dport, sequenceNumber: SequenceNumber(seq),
                   acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: win, options: options, payload: payload)
    }

    /// The IP packets, with the length each had on the wire (more than captured for cut ones).
    static func records() -> [(bytes: [UInt8], wireLength: Int)] {
        var out: [(bytes: [UInt8], wireLength: Int)] = []
        func add(_ p: [UInt8]) { out.append((p, p.count)) }
        func cut(_ p: [UInt8], _ n: Int) { out.append((Array(p.prefix(n)), p.count)) }
        let synOptions: [TCPOption] = [.mss(1440), .sackPermitted, .timestamps(value: 100, echoReply: 0), .nop, .windowScale(7)]
        // A conversation with DSCP/ECN and a flow label; relative numbers per flow.
        add(v6(tc: 0xB9, flow: 0x12345, seg(seq: 1000, [.syn, .ece, .cwr], win: 64800, options: synOptions)))
        add(v6(from: b, to: a, flow: 0xABCDE, seg(80, 40000, seq: 7000, ack: 1001, [.syn, .ack, .ece], win: 64260, options: synOptions)))
        add(v6(seg(seq: 1001, ack: 7001, [.ack])))
        add(v6(seg(seq: 1001, ack: 7001, [.psh, .ack], payload: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))))
        add(v6(from: b, to: a, seg(80, 40000, seq: 7001, ack: 1001, [.ack], options: [.nop, .nop, .sack([SACKBlock(left: 1101, right: 1201)])])))
        // Extension headers: hop-by-hop (router alert), routing type 0 to the final destination b,
        // destination options, an atomic fragment.
        let routed: [IPv6ExtensionHeader] = [.options(type: 0, [5, 2, 0, 0]),
                                            .routing(routingType: 0, segmentsLeft: 1, addresses: [b]),
                                            .options(type: 60), .fragment(identification: 0x1234)]
        add(v6(from: a, to: c, ext: routed, seg(seq: 1028, ack: 7001, [.psh, .ack], payload: Array("hello\n".utf8))))
        add(v6(from: a, to: c, ext: [.routing(routingType: 2, segmentsLeft: 1, addresses: [b])], seg(seq: 1034, ack: 7001, [.ack])))
        var srh = IPv6ExtensionHeader.routing(routingType: 4, segmentsLeft: 1, addresses: [b])
        srh.bytes[4] = 0    // last entry
        add(v6(from: a, to: c, ext: [srh], seg(seq: 1034, ack: 7001, [.fin, .ack])))
        add(v6(ext: [.options(type: 60, [0x1E, 2, 0xAA, 0xBB, 0, 0])], seg(seq: 1035, ack: 7002, [.ack])))
        add(v6(ext: [.options(type: 0, [0xC2, 4, 0, 1, 0, 0])], seg(seq: 1035, ack: 7002, [.ack])))
        add(v6(ext: [IPv6ExtensionHeader(type: 51, bytes: [0, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5] + Array(repeating: 0xEE, count: 12))],
               seg(seq: 1035, ack: 7002, [.ack])))
        add(v6(ext: [.fragment(offset: 0, moreFragments: true, identification: 9)], seg(seq: 1035, ack: 7002, [.psh, .ack], payload: [1, 2, 3])))
        add(v6(ext: [.fragment(offset: 1448, moreFragments: false, identification: 9)], seg(seq: 1035, ack: 7002, [.ack])))
        add(v6(seg(40001, 80, seq: 0, ack: 5, [.rst, .ack], win: 0, payload: Array("reset by peer".utf8))))
        // IPv4 beside it.
        add(IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 1, 1)),
                       segment: seg(seq: 55, ack: 66, [.ack])).bytes())
        // Cut captures: in the fixed header, in an extension header, in TCP, in the options.
        let full = v6(ext: routed, seg(seq: 1040, ack: 7002, [.ack], options: synOptions, payload: [9, 9]))
        for n in [30, 41, 44, 60, 92, 100, 110, 120] { cut(full, n) }
        // A payload length past what was on the wire, and a zero one.
        var long = v6(seg(seq: 1050, ack: 7002, [.ack]))
        long[5] = 100
        add(long)
        var zero = v6(seg(seq: 1050, ack: 7002, [.ack]))
        zero[4] = 0; zero[5] = 0
        add(zero)
        // A bad checksum (-v shows the right one).
        var bad = v6(seg(seq: 1060, ack: 7002, [.ack]))
        bad[bad.count - 3] ^= 0x40
        add(bad)
        return out
    }

    static func packets() -> [[UInt8]] { records().map(\.bytes) }

    static let linkTypes: [UInt32] = [229, 101, 1, 113, 276, 0, 108, 9]

    /// The frame of link type `linkType` around IP packet `ip` (number `i` varies the framing).
    static func frame(_ ip: [UInt8], linkType: UInt32, _ i: Int) -> [UInt8] {
        let v6 = ip.first.map { $0 >> 4 == 6 } ?? false
        let mac: [UInt8] = [2, 0, 0, 0, 0, 1]
        switch linkType {
        case 1: return [2, 0, 0, 0, 0, 2] + mac + (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + ip
        case 113: return [0, UInt8(i % 2 == 0 ? 0 : 4), 0, 1, 0, 6] + mac + [0, 0] + (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + ip
        case 276: return (v6 ? [0x86, 0xDD] : [0x08, 0x00]) + [0, 0, 0, 0, 0, 1, 0, 1, UInt8(i % 2 == 0 ? 0 : 4), 6] + mac + [0, 0] + ip
        case 0: let af: UInt8 = v6 ? [24, 28, 30][i % 3] : 2; return [af, 0, 0, 0] + ip
        case 108: let af: UInt8 = v6 ? [24, 28, 30][i % 3] : 2; return [0, 0, 0, af] + ip
        case 9:
            let proto: [UInt8] = v6 ? [0x00, 0x57] : [0x00, 0x21]
            switch i % 3 {
            case 0: return [0xFF, 0x03] + proto + ip
            case 1: return proto + ip
            default: return [proto[1]] + ip
            }
        default: return ip
        }
    }

    static func pcap(linkType: UInt32) -> Data {
        let records = records().enumerated().map { (i, r) -> (seconds: UInt32, fraction: UInt32, frame: [UInt8], wire: Int) in
            let f = frame(r.bytes, linkType: linkType, i)
            return (UInt32(1_700_000_000 + i), UInt32(i * 37_123 % 1_000_000), f, f.count - r.bytes.count + r.wireLength)
        }
        return file(linkType: linkType, records: records.map { ($0.seconds, $0.fraction, $0.frame, $0.wire) })
    }

    static func file(linkType: UInt32, records: [(seconds: UInt32, fraction: UInt32, frame: [UInt8])], nanoseconds: Bool = false) -> Data {
        file(linkType: linkType, records: records.map { ($0.seconds, $0.fraction, $0.frame, $0.frame.count) }, nanoseconds: nanoseconds)
    }

    /// A little-endian pcap file (micro- or nanosecond magic).
    static func file(linkType: UInt32, records: [(UInt32, UInt32, [UInt8], Int)], nanoseconds: Bool = false) -> Data {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        u32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4); u16(2); u16(4); u32(0); u32(0); u32(262_144); u32(linkType)
        for (seconds, fraction, frame, wire) in records {
            u32(seconds); u32(fraction); u32(UInt32(frame.count)); u32(UInt32(wire))
            d.append(contentsOf: frame)
        }
        return d
    }
}
