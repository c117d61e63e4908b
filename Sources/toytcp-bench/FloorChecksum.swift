/// The fastest plain-Swift Internet checksum we know for the floor benchmark: RFC 1071 §2 (B) and (C),
/// 32-bit halves of 64-bit native loads summed in two accumulators with carries deferred, one byte
/// swap at the end. The floor must not be slower than what the engine itself uses, or the ratio lies.
enum FloorChecksum {
    /// The TCP checksum of `segment` over the IPv4 pseudo-header (0 when a carried checksum verifies).
    @inline(__always)
    static func tcp(_ segment: UnsafeRawBufferPointer, source: UInt32, destination: UInt32) -> UInt16 {
        var s = UInt64(source >> 16) &+ UInt64(source & 0xFFFF) &+ UInt64(destination >> 16)
            &+ UInt64(destination & 0xFFFF) &+ 6 &+ UInt64(segment.count & 0xFFFF)
        s &+= UInt64(sum(segment))
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return ~UInt16(truncatingIfNeeded: s)
    }

    /// The folded ones'-complement sum of `bytes` as big-endian 16-bit words.
    @inline(__always)
    static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        var a: UInt64 = 0, b: UInt64 = 0
        var i = 0
        while i + 16 <= n {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let y = base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
            a &+= (x & 0xFFFF_FFFF) &+ (x >> 32)
            b &+= (y & 0xFFFF_FFFF) &+ (y >> 32)
            i += 16
        }
        var s = a &+ b
        while i + 2 <= n {
            s &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < n { s &+= UInt64(bytes[i]) }   // little-endian host: the odd byte is a word's low byte
        while s >> 16 != 0 { s = (s & 0xFFFF) &+ (s >> 16) }
        return UInt16(truncatingIfNeeded: s).byteSwapped
    }
}
