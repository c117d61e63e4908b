/// The character generator pattern of RFC 864: lines of 72 printable ASCII characters, each starting
/// one character further along the 95 printable characters, ended by CR LF. The byte at any offset of
/// the stream is computable, so a receiver can check what it got without keeping a copy.
///
/// The stream repeats every 95 lines (7030 bytes); `fill` copies from one precomputed cycle.
public enum ChargenPattern {
    public static let lineLength = 74
    /// Bytes after which the stream repeats: 95 lines.
    public static let cycleLength = 95 * lineLength

    /// The byte at `offset` of the stream.
    @inlinable
    public static func byte(at offset: Int) -> UInt8 {
        let line = offset / lineLength
        let column = offset % lineLength
        if column == 72 { return 13 }
        if column == 73 { return 10 }
        return UInt8(32 + (line + column) % 95)
    }

    /// One full cycle of the stream.
    static let cycle: [UInt8] = (0..<cycleLength).map { byte(at: $0) }

    /// Replaces `buffer` with `count` bytes of the stream from `offset`.
    public static func fill(_ buffer: inout [UInt8], from offset: Int, count: Int) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(count)
        var position = offset % cycleLength
        var remaining = count
        cycle.withUnsafeBufferPointer { c in
            while remaining > 0 {
                let n = min(remaining, cycleLength - position)
                buffer.append(contentsOf: c[position..<(position + n)])
                remaining -= n
                position = 0
            }
        }
    }
}
