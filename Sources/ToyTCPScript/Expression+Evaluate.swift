import ToyTCPWire

/// What a scope answers for a dotted name.
public enum Lookup: Sendable {
    case value(Value)
    /// The first component names nothing.
    case unknownName
    /// Component `index` is not a field of what precedes it; `known` lists the fields there are.
    case unknownField(index: Int, known: [String])
    /// The name exists but has no value now (a connection that is gone); the string says why.
    case unavailable(String)
}

/// Where expressions find their variables: connections, bound segments, `let` variables.
public protocol VariableScope {
    func lookup(_ path: [String]) -> Lookup
}

extension Expression {
    /// Evaluates the expression; errors point at the column of the offending part.
    public func evaluate(in scope: some VariableScope, location: SourceLocation,
                         sourceLine: String) throws(ScriptError) -> Value {
        func fail(_ message: String, _ column: Int) -> ScriptError {
            ScriptError(message, at: location.at(column: column), sourceLine: sourceLine)
        }
        switch self {
        case .integer(let n, _): return .integer(n)
        case .bytes(let b, _): return .bytes(b)
        case .state(let s, _): return .state(s)
        case .reference(let path, let column):
            switch scope.lookup(path) {
            case .value(let v): return v
            case .unknownName:
                throw fail("unknown connection or variable '\(path[0])'", column)
            case .unknownField(let index, let known):
                let prefix = path[..<index].joined(separator: ".")
                var offset = column
                for p in path[..<index] { offset += p.count + 1 }
                throw fail("'\(prefix)' has no field '\(path[index])' (it has: \(known.joined(separator: ", ")))", offset)
            case .unavailable(let why):
                throw fail(why, column)
            }
        case .unary(let op, let e, let column):
            let v = try e.evaluate(in: scope, location: location, sourceLine: sourceLine)
            switch (op, v) {
            case ("-", .integer(let n)): return .integer(0 &- n)
            case ("-", .sequence): throw fail("a sequence number cannot be negated; subtract it from another (a - b is the distance)", column)
            case ("!", .boolean(let b)): return .boolean(!b)
            case ("!", .integer(let n)): return .boolean(n == 0)
            default: throw fail("'\(op)' does not apply to \(v.typeName) \(v)", column)
            }
        case .binary(let op, let a, let b, let column):
            let x = try a.evaluate(in: scope, location: location, sourceLine: sourceLine)
            // Short-circuit, so `c.state == ESTABLISHED && c.rcv.wnd > 0` reads naturally.
            if op == "&&" || op == "||" {
                guard let bx = x.truthValue else { throw fail("'\(op)' needs true/false, got \(x.typeName)", a.column) }
                if op == "&&" && !bx { return .boolean(false) }
                if op == "||" && bx { return .boolean(true) }
                let y = try b.evaluate(in: scope, location: location, sourceLine: sourceLine)
                guard let by = y.truthValue else { throw fail("'\(op)' needs true/false, got \(y.typeName)", b.column) }
                return .boolean(by)
            }
            let y = try b.evaluate(in: scope, location: location, sourceLine: sourceLine)
            if let r = try Expression.sequenceArithmetic(op, x, y, fail: { fail($0, column) }) { return r }
            switch (x, y) {
            case (.integer(let m), .integer(let n)):
                switch op {
                case "+": return .integer(m &+ n)
                case "-": return .integer(m &- n)
                case "*": return .integer(m &* n)
                case "/", "%":
                    guard n != 0 else { throw fail("division by zero", b.column) }
                    return .integer(op == "/" ? m / n : m % n)
                case "==": return .boolean(m == n)
                case "!=": return .boolean(m != n)
                case "<": return .boolean(m < n)
                case "<=": return .boolean(m <= n)
                case ">": return .boolean(m > n)
                case ">=": return .boolean(m >= n)
                default: break
                }
            case (.bytes(let m), .bytes(let n)):
                switch op {
                case "+": return .bytes(m + n)
                case "==": return .boolean(m == n)
                case "!=": return .boolean(m != n)
                default: break
                }
            default:
                if op == "==" { return .boolean(x == y) }
                if op == "!=" { return .boolean(x != y) }
            }
            throw fail("'\(op)' does not apply to \(x.typeName) and \(y.typeName)", column)
        }
    }
}

extension Expression {
    /// `+`, `-` and comparisons where a sequence number is involved (RFC 9293 §3.4, RFC 1982):
    /// seq ± n wraps modulo 2^32, seq − seq is the signed distance, comparisons use the sign of the
    /// 32-bit difference; `*`, `/` and `%` read the sequence number as the plain 32-bit number it
    /// carries. `nil` when neither side is a sequence number.
    static func sequenceArithmetic(_ op: String, _ x: Value, _ y: Value,
                                   fail: (String) -> ScriptError) throws(ScriptError) -> Value? {
        func seq(_ v: Value) -> SequenceNumber? {
            switch v {
            case .sequence(let s): return s
            case .integer(let n): return SequenceNumber(UInt32(truncatingIfNeeded: n))
            default: return nil
            }
        }
        switch (x, y) {
        case (.sequence, .sequence), (.sequence, .integer), (.integer, .sequence): break
        default: return nil
        }
        guard let a = seq(x), let b = seq(y) else { return nil }
        switch op {
        case "+":
            if case .sequence = x, case .sequence = y { throw fail("two sequence numbers cannot be added (add a number of octets)") }
            return .sequence(SequenceNumber(a.rawValue &+ b.rawValue))
        case "-":
            if case .sequence = x, case .sequence = y { return .integer(Int64(a - b)) }
            if case .integer = x { throw fail("a number minus a sequence number has no meaning (write seq - n, or a - b for a distance)") }
            return .sequence(SequenceNumber(a.rawValue &- b.rawValue))
        case "==": return .boolean(a == b)
        case "!=": return .boolean(a != b)
        case "<": return .boolean(a < b)
        case "<=": return .boolean(a == b || a < b)
        case ">": return .boolean(b < a)
        case ">=": return .boolean(a == b || b < a)
        case "*", "/", "%":
            let m = Int64(a.rawValue), n = Int64(b.rawValue)
            if op == "*" { return .integer(m &* n) }
            guard n != 0 else { throw fail("division by zero") }
            return .integer(op == "/" ? m / n : m % n)
        default: return nil
        }
    }
}

extension Value {
    /// A boolean reading: booleans, and numbers (non-zero is true).
    var truthValue: Bool? {
        switch self {
        case .boolean(let b): return b
        case .integer(let n): return n != 0
        default: return nil
        }
    }
}
