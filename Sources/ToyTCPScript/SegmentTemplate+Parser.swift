import ToyTCPEngine
import ToyTCPWire

/// What a template is written for: `inject` (every field a value) or `expect` (values, `*`, `none`).
enum TemplateUse {
    case inject
    case expect
}

extension LineParser {
    /// The one parser of segment templates:
    /// `inject FLAGS [SRC > DST | on NAME | to NAME] [field=value …] [options] [DATA] [count=N rate=R]` and
    /// `expect [none] [in|out] FLAGS|* [SRC > DST | on NAME] [field=value|*|none …] [DATA] [within T] [as NAME]`.
    /// Constants are range-checked here, so a bad literal is reported before the script runs.
    mutating func parseTemplate(_ use: TemplateUse) throws(ScriptError) -> (SegmentTemplate, within: Duration?, name: String?) {
        var forbidden = false
        if use == .expect, accept("none") != nil { forbidden = true }
        var direction: Direction? = nil
        func setDirection(_ t: Token, _ d: Direction) throws(ScriptError) {
            if let direction {
                throw error("direction given twice ('\(direction.rawValue)' and '\(t.text)'): a segment is either in or out", t.column)
            }
            direction = d
        }
        if use == .expect, let d = accept("in") ?? accept("out") { try setDirection(d, d.text == "in" ? .inbound : .outbound) }
        var flags: TCPFlags? = nil
        if let ft = peek, ft.isWord, ft.text == "*" || !forbidden || TCPFlags.parse(ft.text).isSuccess,
           !(forbidden && (ft.text == "within" || ft.text == "on" || ft.text == "in" || ft.text == "out")) {
            index += 1
            if ft.text == "*" {
                guard use == .expect else { throw error("inject needs the flags to send (S, S., P., F., R, .)", ft.column) }
            } else {
                flags = try self.flags(ft)
            }
        } else if !forbidden {
            throw error(use == .inject ? "expected TCP flags (S, S., P., F., R, ...)" : "expected TCP flags or * (expect S. ..., expect * ...)",
                        peek?.column ?? endColumn + 1)
        }
        var t = SegmentTemplate(flags: flags)
        t.forbidden = forbidden
        var within: Duration? = nil
        var name: String? = nil
        var routeColumn: Int? = nil
        func setRoute(_ r: Route, _ column: Int) throws(ScriptError) {
            if routeColumn != nil { throw error("the route is given twice (SRC > DST, on NAME, to NAME: one of them)", column) }
            t.route = r
            routeColumn = column
        }
        while let tok = peek {
            if let r = try explicitRoute() { try setRoute(r, tok.column); continue }
            if let (k, v) = try keyValue() {
                try templateField(&t, k, v, use)
                continue
            }
            index += 1
            switch (tok.text, tok.kind) {
            case ("in", .word) where use == .expect: try setDirection(tok, .inbound)
            case ("out", .word) where use == .expect: try setDirection(tok, .outbound)
            case ("on", .word), ("to", .word):
                let ref = connectionRef()
                guard ref.name != nil else { throw error("'\(tok.text)' needs a connection name", ref.column) }
                if use == .expect && tok.text == "to" { throw error("expect takes 'on NAME' (with in or out for the direction)", tok.column) }
                try setRoute(.connection(ref, towardUs: tok.text == "to"), tok.column)
            case ("sackOK", .word): t.options.append(.sackPermitted(present: true))
            case ("nop", .word): t.options.append(.nop)
            case ("eol", .word): t.options.append(.eol)
            case ("noopts", .word) where use == .expect: t.noOptions = true
            case ("within", .word) where use == .expect: within = try duration(try word("a duration after 'within'"))
            case ("as", .word) where use == .expect: name = try newName(try word("a name after 'as'"))
            case (_, .string):
                t.payload = try payload(from: tok)
            case (_, .word) where tok.text.hasPrefix("@") || tok.text.hasPrefix("0x"):
                t.payload = try payload(from: tok)
            default:
                let usage = use == .inject
                    ? "inject FLAGS [SRC > DST | on NAME | to NAME] field=value ... [DATA]"
                    : "expect [none] [in|out] FLAGS [SRC > DST | on NAME] field=value ... within T as NAME"
                throw error("unexpected '\(tok.text)' (\(usage))", tok.column)
            }
        }
        t.direction = direction
        if forbidden && name != nil { throw error("'expect none' binds nothing: drop 'as NAME'", endColumn) }
        return (t, within, name)
    }

