import ToyTCPEngine
import ToyTCPWire

/// Turns script lines into `Statement`s. Every error is a `ScriptError` at the column of the word that
/// is wrong; constant numbers are range-checked here, expressions over live variables when they run.
public struct Parser: Sendable {
    public var file: String

    public init(file: String) { self.file = file }

    /// Every command name, the way `help` and completion list them (from the command table).
    public static let commandNames: [String] = CommandReference.all.map(\.name)
    /// Other spellings accepted for commands.
    public static let aliases: [String: String] = Dictionary(
        CommandReference.all.flatMap { r in r.aliases.map { ($0, r.name) } }, uniquingKeysWith: { a, _ in a })

    /// Parses one line (`number` is 1-based).
    public func parse(line: String, number: Int) throws(ScriptError) -> Statement {
        var p = try LineParser(line: line, location: SourceLocation(file: file, line: number, column: 1))
        let command = try p.parseCommand()
        return Statement(command: command, location: p.location, sourceLine: line, time: p.time)
    }

    /// Parses a whole script: the statements that parsed and the errors of those that did not.
    public func parse(script text: String) -> (statements: [Statement], errors: [ScriptError]) {
        var errors: [ScriptError] = []
        var number = 0
        // Open `repeat` blocks: the opening statement and the body so far; the script is the bottom.
        var blocks: [(open: Statement?, body: [Statement])] = [(nil, [])]
        for raw in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let line = String(decoding: raw, as: UTF8.self)
            do {
                let s = try parse(line: line, number: number)
                switch s.command {
                case .empty: continue
                case .blockOpen: blocks.append((s, []))
                case .blockClose:
                    guard blocks.count > 1, let (open, body) = blocks.popLast(), let open,
                          case .blockOpen(let count, let index) = open.command else {
                        errors.append(ScriptError("'}' without a 'repeat … {' to close", at: s.location, sourceLine: line))
                        continue
                    }
                    blocks[blocks.count - 1].body.append(
                        Statement(command: .repeatBlock(count: count, index: index, body: body), location: open.location, sourceLine: open.sourceLine))
                default: blocks[blocks.count - 1].body.append(s)
                }
            } catch {
                errors.append(error)
            }
        }
        for (open, _) in blocks.dropFirst() {
            if let open { errors.append(ScriptError("'repeat … {' is never closed (add a line with '}')", at: open.location, sourceLine: open.sourceLine)) }
        }
        return (blocks[0].body, errors)
    }
}

/// Parsing state for one line.
struct LineParser {
    let line: String
    let location: SourceLocation
    let tokens: [Token]
    let commentColumn: Int?
    var index = 0
    /// The line's packetdrill-style time, if it starts with one.
    var time: StatementTime?

    init(line: String, location: SourceLocation) throws(ScriptError) {
        self.line = line
        self.location = location
        (tokens, commentColumn) = try Lexer(line: line, location: location).tokenize()
    }

    // MARK: Token helpers

    func error(_ message: String, _ column: Int) -> ScriptError {
        ScriptError(message, at: location.at(column: column), sourceLine: line)
    }

    var atEnd: Bool { index >= tokens.count }
    var peek: Token? { index < tokens.count ? tokens[index] : nil }
    /// Column just past the last token, for "expected …" errors at the end of a line.
    var endColumn: Int {
        guard let last = tokens.last else { return 1 }
        return last.column + last.text.count
    }

    mutating func next() -> Token? {
        guard index < tokens.count else { return nil }
        defer { index += 1 }
        return tokens[index]
    }

    mutating func word(_ what: String) throws(ScriptError) -> Token {
        guard let t = next() else { throw error("expected \(what)", endColumn + 1) }
        guard t.isWord else { throw error("expected \(what), got \(t.text)", t.column) }
        return t
    }

    /// Takes the word `w` if it comes next.
    mutating func accept(_ w: String) -> Token? {
        if let t = peek, t.isWord, t.text == w { index += 1; return t }
        return nil
    }

    /// `key=value` at the current position: returns the key and value tokens.
    mutating func keyValue() throws(ScriptError) -> (Token, Token)? {
        guard index + 1 < tokens.count, tokens[index].isWord, tokens[index + 1].isEquals else { return nil }
        guard index + 2 < tokens.count, !tokens[index + 2].isEquals else {
            throw error("expected a value after '\(tokens[index].text)='", tokens[index + 1].column + 1)
        }
        let k = tokens[index], v = tokens[index + 2]
        index += 3
        return (k, v)
    }

    mutating func expectEnd() throws(ScriptError) {
        if let t = peek { throw error("unexpected '\(t.text)'", t.column) }
    }

    // MARK: Values

    func expression(_ t: Token) throws(ScriptError) -> Expr {
        switch t.kind {
        case .string(let bytes): return .bytes(bytes, column: t.column)
        case .equals: throw error("expected a value", t.column)
        case .word:
            var p = ExpressionParser(t.text, column: t.column, location: location, sourceLine: line)
            return try p.parseAll()
        }
    }

