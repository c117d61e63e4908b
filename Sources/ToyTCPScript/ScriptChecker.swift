/// Checks a whole parsed script before anything runs: every name an expression or a command uses must
/// be bound by an earlier line (`connect … as c`, `listen … as l`, `expect … as s`, `let x = …`), so a
/// typo on line 40 is reported before line 1 sends a packet. Syntax, literal ranges and flags were
/// already checked by the parser.
public struct ScriptChecker {
    /// Names every script has.
    static let builtins: Set<String> = ["last", "LAST", "random", "stack", "now"]

    public init() {}

    /// The errors, in line order (empty: the script may run).
    public func check(_ statements: [Statement]) -> [ScriptError] {
        var bound = ScriptChecker.builtins
        // Names bound anywhere, to say "bound later" rather than "unknown".
        var boundAt: [String: Int] = [:]
        func collect(_ list: [Statement]) {
            for s in list {
                for n in ScriptChecker.binds(s.command) where boundAt[n] == nil { boundAt[n] = s.location.line }
                if case .repeatBlock(_, _, let body) = s.command { collect(body) }
            }
        }
        collect(statements)
        var errors: [ScriptError] = []
        var connections = 0, listeners = 0
        check(statements, &bound, boundAt, &errors, &connections, &listeners)
        return errors
    }

    func check(_ statements: [Statement], _ bound: inout Set<String>, _ boundAt: [String: Int],
               _ errors: inout [ScriptError], _ connections: inout Int, _ listeners: inout Int) {
        for s in statements {
            func need(_ name: String, _ column: Int) {
                guard !bound.contains(name) else { return }
                // Unnamed connections and listeners are c1, c2, … and l1, l2, … in the order opened.
                if name.hasPrefix("c"), let k = Int(name.dropFirst()), k >= 1, k <= connections { return }
                if name.hasPrefix("l"), let k = Int(name.dropFirst()), k >= 1, k <= listeners { return }
                let message: String
                if let line = boundAt[name] {
                    message = "'\(name)' is used before it is bound (line \(line) binds it)"
                } else {
                    message = "unknown name '\(name)': bind it first (connect … as \(name), expect … as \(name), let \(name) = …)"
                }
                errors.append(ScriptError(message, at: s.location.at(column: column), sourceLine: s.sourceLine))
            }
            var uses = ScriptChecker.uses(s.command)
            // `i` is the copy's index inside `inject … count=N`.
            if case .inject(let t) = s.command, t.count != nil { uses.removeAll { $0.0 == Interpreter.copyIndexName } }
            for (name, column) in uses { need(name, column) }
            if case .repeatBlock(_, let index, let body) = s.command {
                var inner = bound
                inner.insert(index)
                check(body, &inner, boundAt, &errors, &connections, &listeners)
                bound.formUnion(inner.subtracting([index]))
            }
            switch s.command {
            case .connect(_, _, _, _, nil), .accept(_, _, nil): connections += 1
            case .listen(_, _, nil): listeners += 1
            default: break
            }
            bound.formUnion(ScriptChecker.binds(s.command))
        }
    }

    /// The names a command binds for later lines.
    static func binds(_ c: Command) -> [String] {
        switch c {
        case .connect(_, _, _, _, let n?), .accept(_, _, let n?), .listen(_, _, let n?): return [n]
        case .expect(_, _, let n?): return [n]
        case .let_(let n, _), .host2(_, let n): return [n]
        case .intercept(let i): return i.binds
        default: return []
        }
    }

    /// The names a command reads, with their columns.
    static func uses(_ c: Command) -> [(String, Int)] {
        func ref(_ r: ConnectionRef?) -> [(String, Int)] { r?.name.map { [($0, r!.column)] } ?? [] }
        func expr(_ e: Expression?) -> [(String, Int)] { e.map(references) ?? [] }
        func payload(_ p: PayloadSource?) -> [(String, Int)] {
            switch p {
            case .fill(let e)?, .expression(let e)?: return expr(e)
            default: return []
            }
        }
        switch c {
        case .accept(let r, _, _), .shutdown(let r), .close(let r), .abort(let r), .use(let r), .wait(let r, _, _):
            return ref(r)
        case .send(let r, let p, _): return ref(r) + payload(p)
        case .recv(let r, let n, _): return ref(r) + expr(n)
        case .status(let r): return ref(r)
        case .let_(_, let e), .assert(let e, _), .print(let e): return expr(e)
        case .inject(let t), .expect(let t, _, _): return template(t)
        case .repeatBlock(let n, _, _): return expr(n)
        default: return []
        }
    }

    static func template(_ t: SegmentTemplate) -> [(String, Int)] {
        var out: [(String, Int)] = []
        if case .connection(let r, _) = t.route, let n = r.name { out.append((n, r.column)) }
        func slot(_ s: TemplateSlot) { if case .value(let e) = s { out += references(e) } }
        for s in t.fields.values { slot(s) }
        if case .value(let e)? = t.tcpChecksum { out += references(e) }
        if case .value(let e)? = t.ipChecksum { out += references(e) }
        for o in t.options {
            switch o {
            case .mss(let s), .windowScale(let s): slot(s)
            case .timestamps(let a, let b): slot(a); slot(b)
            case .sack(let blocks?): for b in blocks { out += references(b.left) + references(b.right) }
            default: break
            }
        }
        switch t.payload {
        case .fill(let e)?, .expression(let e)?: out += references(e)
        default: break
        }
        if let e = t.count { out += references(e) }
        if let e = t.rate { out += references(e) }
        return out
    }

    /// Every dotted name in an expression (its first component) with its column.
    static func references(_ e: Expression) -> [(String, Int)] {
        switch e {
        case .integer, .bytes, .state: return []
        case .reference(let path, let column): return [(path[0], column)]
        case .unary(_, let x, _): return references(x)
        case .binary(_, let a, let b, _): return references(a) + references(b)
        }
    }
}
