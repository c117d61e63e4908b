import ToyTCPEngine
import ToyTCPWire

/// An expression over numbers, strings, TCP states and live variables (`c.snd.nxt + 1`, `synack.seq`,
/// `c.state == ESTABLISHED`, `c.data == "hello\n"`).
///
/// Grammar (lowest precedence first):
/// `or := and ("||" and)*`, `and := cmp ("&&" cmp)*`, `cmp := sum (("=="|"!="|"<"|"<="|">"|">=") sum)?`,
/// `sum := product (("+"|"-") product)*`, `product := unary (("*"|"/"|"%") unary)*`,
/// `unary := ("-"|"!") unary | primary`,
/// `primary := NUMBER | STRING | STATE | NAME ("." NAME)* | "(" or ")"`.
/// Numbers are decimal or `0x` hex, optionally with a size suffix `k`/`m` (×1000/×1000000) — never time.
public indirect enum Expression: Hashable, Sendable {
    case integer(Int64, column: Int)
    case bytes([UInt8], column: Int)
    case state(TCPState, column: Int)
    /// A dotted name: `["c", "snd", "nxt"]`.
    case reference([String], column: Int)
    case unary(String, Expression, column: Int)
    case binary(String, Expression, Expression, column: Int)

    /// 1-based column of the expression's first character.
    public var column: Int {
        switch self {
        case .integer(_, let c), .bytes(_, let c), .state(_, let c), .reference(_, let c),
             .unary(_, _, let c), .binary(_, _, _, let c):
            return c
        }
    }

    /// 1-based column of the leftmost character (for a binary expression, its left operand's).
    public var startColumn: Int {
        switch self {
        case .binary(_, let a, _, _): return a.startColumn
        default: return column
        }
    }

    /// True if the expression names no variable (it can be evaluated, and range-checked, at parse time).
    public var isConstant: Bool {
        switch self {
        case .integer, .bytes, .state: return true
        case .reference: return false
        case .unary(_, let e, _): return e.isConstant
        case .binary(_, let a, let b, _): return a.isConstant && b.isConstant
        }
    }

    /// The names the expression refers to (first component), for completion and checks.
    public var referencedNames: [String] {
        switch self {
        case .integer, .bytes, .state: return []
        case .reference(let path, _): return [path[0]]
        case .unary(_, let e, _): return e.referencedNames
        case .binary(_, let a, let b, _): return a.referencedNames + b.referencedNames
        }
    }
}

/// Parses an expression from a piece of a line, reporting errors at columns of the whole line. Works on
/// the text's UTF-8 bytes (see `Lexer`).
public struct ExpressionParser {
    private let text: SourceText
    private var i: Int
    private let end: Int
    /// Column of the text's first character in the line.
    private let baseColumn: Int
    private let location: SourceLocation
    private let sourceLine: String

    /// - Parameters:
    ///   - text: the expression's text; `column` is the column of its first character in `sourceLine`.
    public init(_ text: String, column: Int, location: SourceLocation, sourceLine: String) {
        self.text = SourceText(text)
        self.i = 0
        self.end = self.text.bytes.count
        self.baseColumn = column
        self.location = location
        self.sourceLine = sourceLine
    }

    private var chars: [UInt8] { text.bytes }

    /// The line column of byte `index` of the text.
    private func column(_ index: Int) -> Int { baseColumn + text.column(index) - 1 }

    /// Parses the whole text as one expression.
    public mutating func parseAll() throws(ScriptError) -> Expression {
        skipBlanks()
        guard i < end else { throw error("expected an expression", at: i) }
        let e = try parseOr()
        skipBlanks()
        if i < end { throw error("unexpected '\(text.string(i..<text.characterEnd(i)))' in expression", at: i) }
        return e
    }

    private func error(_ message: String, at index: Int) -> ScriptError {
        ScriptError(message, at: location.at(column: column(index)), sourceLine: sourceLine)
    }

    private mutating func skipBlanks() {
        while i < end, chars[i] == 0x20 || chars[i] == 0x09 { i += 1 }
    }

