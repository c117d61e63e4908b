/// Splits one script line into tokens.
///
/// Rules: blanks separate tokens; `#` at the start of a token begins a comment that runs to the end of
/// the line; `"…"` and `'…'` are strings with C escapes (`\n \r \t \0 \\ \" \' \xHH`); `=` is a token of
/// its own; everything else is a word.
///
/// It works on the line's UTF-8 bytes (a 100,000-line script is parsed and checked in well under a
/// second: scripts/bench-parse.sh); columns are counted in characters, as an editor shows them.
public struct Lexer {
    public let location: SourceLocation
    public let line: String

    public init(line: String, location: SourceLocation) {
        self.line = line
        self.location = location
    }

    /// The tokens of the line, and the column where a comment starts (if any), so commands that take the
    /// rest of the line as an expression (`let`, `assert`) can stop before it.
    public func tokenize() throws(ScriptError) -> (tokens: [Token], commentColumn: Int?) {
        let text = SourceText(line)
        let bytes = text.bytes
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if SourceText.isBlank(c) { i += 1; continue }
            if c == UInt8(ascii: "#") { return (tokens, text.column(i)) }
            if c == UInt8(ascii: "=") {
                tokens.append(Token(kind: .equals, text: "=", column: text.column(i)))
                i += 1
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let (value, end) = try Lexer.scanString(text, from: i, error: { msg, index in
                    ScriptError(msg, at: location.at(column: text.column(index)), sourceLine: line)
                })
                tokens.append(Token(kind: .string(bytes: value), text: text.string(i..<end), column: text.column(i)))
                i = end
                continue
            }
            let start = i
            while i < bytes.count {
                let d = bytes[i]
                if SourceText.isBlank(d) || d == UInt8(ascii: "=") || d == UInt8(ascii: "\"") || d == UInt8(ascii: "'") { break }
                i += 1
            }
            tokens.append(Token(kind: .word, text: text.string(start..<i), column: text.column(start)))
        }
        return (tokens, nil)
    }

    /// Scans a quoted string starting at byte `start` (the quote); returns its bytes and the index after
    /// the closing quote. Shared with the expression parser; `error` gets a byte index.
    static func scanString(_ text: SourceText, from start: Int,
                           error: (String, Int) -> ScriptError) throws(ScriptError) -> ([UInt8], Int) {
        let chars = text.bytes
        let quote = chars[start]
        var bytes: [UInt8] = []
        var i = start + 1
        while i < chars.count {
            let c = chars[i]
            if c == quote { return (bytes, i + 1) }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < chars.count else { break }
                let e = chars[i + 1]
                switch e {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "0"): bytes.append(0x00)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "'"): bytes.append(0x27)
                case UInt8(ascii: "x"):
                    guard i + 3 < chars.count, let hi = SourceText.hexValue(chars[i + 2]), let lo = SourceText.hexValue(chars[i + 3]) else {
                        throw error("\\x needs two hex digits", i)
                    }
                    bytes.append(hi << 4 | lo)
                    i += 4
                    continue
                default:
                    let shown = text.string(i + 1..<text.characterEnd(i + 1))
                    throw error("unknown escape '\\\(shown)' (use \\n \\r \\t \\0 \\\\ \\\" \\' \\xHH)", i)
                }
                i += 2
                continue
            }
            bytes.append(c)
            i += 1
        }
        throw error("unterminated string (add the closing \(Character(Unicode.Scalar(quote))))", start)
    }
}

/// A line's UTF-8 bytes, with the character column of any byte (ASCII lines, the usual case, need no
/// counting).
struct SourceText {
    let bytes: [UInt8]
    let isASCII: Bool

    init(_ s: String) {
        bytes = Array(s.utf8)
        isASCII = bytes.allSatisfy { $0 < 0x80 }
    }

    /// 1-based column (in characters) of byte `index`.
    func column(_ index: Int) -> Int {
        if isASCII { return index + 1 }
        return String(decoding: bytes[0..<min(index, bytes.count)], as: UTF8.self).count + 1
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range.clamped(to: 0..<bytes.count)], as: UTF8.self)
    }

    /// The index after the UTF-8 sequence that starts at `index`.
    func characterEnd(_ index: Int) -> Int {
        var k = index + 1
        while k < bytes.count, bytes[k] & 0xC0 == 0x80 { k += 1 }
        return min(k, bytes.count)
    }

    static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    /// Letters, `_`, and any non-ASCII byte (names may be written in any script).
    static func isNameStart(_ c: UInt8) -> Bool {
        (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c == 0x5F || c >= 0x80
    }
    static func isNameCharacter(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) }
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
