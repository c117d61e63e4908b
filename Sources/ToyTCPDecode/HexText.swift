/// Packets written as hex text: what `decode --hex` and hex on standard input accept.
///
/// Each non-empty line is one packet. Whitespace, `:` and `-` between digits and a leading `0x` are
/// ignored, and `#` starts a comment, so `45 00 00 3c …`, `45:00:00:3c` and xxd-like pasted bytes work.
public enum HexText {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// 1-based line and column of the offending character.
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Parses hex text into packets (one per non-empty line).
    public static func packets(_ text: String) throws(ParseError) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let bytes = try parseLine(Substring(line), lineNumber: lineNumber)
            if !bytes.isEmpty { packets.append(bytes) }
        }
        return packets
    }

    static func parseLine(_ line: Substring, lineNumber: Int) throws(ParseError) -> [UInt8] {
        var bytes: [UInt8] = []
        var high: UInt8? = nil
        let chars = Array(line.utf8)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == UInt8(ascii: "#") { break }
            if c == UInt8(ascii: "0"), i + 1 < chars.count, chars[i + 1] | 0x20 == UInt8(ascii: "x"), high == nil {
                i += 2
                continue
            }
            let value: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: ":"), UInt8(ascii: "-"):
                if high != nil {
                    throw ParseError(line: lineNumber, column: i + 1, message: "a byte needs two hex digits")
                }
                i += 1
                continue
            default:
                throw ParseError(line: lineNumber, column: i + 1,
                                 message: "'\(Character(Unicode.Scalar(c)))' is not a hex digit")
            }
            if let h = high {
                bytes.append(h << 4 | value)
                high = nil
            } else {
                high = value
            }
            i += 1
        }
        if high != nil {
            throw ParseError(line: lineNumber, column: chars.count, message: "odd number of hex digits")
        }
        return bytes
    }
}
