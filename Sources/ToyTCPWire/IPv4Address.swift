/// An IPv4 address, stored in host order; `description` is dotted-quad.
@frozen
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address as a 32-bit number, most significant octet first (10.0.0.1 is 0x0A00_0001).
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text (`10.0.0.1`); `nil` if it is anything else.
    ///
    /// Four decimal octets 0...255, as `inet_pton` accepts them: a leading zero (`010.0.0.1`) is refused
    /// rather than guessed at, since `inet_aton` would read it as octal (8) and a human as 10.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var parts = 0
        for ch in text.utf8 {
            if ch >= UInt8(ascii: "0") && ch <= UInt8(ascii: "9") {
                if digits == 1 && octet == 0 { return nil }
                octet = octet * 10 + UInt32(ch - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            } else if ch == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | octet
                octet = 0; digits = 0; parts += 1
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        rawValue = value << 8 | octet
    }

    /// The four octets, most significant first.
    @inlinable
    public var octets: (UInt8, UInt8, UInt8, UInt8) {
        (UInt8(truncatingIfNeeded: rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
         UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue))
    }

    public var description: String {
        let o = octets
        return "\(o.0).\(o.1).\(o.2).\(o.3)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let any = IPv4Address(rawValue: 0)
    public static let loopback = IPv4Address(127, 0, 0, 1)

    /// Whether the address lies in `network/prefixLength`.
    @inlinable
    public func isIn(network: IPv4Address, prefixLength: Int) -> Bool {
        guard prefixLength > 0 else { return true }
        let mask: UInt32 = prefixLength >= 32 ? ~0 : ~(UInt32.max >> UInt32(prefixLength))
        return rawValue & mask == network.rawValue & mask
    }
}
