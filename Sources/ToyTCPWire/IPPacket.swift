/// An owned IP packet carrying TCP, of either family: the lossless value form beside `IPPacketView`.
public enum IPPacket: Hashable, Sendable {
    case v4(IPv4Packet)
    case v6(IPv6Packet)

    /// The TCP segment.
    public var segment: TCPSegment {
        get {
            switch self {
            case .v4(let p): return p.segment
            case .v6(let p): return p.segment
            }
        }
        set {
            switch self {
            case .v4(var p): p.segment = newValue; self = .v4(p)
            case .v6(var p): p.segment = newValue; self = .v6(p)
            }
        }
    }

    /// Whether this is an IPv6 packet.
    public var isIPv6: Bool { if case .v6 = self { return true } else { return false } }

    /// The length of the IP header(s) before the segment (IPv4 options or IPv6 extension headers included).
    public var ipHeaderLength: Int {
        switch self {
        case .v4(let p): return p.header.headerLength
        case .v6(let p): return p.header.headerLength
        }
    }

    /// The whole packet's length once emitted.
    public var encodedLength: Int {
        switch self {
        case .v4(let p): return p.encodedLength
        case .v6(let p): return p.encodedLength
        }
    }

    public var source: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.header.source)
        case .v6(let p): return .v6(p.header.source)
        }
    }

    public var destination: IPAddress {
        switch self {
        case .v4(let p): return .v4(p.header.destination)
        case .v6(let p): return .v6(p.header.destination)
        }
    }

    /// The packet's bytes (checksums computed unless told otherwise).
    public func bytes(tcpChecksum: TCPSegment.ChecksumMode = .compute) -> [UInt8] {
        switch self {
        case .v4(let p): return p.bytes(tcpChecksum: tcpChecksum)
        case .v6(let p): return p.bytes(tcpChecksum: tcpChecksum)
        }
    }

    /// Parses either family by the version nibble (see `IPPacketView` for the checks).
    public static func parse(_ bytes: [UInt8], verifyChecksum: Bool = false) throws(WireError) -> IPPacket {
        if bytes.first.map({ $0 >> 4 }) == 6 { return .v6(try IPv6Packet.parse(bytes, verifyChecksum: verifyChecksum)) }
        return .v4(try IPv4Packet.parse(bytes, verifyChecksum: verifyChecksum))
    }
}
