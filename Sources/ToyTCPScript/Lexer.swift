/// Splits one script line into tokens.
///
/// Rules: blanks separate tokens; `#` at the start of a token begins a comment that runs to the end of
/// the line; `"…"` and `'…'` are strings with C escapes (`\n \r \t \0 \\ \" \' \xHH`); `=` is a token of
/// its own; everything else is a word.
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
        let chars = Array(line)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" || c == "\n" { i += 1; continue }
            if c == "#" { return (tokens, i + 1) }
            if c == "=" {
                tokens.append(Token(kind: .equals, text: "=", column: i + 1))
                i += 1
                continue
            }
            if c == "\"" || c == "'" {
                let (bytes, end) = try Lexer.scanString(chars, from: i, error: { msg, col in
                    ScriptError(msg, at: location.at(column: col), sourceLine: line)
                })
                tokens.append(Token(kind: .string(bytes: bytes), text: String(chars[i..<end]), column: i + 1))
                i = end
                continue
            }
            let start = i
            while i < chars.count {
                let d = chars[i]
                if d == " " || d == "\t" || d == "\r" || d == "\n" || d == "=" || d == "\"" || d == "'" { break }
                i += 1
            }
            tokens.append(Token(kind: .word, text: String(chars[start..<i]), column: start + 1))
        }
        return (tokens, nil)
    }

    /// Scans a quoted string starting at `chars[start]` (the quote); returns its bytes and the index after
    /// the closing quote. Shared with the expression parser.
    static func scanString(_ chars: [Character], from start: Int,
                           error: (String, Int) -> ScriptError) throws(ScriptError) -> ([UInt8], Int) {
        let quote = chars[start]
        var bytes: [UInt8] = []
        var i = start + 1
        while i < chars.count {
            let c = chars[i]
            if c == quote { return (bytes, i + 1) }
            if c == "\\" {
                guard i + 1 < chars.count else { break }
                let e = chars[i + 1]
                switch e {
                case "n": bytes.append(0x0A)
                case "r": bytes.append(0x0D)
                case "t": bytes.append(0x09)
                case "0": bytes.append(0x00)
                case "\\": bytes.append(0x5C)
                case "\"": bytes.append(0x22)
                case "'": bytes.append(0x27)
                case "x":
                    guard i + 3 < chars.count, let hi = chars[i + 2].hexDigitValue, let lo = chars[i + 3].hexDigitValue else {
                        throw error("\\x needs two hex digits", i + 1)
                    }
                    bytes.append(UInt8(hi * 16 + lo))
                    i += 4
                    continue
                default:
                    throw error("unknown escape '\\\(e)' (use \\n \\r \\t \\0 \\\\ \\\" \\' \\xHH)", i + 1)
                }
                i += 2
                continue
            }
            bytes.append(contentsOf: Array(String(c).utf8))
            i += 1
        }
        throw error("unterminated string (add the closing \(quote))", start + 1)
    }
}
