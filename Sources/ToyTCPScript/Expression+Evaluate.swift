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
