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
