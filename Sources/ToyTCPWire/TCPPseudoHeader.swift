/// The addresses of a TCP checksum's pseudo-header, summed once, for either family.
///
/// IPv4 (RFC 9293 §3.1): source, destination, zero, protocol 6, 16-bit TCP length. IPv6 (RFC 8200
/// §8.1): source, final destination, 32-bit upper-layer length, three zero bytes, next header 6. The
/// address words are summed here; the protocol and the length are added with the segment.
@frozen
public struct TCPPseudoHeader: Sendable, Hashable {
    /// The ones'-complement sum of the address words, not folded.
    @usableFromInline let addressSum: UInt64
    @usableFromInline let isIPv6: Bool

    @inlinable
    public init(source: IPv4Address, destination: IPv4Address) {
        addressSum = UInt64(source.rawValue >> 16) &+ UInt64(source.rawValue & 0xFFFF)
            &+ UInt64(destination.rawValue >> 16) &+ UInt64(destination.rawValue & 0xFFFF)
        isIPv6 = false
    }

    /// `destination` is the final destination (`IPv6HeaderView.finalDestination`) when a Routing header
    /// has segments left.
    @inlinable
    public init(source: IPv6Address, destination: IPv6Address) {
        var s: UInt64 = 0
        for half in [source.high, source.low, destination.high, destination.low] {
            s &+= (half >> 48) &+ (half >> 32 & 0xFFFF) &+ (half >> 16 & 0xFFFF) &+ (half & 0xFFFF)
        }
        addressSum = s
        isIPv6 = true
    }

    /// Either family; a mixed pair (a programming error) is summed as IPv6 with the IPv4 one IPv4-mapped.
    @inlinable
    public init(source: IPAddress, destination: IPAddress) {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)): self.init(source: s, destination: d)
        default:
            let s = source.bits128, d = destination.bits128
            self.init(source: IPv6Address(high: s.high, low: s.low), destination: IPv6Address(high: d.high, low: d.low))
        }
    }

    /// The TCP checksum of `segment` (header with its checksum field as it is, and payload): what to
    /// write when the field is zero, and 0 when the carried checksum is right.
    @inlinable
    public func checksum(_ segment: UnsafeRawBufferPointer) -> UInt16 {
        var c = InternetChecksum()
        let n = UInt64(segment.count)
        c.sum = addressSum &+ 6 &+ (isIPv6 ? (n >> 16) &+ (n & 0xFFFF) : n & 0xFFFF)
        c.add(segment)
        return c.value
    }
}
