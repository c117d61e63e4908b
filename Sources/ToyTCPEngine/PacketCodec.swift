// Read first: RFC 791 §3.1 (IPv4 header), RFC 8200 §3 and §8.1 (IPv6 header, its pseudo-header), RFC 9293
// §3.1 (TCP header and checksum over the pseudo-header), RFC 1071 (the Internet checksum).
//
// The engine's fast path for bytes: one pass over a received packet into an `IncomingSegment` (no
// arrays), and one pass writing an outgoing packet straight from the send buffer. The value types of
// ToyTCPWire (`IPv4Packet`, `TCPSegment`) remain the lossless form for tools and tests.
import ToyTCPWire

/// Validates and parses a received IPv4/TCP or IPv6/TCP packet in place (the version nibble decides).
enum RawSegmentParser {
    enum Result {
        case malformed
        case badChecksum
        case segment(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                     IncomingSegment)
    }

    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        b.first.map { $0 >> 4 } == 6 ? parseIPv6(b) : parseIPv4(b)
    }

    /// The acceptance rules of `IPv4PacketView(validating:verifyChecksum: true)` (ToyTCPWire's views are
    /// the one implementation of the checks), in the engine's order: malformed IPv4 (RFC 791 §3.1), not
    /// TCP or a fragment, then the IPv4 header checksum (RFC 1122 §3.2.1.2), malformed TCP header, the
    /// TCP checksum (RFC 9293 §3.1 MUST-2), and last the options (RFC 9293 §3.2).
    static func parseIPv4(_ b: UnsafeRawBufferPointer) -> Result {
        guard let ip = try? IPv4HeaderView(validating: b), (try? ip.checkCarriesTCP()) != nil else {
            return .malformed
        }
        guard ip.isHeaderChecksumValid else { return .badChecksum }
        let source = ip.source, destination = ip.destination
        guard let tcp = try? TCPHeaderView(validating: ip.payload) else { return .malformed }
        guard tcp.isChecksumValid(source: source, destination: destination) else { return .badChecksum }
        return segment(tcp, source: .v4(source), destination: .v4(destination), ecn: ip.tos & 0x3)
    }

    /// The acceptance rules of `IPv6PacketView(validating:verifyChecksum: true)`: malformed IPv6 or an
    /// extension header cut short (RFC 8200 §4), not TCP or a real fragment (an atomic fragment passes,
    /// RFC 6946), malformed TCP header, the TCP checksum over the IPv6 pseudo-header with the final
    /// destination (RFC 8200 §8.1; IPv6 has no header checksum), and last the options. Extension headers
    /// are skipped, not acted on: a Routing header with segments left is not forwarded (we are a host).
    static func parseIPv6(_ b: UnsafeRawBufferPointer) -> Result {
        guard let ip = try? IPv6HeaderView(validating: b), (try? ip.checkCarriesTCP()) != nil,
              let tcp = try? TCPHeaderView(validating: ip.payload) else {
            return .malformed
        }
        let source = ip.source
        guard tcp.isChecksumValid(TCPPseudoHeader(source: source, destination: ip.finalDestination)) else {
            return .badChecksum
        }
        // RFC 3168 §9.1 / RFC 8200 §7: ECN is the low two bits of the traffic class.
        return segment(tcp, source: .v6(source), destination: .v6(ip.destination), ecn: ip.trafficClass & 0x3)
    }

    /// The segment of a checked header, its options last (RFC 9293 §3.2: a malformed list drops it).
    @inline(__always)
    private static func segment(_ tcp: TCPHeaderView, source: IPAddress, destination: IPAddress, ecn: UInt8) -> Result {
        var seg = IncomingSegment(
            seq: tcp.sequenceNumber, ack: tcp.acknowledgmentNumber, flags: tcp.flags,
            window: tcp.window, urgentPointer: tcp.urgentPointer, payload: tcp.payload)
        if tcp.headerLength > 20 {
            guard seg.takeOptions(tcp.options) else { return .malformed }
        }
        seg.ipECN = ecn
        return .segment(source: source, destination: destination,
                        sourcePort: tcp.sourcePort, destinationPort: tcp.destinationPort, seg)
    }
}

