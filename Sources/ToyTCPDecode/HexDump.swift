/// Offset, hex and ASCII columns, 16 bytes a line, in the layout of `tcpdump -X` (and close to
/// `xxd`): `  0x0010:  4006 b1e6 0a00 0001 0a00 0101 c523 9c40  @............#.@`.
public enum HexDump {
    /// Appends the dump of `bytes`, one line per 16 bytes, each ending in `\n`. `indent` is written
    /// before each line.
    public static func render(_ bytes: UnsafeRawBufferPointer, indent: StaticString = "  ", into out: OutputBuffer) {
        var offset = 0
        let n = bytes.count
        while offset < n {
            let end = min(offset + 16, n)
            out.reserve(96)
            out.append(indent)
            out.append("0x")
            out.append(hex: UInt64(offset), width: offset > 0xFFFF ? 8 : 4)
            out.append(":  ")
            for i in offset..<(offset + 16) {
                if i < end { out.append(hexByte: bytes[i]) } else { out.append("  ") }
                if i & 1 == 1 { out.append(0x20) }
            }
            out.append(0x20)
            for i in offset..<end {
                let b = bytes[i]
                out.append(b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "."))
            }
            out.append(0x0A)
            offset = end
        }
    }

    /// The dump as a string (tests, the REPL).
    public static func string(_ bytes: [UInt8]) -> String {
        let out = OutputBuffer()
        bytes.withUnsafeBytes { render($0, into: out) }
        return out.string
    }
}
