/// The hex dumps of tcpdump's `-x`/`-xx` and `-X`/`-XX` (print-ascii.c `hex_print_with_offset`,
/// `hex_and_ascii_print_with_offset`), byte for byte.
///
/// Each line starts with a newline and a tab, so the dump follows the packet's line (which the caller
/// ends with one newline afterwards). Bytes go in pairs: ` 4500 003c`, an odd last byte alone. `-X` pads
/// the hex to 40 columns and prints 0x21...0x7e as themselves and anything else, the space included, as `.`.
public enum TcpdumpHexDump {
    public static func render(_ bytes: UnsafeRawBufferPointer, ascii: Bool, into out: OutputBuffer) {
        let n = bytes.count
        var offset = 0
        while offset < n {
            let end = min(offset + 16, n)
            out.reserve(96)
            out.append("\n\t0x")
            var digits = 4  // %04x
            while offset >> (4 * digits) != 0 { digits += 1 }
            out.append(hex: UInt64(offset), width: digits)
            out.append(0x3A)
            out.append(0x20)
            var i = offset
            while i < end {
                out.append(0x20)
                out.append(hexByte: bytes[i])
                if i + 1 < end { out.append(hexByte: bytes[i + 1]) }
                i += 2
            }
            if ascii {
                // %-40s of the hex (5 columns a pair, 3 for an odd last byte), two spaces, the text.
                let pairs = (end - offset) / 2, odd = (end - offset) & 1
                out.append(repeating: 0x20, count: 40 - pairs * 5 - odd * 3 + 2)
                for j in offset..<end {
                    let b = bytes[j]
                    out.append(b > 0x20 && b < 0x7F ? b : UInt8(ascii: "."))
                }
            }
            offset = end
        }
    }
}
