// Read first: RFC 791 §3.1 (IPv4 header), RFC 9293 §3.1 (TCP header and checksum over the pseudo-header),
// RFC 1071 (the Internet checksum).
//
// The engine's fast path for bytes: one pass over a received packet into an `IncomingSegment` (no
// arrays), and one pass writing an outgoing packet straight from the send buffer. The value types of
// ToyTCPWire (`IPv4Packet`, `TCPSegment`) remain the lossless form for tools and tests.
import ToyTCPWire

/// Validates and parses a received IPv4/TCP packet in place.
enum RawSegmentParser {
    enum Result {
        case malformed
        case badChecksum
        case segment(source: IPv4Address, destination: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
                     IncomingSegment)
    }

    /// The acceptance rules of `IPv4PacketView(validating:verifyChecksum: true)` (ToyTCPWire's views are
    /// the one implementation of the checks), in the engine's order: malformed IPv4 (RFC 791 §3.1), not
    /// TCP or a fragment, then the IPv4 header checksum (RFC 1122 §3.2.1.2), malformed TCP header, the
    /// TCP checksum (RFC 9293 §3.1 MUST-2), and last the options (RFC 9293 §3.2).
    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        guard let ip = try? IPv4HeaderView(validating: b), (try? ip.checkCarriesTCP()) != nil else {
            return .malformed
        }
        guard ip.isHeaderChecksumValid else { return .badChecksum }
        let source = ip.source, destination = ip.destination
        guard let tcp = try? TCPHeaderView(validating: ip.payload) else { return .malformed }
        guard tcp.isChecksumValid(source: source, destination: destination) else { return .badChecksum }
        var seg = IncomingSegment(
            seq: tcp.sequenceNumber, ack: tcp.acknowledgmentNumber, flags: tcp.flags,
            window: tcp.window, urgentPointer: tcp.urgentPointer, payload: tcp.payload)
        if tcp.headerLength > 20 {
            guard seg.takeOptions(tcp.options) else { return .malformed }
        }
        seg.ipECN = ip.tos & 0x3
        return .segment(source: source, destination: destination,
                        sourcePort: tcp.sourcePort, destinationPort: tcp.destinationPort, seg)
    }
}

/// Writes an outgoing packet (IPv4 header, TCP header, options, payload from the send buffer) with
/// both checksums computed.
enum PacketEmitter {
    static func emit(tuple: FourTuple, segment s: OutgoingSegment, payloadFrom buffer: ByteRing?,
                     identification: UInt16, into w: inout ByteWriter) {
        let start = w.count
        let tcpLength = 20 + s.optionsLength + s.payloadLength
        // IPv4 header (RFC 791): version/IHL, TOS, total length, id, DF, TTL 64, protocol 6.
        w.write(UInt8(0x45)); w.write(s.ipECN)
        w.write(UInt16(truncatingIfNeeded: 20 + tcpLength))
        w.write(identification)
        w.write(UInt16(0x4000))
        w.write(UInt8(64)); w.write(UInt8(6))
        w.write(UInt16(0))
        w.write(tuple.localAddress.rawValue)
        w.write(tuple.remoteAddress.rawValue)
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
        let (ipSum, tcpSum) = w.bytes.withUnsafeBytes { all -> (UInt16, UInt16) in
            let ip = InternetChecksum.ipv4Header(UnsafeRawBufferPointer(rebasing: all[start..<(start + 20)]))
            let tcp = InternetChecksum.tcp(UnsafeRawBufferPointer(rebasing: all[tcpStart...]),
                                           source: tuple.localAddress, destination: tuple.remoteAddress)
            return (ip, tcp)
        }
        w.set(ipSum, at: start + 10)
        w.set(tcpSum, at: tcpStart + 16)
    }
}
