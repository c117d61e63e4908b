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

    /// The same acceptance rules as `IPv4Packet.parse(_:verifyChecksum: true)`, plus the IP header checksum.
    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        let n = b.count
        guard n >= 20 else { return .malformed }
        let vihl = b[0]
        guard vihl >> 4 == 4 else { return .malformed }
        let hl = Int(vihl & 0x0F) * 4
        guard hl >= 20, hl <= n else { return .malformed }
        let total = Int(b[2]) << 8 | Int(b[3])
        guard total >= hl, total <= n else { return .malformed }
        guard b[9] == 6 else { return .malformed }
        let fragment = UInt16(b[6]) << 8 | UInt16(b[7])
        guard fragment & 0x3FFF == 0 else { return .malformed }
        guard InternetChecksum.ipv4Header(UnsafeRawBufferPointer(rebasing: b[0..<hl])) == 0 else { return .badChecksum }
        let source = IPv4Address(rawValue: load32(b, 12))
        let destination = IPv4Address(rawValue: load32(b, 16))
        let t = UnsafeRawBufferPointer(rebasing: b[hl..<total])
        let tn = t.count
        guard tn >= 20 else { return .malformed }
        let dataOffset = Int(t[12] >> 4) * 4
        guard dataOffset >= 20, dataOffset <= tn else { return .malformed }
        guard InternetChecksum.tcp(t, source: source, destination: destination) == 0 else { return .badChecksum }
        let flags = TCPFlags(rawValue: UInt16(t[12] & 1) << 8 | UInt16(t[13]))
        var seg = IncomingSegment(
            seq: SequenceNumber(load32(t, 4)), ack: SequenceNumber(load32(t, 8)), flags: flags,
            window: UInt16(t[14]) << 8 | UInt16(t[15]), urgentPointer: UInt16(t[18]) << 8 | UInt16(t[19]),
            payload: UnsafeRawBufferPointer(rebasing: t[dataOffset...]))
        if dataOffset > 20 {
            guard seg.parseOptions(UnsafeRawBufferPointer(rebasing: t[20..<dataOffset])) else { return .malformed }
        }
        return .segment(source: source, destination: destination,
                        sourcePort: UInt16(t[0]) << 8 | UInt16(t[1]),
                        destinationPort: UInt16(t[2]) << 8 | UInt16(t[3]), seg)
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
        w.write(UInt8(0x45)); w.write(UInt8(0))
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
        w.write(UInt16(0))
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
