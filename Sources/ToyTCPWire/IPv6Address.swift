/// An IPv6 address (RFC 4291 §2), stored as two 64-bit halves in host order; `description` is the
/// canonical text form of RFC 5952 §4.
///
/// The text form is the one `inet_ntop` (and tcpdump's `addrtostr6`) writes: lowercase hex, no leading
/// zeros, the longest run of two or more zero groups as `::` (the first on a tie, RFC 5952 §4.2.3), and
/// the last 32 bits dotted for the IPv4-mapped `::ffff:a.b.c.d` and the old IPv4-compatible `::a.b.c.d`
/// (RFC 5952 §5), so our text and tcpdump's agree byte for byte.
@frozen
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Bytes 0..<8, most significant first.
    public var high: UInt64
    /// Bytes 8..<16.
    public var low: UInt64

    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address in the 16 bytes at `offset` of `bytes` (the caller has checked they are there; a
    /// range past the end traps, as an out-of-bounds subscript would).
    @inlinable
    public init(bytes: UnsafeRawBufferPointer, at offset: Int) {
        if let base = bytes.baseAddress, offset >= 0, offset + 16 <= bytes.count {
            // Two unaligned big-endian loads (the decoder reads two addresses per packet).
            high = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            low = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        } else {
            // Out of range: the subscripts trap, as any read past a buffer does.
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(bytes[offset + i]) }
            for i in 8..<16 { l = l << 8 | UInt64(bytes[offset + i]) }
            high = h
            low = l
        }
    }

    /// The address from eight 16-bit groups, most significant first (`IPv6Address(0xfd00, 0, 0, 0, 0, 0, 0, 1)`).
    @inlinable
    public init(_ g0: UInt16, _ g1: UInt16, _ g2: UInt16, _ g3: UInt16,
                _ g4: UInt16, _ g5: UInt16, _ g6: UInt16, _ g7: UInt16) {
        high = UInt64(g0) << 48 | UInt64(g1) << 32 | UInt64(g2) << 16 | UInt64(g3)
        low = UInt64(g4) << 48 | UInt64(g5) << 32 | UInt64(g6) << 16 | UInt64(g7)
    }

    /// The IPv4-mapped address `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2).
    @inlinable
    public init(ipv4Mapped v4: IPv4Address) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(v4.rawValue)
    }

    /// The eight 16-bit groups, most significant first.
    @inlinable
    public var groups: [UInt16] {
        (0..<8).map { i in UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> (48 - 16 * UInt64(i % 4))) }
    }

    /// Byte `i` (0..<16), most significant first.
    @inlinable
    public func byte(_ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (56 - 8 * UInt64(i % 8)))
    }

    /// The 16 bytes, most significant first.
    public var bytes: [UInt8] { (0..<16).map(byte) }

    /// The IPv4 address of an IPv4-mapped address (`::ffff:a.b.c.d`), else nil.
    @inlinable
    public var ipv4Mapped: IPv4Address? {
        high == 0 && low >> 32 == 0xFFFF ? IPv4Address(rawValue: UInt32(truncatingIfNeeded: low)) : nil
    }

    public static let any = IPv6Address(high: 0, low: 0)
    public static let loopback = IPv6Address(high: 0, low: 1)

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// Whether the address lies in `network/prefixLength` (RFC 4291 §2.3).
    @inlinable
    public func isIn(network: IPv6Address, prefixLength: Int) -> Bool {
        let p = max(0, min(128, prefixLength))
        let highMask: UInt64 = p >= 64 ? ~0 : (p == 0 ? 0 : ~(UInt64.max >> UInt64(p)))
        let lowMask: UInt64 = p <= 64 ? 0 : (p >= 128 ? ~0 : ~(UInt64.max >> UInt64(p - 64)))
        return high & highMask == network.high & highMask && low & lowMask == network.low & lowMask
    }

    /// The longest text form: 8 groups of 4 digits and 7 colons (`INET6_ADDRSTRLEN` is 46 with the NUL).
    public static let maximumTextLength = 45

    /// Writes the RFC 5952 text into `buffer` (at least `maximumTextLength` bytes) and returns how many
    /// bytes were written. Allocation-free, for the decoder's hot path.
    @inlinable
    public func writeText(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var w: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (
            UInt16(truncatingIfNeeded: high >> 48), UInt16(truncatingIfNeeded: high >> 32),
            UInt16(truncatingIfNeeded: high >> 16), UInt16(truncatingIfNeeded: high),
            UInt16(truncatingIfNeeded: low >> 48), UInt16(truncatingIfNeeded: low >> 32),
            UInt16(truncatingIfNeeded: low >> 16), UInt16(truncatingIfNeeded: low))
        return withUnsafeBytes(of: &w) { raw -> Int in
            let words = raw.assumingMemoryBound(to: UInt16.self)
            // The longest run of zero groups (first on a tie); a run of one is not compressed (RFC 5952 §4.2.2).
            var bestBase = -1, bestLength = 0, base = -1, length = 0
            for i in 0..<8 {
                if words[i] == 0 {
                    if base < 0 { base = i; length = 1 } else { length += 1 }
                    if length > bestLength { bestBase = base; bestLength = length }
                } else {
                    base = -1
                }
            }
            if bestLength < 2 { bestBase = -1 }
            var n = 0
            @inline(__always) func put(_ c: UInt8) { buffer[n] = c; n += 1 }
            var i = 0
            while i < 8 {
                if i == bestBase {
                    put(0x3A)
                    i += bestLength
                    if i == 8 { put(0x3A) }
                    continue
                }
                if i != 0 { put(0x3A) }
                // An IPv4-compatible (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d) tail, as inet_ntop.
                if i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xFFFF)) {
                    for (k, octet) in [words[6] >> 8, words[6] & 0xFF, words[7] >> 8, words[7] & 0xFF].enumerated() {
                        if k > 0 { put(0x2E) }
                        if octet >= 100 { put(0x30 + UInt8(octet / 100)) }
                        if octet >= 10 { put(0x30 + UInt8(octet / 10 % 10)) }
                        put(0x30 + UInt8(octet % 10))
                    }
                    return n
                }
                let g = words[i]
                var started = false
                for shift in stride(from: 12, through: 0, by: -4) {
                    let d = UInt8(truncatingIfNeeded: g >> UInt16(shift)) & 0x0F
                    if d != 0 || started || shift == 0 {
                        put(d < 10 ? 0x30 + d : 0x57 + d)
                        started = true
                    }
                }
                i += 1
            }
            return n
        }
    }

    public var description: String {
        withUnsafeTemporaryAllocation(byteCount: Self.maximumTextLength, alignment: 1) { buffer in
            let n = writeText(into: buffer)
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
        }
    }

    /// Parses the text forms of RFC 4291 §2.2: eight groups of one to four hex digits, one `::` for a run
    /// of zero groups, and an optional dotted IPv4 tail (`::ffff:10.0.0.1`); `nil` for anything else
    /// (brackets, zone ids and prefix lengths are the caller's to strip).
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var i = 0
        // A leading "::" or a single leading ':' (invalid).
        if utf8[0] == 0x3A {
            guard utf8.count >= 2, utf8[1] == 0x3A else { return nil }
            sawDoubleColon = true
            i = 2
            if i == utf8.count { self.init(high: 0, low: 0); return }
        }
        while i < utf8.count {
            // One group (hex) or a dotted IPv4 tail.
            var j = i
            while j < utf8.count, utf8[j] != 0x3A { j += 1 }
            let field = utf8[i..<j]
            if field.contains(0x2E) {
                // The IPv4 tail must be last and leave room for two groups.
                guard j == utf8.count, let v4 = IPv4Address(String(decoding: field, as: UTF8.self)) else { return nil }
                let groups = [UInt16(truncatingIfNeeded: v4.rawValue >> 16), UInt16(truncatingIfNeeded: v4.rawValue)]
                if sawDoubleColon { tail += groups } else { head += groups }
                i = j
                break
            }
            guard (1...4).contains(field.count) else { return nil }
            var value: UInt16 = 0
            for c in field {
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x61...0x66: d = c - 0x57
                case 0x41...0x46: d = c - 0x37
                default: return nil
                }
                value = value << 4 | UInt16(d)
            }
            if sawDoubleColon { tail.append(value) } else { head.append(value) }
            i = j
            guard i < utf8.count else { break }
            // At a ':'. A second one right after is the "::".
            i += 1
            guard i < utf8.count else { return nil }   // a trailing single ':'
            if utf8[i] == 0x3A {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                i += 1
            }
        }
        let count = head.count + tail.count
        if sawDoubleColon {
            guard count <= 7 else { return nil }
        } else {
            guard count == 8 else { return nil }
        }
        let g = head + Array(repeating: 0, count: 8 - count) + tail
        self.init(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
    }
}