/// Writes an outgoing packet (IPv4 or IPv6 header as the tuple's family says, TCP header, options,
/// payload from the send buffer) with every checksum computed.
enum PacketEmitter {
    /// The hop limit of our IPv6 packets, as Linux's default `net.ipv6.conf.*.hop_limit` (RFC 8200 §3).
    static let hopLimit: UInt8 = 64

    /// `flowLabel`: the IPv6 flow label of the connection (`ISNGenerator.flowLabel`); unused for IPv4.
    static func emit(tuple: FourTuple, segment s: OutgoingSegment, payloadFrom buffer: ByteRing?,
                     identification: UInt16, flowLabel: UInt32 = 0, into w: inout ByteWriter) {
        let start = w.count
        let tcpLength = 20 + s.optionsLength + s.payloadLength
        switch (tuple.local.address, tuple.remote.address) {
        case (.v4(let local), .v4(let remote)):
            // IPv4 header (RFC 791): version/IHL, TOS, total length, id, DF, TTL 64, protocol 6.
            w.write(UInt8(0x45)); w.write(s.ipECN)
            w.write(UInt16(truncatingIfNeeded: 20 + tcpLength))
            w.write(identification)
            w.write(UInt16(0x4000))
            w.write(UInt8(64)); w.write(UInt8(6))
            w.write(UInt16(0))
            w.write(local.rawValue)
            w.write(remote.rawValue)
        default:
            // IPv6 header (RFC 8200 §3): version 6, traffic class = ECN (DSCP 0), the flow's label (RFC
            // 6437 §3), payload length, next header TCP, hop limit; no extension headers.
            // A mixed pair cannot arise (the stack only pairs addresses of one family).
            let local = tuple.local.address.bits128, remote = tuple.remote.address.bits128
            w.write(UInt32(6) << 28 | UInt32(s.ipECN) << 20 | flowLabel & 0xF_FFFF)
            w.write(UInt16(truncatingIfNeeded: tcpLength))
            w.write(UInt8(6)); w.write(hopLimit)
            w.write(local.high); w.write(local.low)
            w.write(remote.high); w.write(remote.low)
        }
        let tcpStart = w.count
        w.write(tuple.localPort)
        w.write(tuple.remotePort)
        w.write(s.seq.rawValue)
        w.write(s.ack.rawValue)
        let offsetWords = UInt8(truncatingIfNeeded: (20 + s.optionsLength) / 4)
        w.write(offsetWords << 4 | UInt8(truncatingIfNeeded: s.flags.rawValue >> 8))
        w.write(UInt8(truncatingIfNeeded: s.flags.rawValue))
        w.write(s.window)
        w.write(UInt16(0))
        w.write(s.urgentPointer)
        s.emitOptions(into: &w)
        if s.payloadLength > 0, let buffer {
            buffer.withRegions(from: s.payloadOffset, count: s.payloadLength) { w.write(contentsOf: $0) }
        }
        let pseudoHeader = TCPPseudoHeader(source: tuple.local.address, destination: tuple.remote.address)
        let isIPv6 = tuple.isIPv6
        let (ipSum, tcpSum) = w.bytes.withUnsafeBytes { all -> (UInt16, UInt16) in
            let ip = isIPv6 ? 0 : InternetChecksum.ipv4Header(UnsafeRawBufferPointer(rebasing: all[start..<(start + 20)]))
            return (ip, pseudoHeader.checksum(UnsafeRawBufferPointer(rebasing: all[tcpStart...])))
        }
        if !isIPv6 { w.set(ipSum, at: start + 10) }
        w.set(tcpSum, at: tcpStart + 16)
    }
}