    /// Takes the operator `op` (ASCII) if it comes next.
    private mutating func take(_ op: StaticString) -> Bool {
        skipBlanks()
        let n = op.utf8CodeUnitCount
        guard i + n <= end else { return false }
        let p = op.utf8Start
        for k in 0..<n where chars[i + k] != p[k] { return false }
        // `<` must not eat the first half of `<=`, nor `=` of `==`.
        if n == 1, i + 1 < end, chars[i + 1] == UInt8(ascii: "="),
           [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "!")].contains(p[0]) { return false }
        if n == 1, p[0] == UInt8(ascii: "&") || p[0] == UInt8(ascii: "|") { return false }
        i += n
        return true
    }

    private mutating func parseOr() throws(ScriptError) -> Expression {
        var lhs = try parseAnd()
        while true {
            let c = i
            guard take("||") else { return lhs }
            lhs = .binary("||", lhs, try parseAnd(), column: column(c))
        }
    }

    private mutating func parseAnd() throws(ScriptError) -> Expression {
        var lhs = try parseComparison()
        while true {
            let c = i
            guard take("&&") else { return lhs }
            lhs = .binary("&&", lhs, try parseComparison(), column: column(c))
        }
    }

    private static let comparisons: [(StaticString, String)] = [("==", "=="), ("!=", "!="), ("<=", "<="), (">=", ">="), ("<", "<"), (">", ">")]

    private mutating func parseComparison() throws(ScriptError) -> Expression {
        let lhs = try parseSum()
        skipBlanks()
        guard i < end, [UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">")].contains(chars[i]) else { return lhs }
        for (op, name) in ExpressionParser.comparisons {
            let c = i
            if take(op) { return .binary(name, lhs, try parseSum(), column: column(c)) }
        }
        return lhs
    }

    private mutating func parseSum() throws(ScriptError) -> Expression {
        var lhs = try parseProduct()
        while true {
            let c = i
            if take("+") { lhs = .binary("+", lhs, try parseProduct(), column: column(c)) }
            else if take("-") { lhs = .binary("-", lhs, try parseProduct(), column: column(c)) }
            else { return lhs }
        }
    }

    private mutating func parseProduct() throws(ScriptError) -> Expression {
        var lhs = try parseUnary()
        while true {
            let c = i
            if take("*") { lhs = .binary("*", lhs, try parseUnary(), column: column(c)) }
            else if take("/") { lhs = .binary("/", lhs, try parseUnary(), column: column(c)) }
            else if take("%") { lhs = .binary("%", lhs, try parseUnary(), column: column(c)) }
            else { return lhs }
        }
    }

    private mutating func parseUnary() throws(ScriptError) -> Expression {
        skipBlanks()
        let c = i
        if take("-") { return .unary("-", try parseUnary(), column: column(c)) }
        if take("!") { return .unary("!", try parseUnary(), column: column(c)) }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ScriptError) -> Expression {
        skipBlanks()
        guard i < end else { throw error("expected a value", at: i) }
        let start = i
        let c = chars[i]
        if c == UInt8(ascii: "(") {
            i += 1
            let e = try parseOr()
            guard take(")") else { throw error("expected ')'", at: i) }
            return e
        }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            let loc = location, line = sourceLine, t = text, base = baseColumn
            let (bytes, next) = try Lexer.scanString(text, from: i, error: { m, index in
                ScriptError(m, at: loc.at(column: base + t.column(index) - 1), sourceLine: line)
            })
            i = next
            return .bytes(bytes, column: column(start))
        }
        if SourceText.isDigit(c) {
            return .integer(try scanNumber(), column: column(start))
        }
        if SourceText.isNameStart(c) {
            if let state = scanState() { return .state(state, column: column(start)) }
            var path: [String] = [scanName()]
            while i < end, chars[i] == UInt8(ascii: ".") {
                i += 1
                guard i < end, SourceText.isNameStart(chars[i]) else {
                    throw error("expected a field name after '.'", at: i)
                }
                path.append(scanName())
            }
            if path.count == 1, path[0] == "true" { return .integer(1, column: column(start)) }
            if path.count == 1, path[0] == "false" { return .integer(0, column: column(start)) }
            return .reference(path, column: column(start))
        }
        throw error("unexpected '\(text.string(i..<text.characterEnd(i)))' in expression", at: i)
    }

    private mutating func scanName() -> String {
        let s = i
        while i < end, SourceText.isNameCharacter(chars[i]) { i += 1 }
        return text.string(s..<i)
    }

    private static let statesLongestFirst: [(TCPState, [UInt8])] =
        TCPState.allCases.sorted { $0.rawValue.count > $1.rawValue.count }.map { ($0, Array($0.rawValue.utf8)) }

    /// A TCP state written as the RFC writes it (`ESTABLISHED`, `SYN-SENT`, `FIN-WAIT-1`), longest first.
    private mutating func scanState() -> TCPState? {
        // States are upper case: most names are not one, and need no comparison at all.
        guard i < end, chars[i] >= UInt8(ascii: "A"), chars[i] <= UInt8(ascii: "Z") else { return nil }
        for (state, s) in ExpressionParser.statesLongestFirst {
            guard i + s.count <= end, chars[i..<i + s.count].elementsEqual(s) else { continue }
            let after = i + s.count
            if after < end, SourceText.isNameCharacter(chars[after]) || chars[after] == UInt8(ascii: ".") { continue }
            i = after
            return state
        }
        return nil
    }

    private mutating func scanNumber() throws(ScriptError) -> Int64 {
        let start = i
        while i < end, SourceText.isNameCharacter(chars[i]) { i += 1 }
        let literal = text.string(start..<i)
        guard let n = NumberLiteral.parse(literal) else {
            throw error("'\(literal)' is not a number (decimal, 0x hex, or with a k/m suffix)", at: start)
        }
        return n
    }
}

/// Integer literals: decimal, `0x` hex, `0b` binary, `_` separators, `k`/`m` multipliers.
public enum NumberLiteral {
    public static func parse(_ text: String) -> Int64? {
        var t = text.utf8.contains(UInt8(ascii: "_")) ? String(text.filter { $0 != "_" }) : text
        var multiplier: Int64 = 1
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            return Int64(t.dropFirst(2), radix: 16)
        }
        if t.hasPrefix("0b") { return Int64(t.dropFirst(2), radix: 2) }
        if t.hasSuffix("k") || t.hasSuffix("K") { multiplier = 1000; t.removeLast() }
        else if t.hasSuffix("M") || t.hasSuffix("m") { multiplier = 1_000_000; t.removeLast() }
        guard let n = Int64(t) else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: multiplier)
        return o ? nil : r
    }
}
