/// The four-tuple of a TCP segment in either family (RFC 9293 §3.2 "socket pair"): the key every other
/// module uses for a conversation, so none of them reads addresses out of bytes itself.
public struct TCPFlowKey: Hashable, Sendable, CustomStringConvertible {
    public var source: IPEndpoint
    public var destination: IPEndpoint

    public init(source: IPEndpoint, destination: IPEndpoint) {
        self.source = source
        self.destination = destination
    }

    /// The same conversation seen from the other end.
    public var reversed: TCPFlowKey { TCPFlowKey(source: destination, destination: source) }

    /// Whether this direction is the canonical one of its conversation, tcpdump's rule for sharing one
    /// entry between both directions: the lower port first, and on equal ports the lower address.
    public var isCanonical: Bool {
        source.port < destination.port || (source.port == destination.port && !(destination.address < source.address))
    }

    /// The key in canonical direction (both directions of a conversation give the same value).
    public var canonical: TCPFlowKey { isCanonical ? self : reversed }

    /// `10.0.0.1:40000 > 10.0.1.1:80`, `[fd00::1]:40000 > [fd00:1::1]:80`.
    public var description: String { "\(source) > \(destination)" }
}

/// A validated view of an IP packet carrying TCP, of either family: the version nibble picks
/// `IPv4PacketView` or `IPv6PacketView`, whose gates do all the checking.
@frozen
public enum IPPacketView {
    case v4(IPv4PacketView)
    case v6(IPv6PacketView)

    /// Checks a whole packet of either family (see the two views' gates). Errors: no byte, or a version
    /// other than 4 or 6 (`ipBadVersion`, byte 0); then the family's own.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = false) throws(WireError) {
        guard let first = bytes.first else { throw WireError(.ipBadVersion(nil), at: 0) }
        switch first >> 4 {
        case 4: self = .v4(try IPv4PacketView(validating: bytes, verifyChecksum: verifyChecksum))
        case 6: self = .v6(try IPv6PacketView(validating: bytes, verifyChecksum: verifyChecksum))
        default: throw WireError(.ipBadVersion(first >> 4), at: 0)
        }
    }

    @inlinable
    public var tcp: TCPHeaderView {
        switch self {
        case .v4(let p): return p.tcp
        case .v6(let p): return p.tcp
        }
    }

    @inlinable
    public var source: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.ip.source)
        case .v6(let p): return .v6(p.ip.source)
        }
    }

    @inlinable
    public var destination: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.ip.destination)
        case .v6(let p): return .v6(p.ip.destination)
        }
    }

    /// The segment's four-tuple.
    @inlinable
    public var flowKey: TCPFlowKey {
        let t = tcp
        return TCPFlowKey(source: IPEndpoint(address: source, port: t.sourcePort),
                          destination: IPEndpoint(address: destination, port: t.destinationPort))
    }

    /// The pseudo-header of the TCP checksum (the final destination for IPv6, RFC 8200 §8.1).
    @inlinable
    public var pseudoHeader: TCPPseudoHeader {
        switch self {
        case .v4(let p): return TCPPseudoHeader(source: p.ip.source, destination: p.ip.destination)
        case .v6(let p): return TCPPseudoHeader(source: p.ip.source, destination: p.ip.finalDestination)
        }
    }
}

extension IPPacketView {
    /// The TCP source port of an IPv4 or IPv6 packet (no IPv6 extension header), or nil when `bytes`
    /// is not long enough to hold one: a read of two bytes, without the views' full gates (options,
    /// lengths). For packets this process built, which the full gates have no reason to doubt: the live
    /// loop admits each new port of its own segments into its receive filter this way.
    @inlinable
    public static func tcpSourcePort(of bytes: UnsafeRawBufferPointer) -> UInt16? {
        guard let first = bytes.first else { return nil }
        let offset: Int
        switch first >> 4 {
        case 4:
            guard bytes.count > 9, bytes[9] == 6 else { return nil }   // RFC 791: protocol 6 is TCP
            offset = Int(first & 0x0F) * 4
            guard offset >= 20 else { return nil }
        case 6:
            guard bytes.count > 6, bytes[6] == 6 else { return nil }   // RFC 8200: next header TCP
            offset = 40
        default:
            return nil
        }
        guard bytes.count >= offset + 2 else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