    /// An expression that must be a number in `range`; constants are checked now.
    func number(_ t: Token, _ what: String, _ range: ClosedRange<Int64>) throws(ScriptError) -> Expr {
        let e = try expression(t)
        if e.isConstant {
            let v = try e.evaluate(in: EmptyScope(), location: location, sourceLine: line)
            guard case .integer(let n) = v else { throw error("\(what) must be a number, not \(v.typeName)", t.column) }
            guard range.contains(n) else {
                throw error("\(what) \(n) is out of range (\(range.lowerBound)...\(range.upperBound))", t.column)
            }
        }
        return e
    }

    /// A constant integer in `range` (ports, counts written literally).
    func constant(_ t: Token, _ what: String, _ range: ClosedRange<Int64>) throws(ScriptError) -> Int64 {
        guard t.isWord, let n = NumberLiteral.parse(t.text) else {
            throw error("\(what) must be a number, got '\(t.text)'", t.column)
        }
        guard range.contains(n) else {
            throw error("\(what) \(n) is out of range (\(range.lowerBound)...\(range.upperBound))", t.column)
        }
        return n
    }

    func duration(_ t: Token) throws(ScriptError) -> Duration {
        guard t.isWord, let d = DurationLiteral.parse(t.text) else {
            throw error("'\(t.text)' is not a duration (e.g. 500ms, 1.5s, 2s, 100us)", t.column)
        }
        guard d <= .seconds(3600) else { throw error("duration \(t.text) is out of range (at most 3600s)", t.column) }
        return d
    }

    /// An unbracketed IPv6 address (`fd00::1`): always an address, never ADDRESS:PORT.
    static func isBareIPv6(_ t: Token) -> Bool { !t.text.hasPrefix("[") && t.text.contains(":") && IPv6Address(t.text) != nil }

