import ToyTCPWire

/// Presents what our stack sends in one burst as Linux's tun0 presents the kernel's: back-to-back
/// data segments of one connection as one GSO super-segment (up to 64 KB), which is what packetdrill
/// scripts written against Linux expect (`> P. 1:10001(10000)` for an initial window of ten 1000-byte
/// segments). On a wire they are separate segments; only the presentation changes, never the engine.
///
/// Merged: new data (never a retransmission: Linux retransmits segment by segment) sent at the same
/// instant, on the same connection, in sequence order with nothing between them, carrying no flag but
/// ACK and PSH, with the same ACK and window. The super-segment has the first one's header and options
/// and PSH if any of them had it. Either family: Linux offloads TCPv4 and TCPv6 alike (TUN_F_TSO4/6).
struct GSOCoalescer {
    /// Linux's `GSO_LEGACY_MAX_SIZE`: 65536 bytes of IP packet.
    static let maximumPacket = 65536

    /// Per connection (local port, remote port): the highest sequence number sent so far.
    var sentUpTo: [UInt32: SequenceNumber] = [:]

    mutating func merge(_ packets: [[UInt8]]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var open: IPPacket?
        func flush() {
            if let p = open { out.append(p.bytes()) }
            open = nil
        }
        for bytes in packets {
            guard let p = try? IPPacket.parse(bytes), isNewData(p.segment), GSOCoalescer.mergeable(p.segment) else {
                flush()
                out.append(bytes)
                continue
            }
            if var o = open, GSOCoalescer.continues(o, with: p), o.encodedLength + p.segment.payload.count <= GSOCoalescer.maximumPacket {
                o.segment.payload += p.segment.payload
                if p.segment.flags.contains(.psh) { o.segment.flags.insert(.psh) }
                open = o
            } else {
                flush()
                open = p
            }
        }
        flush()
        return out
    }

    /// Whether `s` sends bytes beyond any sent before on its connection (and notes what it sends).
    mutating func isNewData(_ s: TCPSegment) -> Bool {
        let key = UInt32(s.sourcePort) << 16 | UInt32(s.destinationPort)
        let end = s.sequenceNumber + s.sequenceLength
        if s.flags.contains(.syn) { sentUpTo[key] = end; return false }
        guard let high = sentUpTo[key] else { sentUpTo[key] = end; return true }
        if high < end { sentUpTo[key] = end }
        return !(s.sequenceNumber < high)
    }

    static func mergeable(_ s: TCPSegment) -> Bool {
        !s.payload.isEmpty && s.flags.subtracting([.ack, .psh]).isEmpty && s.flags.contains(.ack)
    }

    static func continues(_ a: IPPacket, with b: IPPacket) -> Bool {
        a.source == b.source && a.destination == b.destination
            && a.segment.sourcePort == b.segment.sourcePort && a.segment.destinationPort == b.segment.destinationPort
            && a.segment.sequenceNumber + a.segment.payload.count == b.segment.sequenceNumber
            && a.segment.acknowledgmentNumber == b.segment.acknowledgmentNumber && a.segment.window == b.segment.window
    }
}
