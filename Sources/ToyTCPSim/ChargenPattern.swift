/// The character generator pattern of RFC 864: lines of 72 printable ASCII characters, each starting
/// one character further along the 95 printable characters, ended by CR LF. The byte at any offset of
/// the stream is computable, so a receiver can check what it got without keeping a copy.
public struct ChargenPattern: Sendable {
    public static let lineLength = 74
    public init() {}

    /// The byte at `offset` of the stream.
    @inlinable
    public static func byte(at offset: Int) -> UInt8 {
        let line = offset / lineLength
        let column = offset % lineLength
        if column == 72 { return 13 }
        if column == 73 { return 10 }
        return UInt8(32 + (line + column) % 95)
    }

    /// Fills `buffer` with the stream's bytes from `offset`.
    public static func fill(_ buffer: inout [UInt8], from offset: Int, count: Int) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(count)
        var line = offset / lineLength
        var column = offset % lineLength
        for _ in 0..<count {
            switch column {
            case 72: buffer.append(13)
            case 73: buffer.append(10)
            default: buffer.append(UInt8(32 + (line + column) % 95))
            }
            column += 1
            if column == lineLength { column = 0; line += 1 }
        }
    }
}