    /// An address of either family: `10.0.0.1`, `fd00::1` or `[fd00::1]`.
    func address(_ t: Token) throws(ScriptError) -> IPAddress {
        var text = Substring(t.text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        guard let a = IPAddress(text) else {
            throw error("'\(t.text)' is not an IP address (e.g. 10.0.0.1 or fd00:0:0:1::1)", t.column)
        }
        return a
    }

    /// `A.B.C.D:PORT`, tcpdump's `A.B.C.D.PORT`, `[IPV6]:PORT` (RFC 3986 §3.2.2) or tcpdump's `IPV6.PORT`.
    func endpoint(_ t: Token) throws(ScriptError) -> Endpoint {
        let text = t.text
        if text.hasPrefix("[") {
            // The brackets keep the address's colons from the port's (RFC 5952 §6).
            guard let close = text.firstIndex(of: "]") else { throw error("'\(text)' lacks the closing ]: [IPV6]:PORT", t.column) }
            let inner = text[text.index(after: text.startIndex)..<close]
            guard let a = IPv6Address(inner) else { throw error("'\(inner)' is not an IPv6 address", t.column + 1) }
            let rest = text[text.index(after: close)...]
            let portColumn = t.column + text.distance(from: text.startIndex, to: close) + 2
            guard rest.hasPrefix(":"), !rest.dropFirst().isEmpty else {
                throw error("'\(text)' needs a port: [IPV6]:PORT", t.column)
            }
            guard let p = NumberLiteral.parse(String(rest.dropFirst())) else {
                throw error("'\(rest.dropFirst())' is not a port number", portColumn)
            }
            guard (0...65535).contains(p) else { throw error("port \(p) is out of range (0...65535)", portColumn) }
            return Endpoint(address: a, port: UInt16(p))
        }
        if text.filter({ $0 == ":" }).count >= 2 {
            // Unbracketed IPv6: tcpdump's `fd00::1.80` (the port after the last dot); `fd00::1:80` is refused
            // as ambiguous (it is also an address).
            guard let dot = text.lastIndex(of: "."), let a = IPv6Address(text[..<dot]),
                  let p = NumberLiteral.parse(String(text[text.index(after: dot)...])), (0...65535).contains(p) else {
                throw error("'\(text)': write an IPv6 endpoint as [ADDRESS]:PORT, e.g. [fd00:0:0:2::1]:80", t.column)
            }
            return Endpoint(address: a, port: UInt16(p))
        }
        var addressPart = Substring(text), portPart: Substring? = nil
        if let colon = text.lastIndex(of: ":") {
            addressPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else if text.split(separator: ".").count == 5, let dot = text.lastIndex(of: ".") {
            addressPart = text[..<dot]
            portPart = text[text.index(after: dot)...]
        }
        guard let portPart else { throw error("'\(text)' needs a port: ADDRESS:PORT", t.column) }
        guard let a = IPv4Address(addressPart) else {
            throw error("'\(addressPart)' is not an IPv4 address", t.column)
        }
        guard let p = NumberLiteral.parse(String(portPart)) else {
            throw error("'\(portPart)' is not a port number", t.column + addressPart.count + 1)
        }
        guard (0...65535).contains(p) else {
            throw error("port \(p) is out of range (0...65535)", t.column + addressPart.count + 1)
        }
        return Endpoint(address: a, port: UInt16(p))
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.first, f.isLetter || f == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    static let reserved: Set<String> = ["as", "within", "on", "to", "from", "in", "out", "last", "LAST", "true", "false"]

    func newName(_ t: Token) throws(ScriptError) -> String {
        guard LineParser.isName(t.text) else {
            throw error("'\(t.text)' is not a name (letters, digits, _; starting with a letter)", t.column)
        }
        guard !LineParser.reserved.contains(t.text) else { throw error("'\(t.text)' is a reserved word", t.column) }
        return t.text
    }

    /// Optional trailing `as NAME`.
    mutating func asName() throws(ScriptError) -> String? {
        guard accept("as") != nil else { return nil }
        return try newName(try word("a name after 'as'"))
    }

    /// Optional trailing `within T`.
    mutating func within() throws(ScriptError) -> Duration? {
        guard accept("within") != nil else { return nil }
        return try duration(try word("a duration after 'within'"))
    }

    /// An optional connection name (a word that is a name and not a keyword).
    mutating func connectionRef() -> ConnectionRef {
        if let t = peek, t.isWord, LineParser.isName(t.text), !LineParser.reserved.contains(t.text),
           !t.text.hasPrefix("0x") {
            index += 1
            return ConnectionRef(name: t.text, column: t.column)
        }
        return ConnectionRef(name: nil, column: peek?.column ?? endColumn + 1)
    }

    /// The rest of the line (before a comment) from the current token, as an expression.
    mutating func restAsExpression(_ what: String) throws(ScriptError) -> (Expr, String) {
        guard let first = peek else { throw error("expected \(what)", endColumn + 1) }
        let startIndex = line.index(line.startIndex, offsetBy: first.column - 1)
        let text: String
        if let commentColumn {
            let stop = line.index(line.startIndex, offsetBy: commentColumn - 1)
            text = String(line[startIndex..<stop])
        } else {
            text = String(line[startIndex...])
        }
        var p = ExpressionParser(text, column: first.column, location: location, sourceLine: line)
        let e = try p.parseAll()
        index = tokens.count
        return (e, text.trimmingBlanks())
    }

    /// Data to send: a string, `0xHEX`, `@file`, `fill=N`, or an expression (`c.data`).
    mutating func payload() throws(ScriptError) -> PayloadSource {
        if let (k, v) = try keyValue() {
            guard k.text == "fill" else { throw error("unknown option '\(k.text)' (data is \"text\", 0xHEX, @FILE or fill=N)", k.column) }
            return .fill(try number(v, "fill", 0...100_000_000))
        }
        guard let t = next() else { throw error("expected data: \"text\", 0xHEX, @FILE or fill=N", endColumn + 1) }
        return try payload(from: t)
    }

    func payload(from t: Token) throws(ScriptError) -> PayloadSource {
        switch t.kind {
        case .string(let bytes): return .bytes(bytes)
        case .equals: throw error("expected data", t.column)
        case .word:
            if t.text.hasPrefix("@") {
                guard t.text.count > 1 else { throw error("'@' needs a file name", t.column) }
                return .file(String(t.text.dropFirst()), column: t.column)
            }
            if t.text.hasPrefix("0x") || t.text.hasPrefix("0X") {
                return .bytes(try hexBytes(t, String(t.text.dropFirst(2)), offset: 2))
            }
            return .expression(try expression(t))
        }
    }

    func hexBytes(_ t: Token, _ hex: String, offset: Int) throws(ScriptError) -> [UInt8] {
        let digits = Array(hex)
        guard digits.count % 2 == 0 else { throw error("hex data needs an even number of digits", t.column) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = digits[i].hexDigitValue else { throw error("'\(digits[i])' is not a hex digit", t.column + offset + i) }
            guard let lo = digits[i + 1].hexDigitValue else { throw error("'\(digits[i + 1])' is not a hex digit", t.column + offset + i + 1) }
            bytes.append(UInt8(hi * 16 + lo))
            i += 2
        }
        return bytes
    }

    func flags(_ t: Token) throws(ScriptError) -> TCPFlags {
        guard t.isWord else { throw error("expected TCP flags (S, S., P., F., R, ...)", t.column) }
        switch TCPFlags.parse(t.text) {
        case .success(let f): return f
        case .failure(let e): throw error(e.description, t.column + e.index)
        }
    }
}

/// A scope with no variables (for constant folding at parse time).
struct EmptyScope: VariableScope {
    func lookup(_ path: [String]) -> Lookup { .unknownName }
}

extension String {
    func trimmingBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
