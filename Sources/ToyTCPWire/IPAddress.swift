/// An address of either family: what a flow key, a connection's ends and a script's endpoints hold.
///
/// Wire is the one module that reads addresses out of packets and text; every other module takes this
/// value (or the `TCPFlowKey` built from it) rather than looking at bytes or splitting strings.
@frozen
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family's text form (`10.0.0.1`, `fd00::1`); brackets are not part of an address.
    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) {
            self = .v4(a)
        } else if let a = IPv6Address(text) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    /// Whether this is an IPv6 address.
    @inlinable
    public var isIPv6: Bool { if case .v6 = self { return true } else { return false } }

    /// The IPv4 address, or `nil` for an IPv6 one.
    @inlinable
    public var ipv4: IPv4Address? { if case .v4(let a) = self { return a } else { return nil } }

    /// The IP version number (4 or 6) of the family.
    @inlinable
    public var version: Int { isIPv6 ? 6 : 4 }

    /// The address as 128 bits: an IPv6 address as it is, an IPv4 address IPv4-mapped (RFC 4291
    /// §2.5.5.2). With `isIPv6`, a hashable key for tables that hold both families.
    @inlinable
    public var bits128: (high: UInt64, low: UInt64) {
        switch self {
        case .v4(let a): return (0, 0xFFFF_0000_0000 | UInt64(a.rawValue))
        case .v6(let a): return (a.high, a.low)
        }
    }

    /// The unspecified address of the same family (`0.0.0.0` or `::`).
    @inlinable
    public var unspecified: IPAddress { isIPv6 ? .v6(.any) : .v4(.any) }

    /// Whether this is the unspecified address of its family.
    @inlinable
    public var isUnspecified: Bool { self == unspecified }

    /// IPv4 before IPv6, then numerically within a family.
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x < y
        case (.v6(let x), .v6(let y)): return x < y
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

/// An address and a port, with the text forms of RFC 3986 §3.2.2 / RFC 5952 §6: `10.0.0.1:80` and
/// `[fd00::1]:80` (an IPv6 address is bracketed so its colons are not read as the port's).
public struct IPEndpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public init(address: IPv4Address, port: UInt16) {
        self.init(address: .v4(address), port: port)
    }

    /// Parses `A.B.C.D:PORT` or `[IPV6]:PORT`; nil for anything else (an unbracketed IPv6 address is
    /// refused: `fd00::1:80` could be the address `fd00::1:80` or `fd00::1` port 80).
    public init?(_ text: some StringProtocol) {
        let s = Substring(text)
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]"), let a = IPv6Address(s[s.index(after: s.startIndex)..<close]) else { return nil }
            let rest = s[s.index(after: close)...]
            guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else { return nil }
            self.init(address: .v6(a), port: p)
        } else {
            guard let colon = s.lastIndex(of: ":"), let a = IPv4Address(s[s.startIndex..<colon]),
                  let p = UInt16(s[s.index(after: colon)...]) else { return nil }
            self.init(address: .v4(a), port: p)
        }
    }

    /// `10.0.0.1:80` or `[fd00::1]:80`.
    public var description: String {
        switch address {
        case .v4(let a): return "\(a):\(port)"
        case .v6(let a): return "[\(a)]:\(port)"
        }
    }

    public static func < (a: IPEndpoint, b: IPEndpoint) -> Bool { (a.address, a.port) < (b.address, b.port) }
}

extension IPAddress {
    /// The source address of the IPv4 or IPv6 header at the start of `packet`, by its version nibble;
    /// nil when the bytes are too few for it or the version is neither. For hot paths (the decoder's
    /// flow table), where the header has been length-checked already and a full view would be waste.
    @inlinable
    public static func source(ofPacket packet: UnsafeRawBufferPointer) -> IPAddress? {
        address(packet, v4: 12, v6: 8)
    }

    /// The destination address field of the header at the start of `packet` (see `source(ofPacket:)`).
    @inlinable
    public static func destination(ofPacket packet: UnsafeRawBufferPointer) -> IPAddress? {
        address(packet, v4: 16, v6: 24)
    }

    @inlinable
    static func address(_ p: UnsafeRawBufferPointer, v4: Int, v6: Int) -> IPAddress? {
        guard let first = p.first else { return nil }
        switch first >> 4 {
        case 4:
            guard p.count >= v4 + 4 else { return nil }
            return .v4(IPv4Address(rawValue: ByteReader(p).u32(v4)))
        case 6:
            guard p.count >= v6 + 16 else { return nil }
            return .v6(IPv6Address(bytes: p, at: v6))
        default:
            return nil
        }
    }
}