    /// Every `key=value` of a template; the table of header fields first.
    mutating func templateField(_ t: inout SegmentTemplate, _ k: Token, _ v: Token, _ use: TemplateUse) throws(ScriptError) {
        func slot(_ what: String, _ range: ClosedRange<Int64>, names: [String: Int64] = [:],
                  allowNone: Bool) throws(ScriptError) -> TemplateSlot {
            if v.isWord, v.text == "*" {
                guard use == .expect else { throw error("'*' (any value) is for expect; inject needs a value", v.column) }
                return .any
            }
            if v.isWord, v.text == "none" {
                guard allowNone else { throw error("\(what) is always in the header; 'none' is for options", v.column) }
                return .absent
            }
            if v.isWord, let n = names[v.text] { return .value(.integer(n, column: v.column)) }
            return .value(try number(v, what, range))
        }
        if let field = HeaderField.byName[k.text] {
            if use == .inject && field.write == nil {
                throw error("\(field.name) is computed when the segment is built (to send N bytes: fill=N)", k.column)
            }
            t.fields[field.name] = try slot(field.name, field.range, names: field.names, allowNone: false)
            return
        }
        switch k.text {
        case "csum", "ipcsum":
            let c: ChecksumSlot
            switch v.text {
            case "right", "good", "ok": c = .right
            case "wrong", "bad": c = .wrong
            default: c = .value(try number(v, k.text, 0...65535))
            }
            if k.text == "csum" { t.tcpChecksum = c } else { t.ipChecksum = c }
        case "ipopt":
            guard v.isWord else { throw error("ipopt takes hex bytes (ipopt=0x01010101)", v.column) }
            let hex = v.text.hasPrefix("0x") ? String(v.text.dropFirst(2)) : v.text
            let bytes = try hexBytes(v, hex, offset: v.text.hasPrefix("0x") ? 2 : 0)
            guard bytes.count <= 40 else { throw error("IP options take at most 40 bytes (RFC 791 §3.1), not \(bytes.count)", v.column) }
            t.ipOptions = bytes
        case "mss": t.options.append(.mss(try slot("mss", 0...65535, allowNone: true)))
        case "wscale": t.options.append(.windowScale(try slot("wscale", 0...255, allowNone: true)))
        case "sackOK":
            guard v.text == "none" else { throw error("sackOK is written alone, or sackOK=none for 'absent'", v.column) }
            t.options.append(.sackPermitted(present: false))
        case "ts":
            if v.text == "*" || v.text == "none" {
                let s = try slot("ts", 0...0, allowNone: true)
                t.options.append(s == .absent ? .timestampsAbsent : .timestamps(value: .any, echo: .any))
                return
            }
            let parts = v.text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw error("ts takes VAL,ECR (ts=100,0), * or none", v.column) }
            let a = Token(kind: .word, text: String(parts[0]), column: v.column)
            let b = Token(kind: .word, text: String(parts[1]), column: v.column + parts[0].count + 1)
            func part(_ tok: Token, _ what: String) throws(ScriptError) -> TemplateSlot {
                if tok.text == "*" {
                    guard use == .expect else { throw error("'*' (any value) is for expect", tok.column) }
                    return .any
                }
                return .value(try number(tok, what, HeaderField.u32))
            }
            t.options.append(.timestamps(value: try part(a, "TS val"), echo: try part(b, "TS ecr")))
        case "sack":
            if v.text == "none" { t.options.append(.sack(nil)); return }
            var blocks: [SACKBlockSpec] = []
            var col = v.column
            for part in v.text.split(separator: ",", omittingEmptySubsequences: false) {
                let edges = part.split(separator: ":", omittingEmptySubsequences: false)
                guard edges.count == 2 else { throw error("sack takes LEFT:RIGHT blocks (sack=1001:2001,3001:4001)", col) }
                let l = Token(kind: .word, text: String(edges[0]), column: col)
                let r = Token(kind: .word, text: String(edges[1]), column: col + edges[0].count + 1)
                blocks.append(SACKBlockSpec(left: try number(l, "SACK edge", HeaderField.u32),
                                            right: try number(r, "SACK edge", HeaderField.u32)))
                col += part.count + 1
            }
            guard (1...4).contains(blocks.count) else { throw error("sack takes 1 to 4 blocks", v.column) }
            t.options.append(.sack(blocks))
        case "opt":
            guard v.isWord else { throw error("opt takes hex bytes (opt=0x1e0400)", v.column) }
            let hex = v.text.hasPrefix("0x") ? String(v.text.dropFirst(2)) : v.text
            let bytes = try hexBytes(v, hex, offset: v.text.hasPrefix("0x") ? 2 : 0)
            guard !bytes.isEmpty else { throw error("opt needs at least one byte", v.column) }
            t.options.append(.raw(bytes))
        case "payload", "data": t.payload = try payload(from: v)
        case "fill": t.payload = .fill(try number(v, "fill", 0...65495))
        case "srcrange":
            // `srcrange=10.0.0.2-10.0.0.200`: copy i of a `count=` comes from address lo + i (cycling).
            guard use == .inject else { throw error("srcrange is for inject … count=N", k.column) }
            let parts = v.text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let lo = IPv4Address(parts[0]), let hi = IPv4Address(parts[1]), lo.rawValue <= hi.rawValue else {
                throw error("srcrange takes FIRST-LAST addresses (srcrange=10.0.0.2-10.0.0.200)", v.column)
            }
            let lab = [IPv4Address(10, 0, 0, 0), IPv4Address(10, 0, 1, 0)]
            guard lab.contains(where: { lo.isIn(network: $0, prefixLength: 24) && hi.isIn(network: $0, prefixLength: 24) }) else {
                throw error("srcrange must lie inside one lab subnet (10.0.0.0/24 or 10.0.1.0/24)", v.column)
            }
            t.sourceRange = lo.rawValue...hi.rawValue
        case "src", "dst":
            guard use == .inject else { throw error("expect takes SRC > DST for addresses", k.column) }
            let e = try endpoint(v)
            var (s, d) = (e, e)
            if case .explicit(let s0, let d0) = t.route { (s, d) = (s0, d0) }
            t.route = .explicit(source: k.text == "src" ? e : s, destination: k.text == "dst" ? e : d)
        case "count", "rate":
            guard use == .inject else { throw error("\(k.text) is for inject", k.column) }
            if k.text == "count" { t.count = try number(v, "count", 1...Interpreter.maximumCount) }
            else { t.rate = try number(v, "rate", 1...10_000_000) }
        default:
            let known = HeaderField.all.filter { use == .expect || $0.write != nil }.map(\.name)
                + ["csum", "ipcsum", "ipopt", "mss", "wscale", "ts", "sack", "opt", "payload", "fill"]
                + (use == .inject ? ["src", "dst", "count", "rate"] : [])
            var m = "unknown field '\(k.text)' for \(use == .inject ? "inject" : "expect")"
            if let g = LineParser.closest(k.text, in: known) { m += " (did you mean '\(g)'?)" }
            throw error(m + "; fields: " + known.joined(separator: " "), k.column)
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
