import ToyTCPEngine
import ToyTCPWire

extension LineParser {
    /// Parses the line's command.
    mutating func parseCommand() throws(ScriptError) -> Command {
        guard let first = next() else { return .empty }
        guard first.isWord else { throw error("expected a command, got \(first.text)", first.column) }
        let name = Parser.aliases[first.text] ?? first.text
        let command: Command
        switch name {
        case "connect": command = try parseConnect()
        case "listen": command = try parseListen()
        case "accept":
            let listener = connectionRef()
            let w = try within()
            let n = try asName()
            command = .accept(listener: listener, within: w, name: n)
        case "send":
            // `send DATA` (current connection) or `send NAME DATA`.
            var ref = ConnectionRef(name: nil, column: peek?.column ?? endColumn + 1)
            if index + 1 < tokens.count, !tokens[index + 1].isEquals { ref = connectionRef() }
            command = .send(ref, try payload())
        case "recv":
            let ref = connectionRef()
            var count: Expr? = nil
            if let t = peek, t.isWord, t.text != "within" {
                index += 1
                count = try number(t, "byte count", 1...100_000_000)
            }
            command = .recv(ref, count: count, within: try within())
        case "shutdown": command = .shutdown(connectionRef())
        case "close": command = .close(connectionRef())
        case "abort": command = .abort(connectionRef())
        case "status":
            let ref = connectionRef()
            command = .status(ref.name == nil ? nil : ref)
        case "use":
            let ref = connectionRef()
            guard ref.name != nil else { throw error("use needs a connection name", ref.column) }
            command = .use(ref)
        case "set": command = try parseSet()
        case "inject": command = .inject(try parseCraft())
        case "expect":
            let (pattern, w, n) = try parseExpect()
            command = .expect(pattern, within: w, name: n)
        case "wait":
            let ref = connectionRef()
            let t = try word("a TCP state (ESTABLISHED, CLOSE-WAIT, ...)")
            guard let state = TCPState(rawValue: t.text.uppercased()) else {
                throw error("'\(t.text)' is not a TCP state (\(TCPState.allCases.map(\.rawValue).joined(separator: ", ")))", t.column)
            }
            command = .wait(ref, state, within: try within() ?? .seconds(1))
        case "trace":
            let t = try word("on or off")
            guard t.text == "on" || t.text == "off" else { throw error("trace takes on or off, not '\(t.text)'", t.column) }
            command = .trace(t.text == "on")
        case "show":
            if let t = next() {
                guard t.isWord else { throw error("show takes LAST or a segment name", t.column) }
                command = .show(t.text, column: t.column)
            } else {
                command = .show(nil, column: endColumn + 1)
            }
        case "record":
            guard let t = next() else { throw error("record needs a file name (FILE.pcap) or off", endColumn + 1) }
            switch t.kind {
            case .string(let b): command = .record(String(decoding: b, as: UTF8.self))
            default: command = .record(t.text == "off" ? nil : t.text)
            }
        case "let":
            let n = try newName(try word("a variable name"))
            guard let eq = next(), eq.isEquals else { throw error("expected '=' after the name", endColumn + 1) }
            let (e, _) = try restAsExpression("an expression")
            command = .let_(n, e)
        case "sleep": command = .sleep(try duration(try word("a duration (e.g. 500ms)")))
        case "assert":
            let (e, text) = try restAsExpression("a condition (e.g. c.state == ESTABLISHED)")
            command = .assert(e, text: text)
        case "print":
            let (e, _) = try restAsExpression("an expression")
            command = .print(e)
        case "peer": command = try parsePeer()
        case "ladder": command = .ladder(connectionRef())
        case "graph": command = try parseGraph()
        case "help":
            let t = next()
            command = .help(t?.text)
        case "quit": command = .quit
        default:
            var message = "unknown command '\(first.text)'"
            if let guess = LineParser.closest(first.text, in: Parser.commandNames) { message += " (did you mean '\(guess)'?)" }
            message += "; type help for the list"
            throw error(message, first.column)
        }
        try expectEnd()
        return command
    }

    /// The name in `names` nearest to `word` by edit distance, if it is close.
    static func closest(_ word: String, in names: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        let w = Array(word.lowercased())
        let best = names.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(1, w.count / 3) else { return nil }
        return best.0
    }

    // MARK: Stack level

    /// `connect ADDR PORT [from [ADDR:]PORT] [as NAME]` or `connect ADDR:PORT …`.
    mutating func parseConnect() throws(ScriptError) -> Command {
        let t = try word("an address and port (connect 10.0.1.1 7)")
        let remote: Endpoint
        if t.text.contains(":") {
            remote = try endpoint(t)
        } else {
            let a = try address(t)
            let p = try word("a port")
            remote = Endpoint(address: a, port: UInt16(try constant(p, "port", 1...65535)))
        }
        var local: Endpoint? = nil, localPort: UInt16? = nil, w: Duration? = nil, n: String? = nil
        while let t = peek {
            switch t.text {
            case "from":
                index += 1
                let f = try word("a local [ADDRESS:]PORT")
                if f.text.contains(":") || f.text.split(separator: ".").count == 5 { local = try endpoint(f) }
                else if f.text.contains(".") { local = Endpoint(address: try address(f), port: 0) }
                else { localPort = UInt16(try constant(f, "port", 1...65535)) }
            case "within": w = try within()
            case "as": n = try asName()
            default: throw error("unexpected '\(t.text)' (connect ADDR PORT [from [ADDR:]PORT] [within T] [as NAME])", t.column)
            }
        }
        return .connect(remote: remote, local: local, localPortOnly: localPort, within: w, name: n)
    }

    /// `listen [ADDR] PORT [as NAME]` or `listen ADDR:PORT`.
    mutating func parseListen() throws(ScriptError) -> Command {
        let t = try word("a port (listen 8080, or listen 10.0.0.1 8080)")
        if t.text.contains(":") {
            let e = try endpoint(t)
            return .listen(local: e, port: e.port, name: try asName())
        }
        if t.text.contains(".") {
            let a = try address(t)
            let p = try word("a port")
            let port = UInt16(try constant(p, "port", 1...65535))
            return .listen(local: Endpoint(address: a, port: port), port: port, name: try asName())
        }
        return .listen(local: nil, port: UInt16(try constant(t, "port", 1...65535)), name: try asName())
    }

    /// `set` (show all), `set OPTION VALUE`, `set OPTION=VALUE`.
    mutating func parseSet() throws(ScriptError) -> Command {
        guard let t = peek else { return .set(nil, value: nil, column: endColumn + 1) }
        let key: Token, value: Token
        if let (k, v) = try keyValue() {
            key = k; value = v
        } else {
            key = try word("an option")
            value = try word("a value for \(key.text)")
        }
        guard let option = StackOption(rawValue: key.text) else {
            throw error("unknown option '\(key.text)' (options: \(StackOption.allCases.map(\.rawValue).joined(separator: ", ")))", key.column)
        }
        _ = t
        return .set(option, value: value.text, column: value.column)
    }

    /// `peer echo|discard ADDR PORT`, `peer send ADDR PORT N` (servers), or
    /// `peer KIND ADDR connect DST:PORT [N]` (a client that connects to us; simulated network only).
    mutating func parsePeer() throws(ScriptError) -> Command {
        let k = try word("a peer kind (echo, discard, send)")
        guard let kind = PeerKind(rawValue: k.text) else {
            throw error("unknown peer kind '\(k.text)' (echo, discard, send)", k.column)
        }
        let t = try word("an address and port")
        if t.text.contains("."), !t.text.contains(":"), accept("connect") != nil {
            let a = try address(t)
            let dst = try endpoint(try word("where to connect: ADDRESS:PORT"))
            var count: Int? = nil
            if kind == .send { count = Int(try constant(try word("a byte count"), "byte count", 0...1_000_000_000)) }
            return .peer(kind, Endpoint(address: a, port: 0), count: count, connectTo: dst)
        }
        let e: Endpoint
        if t.text.contains(":") { e = try endpoint(t) } else {
            let a = try address(t)
            e = Endpoint(address: a, port: UInt16(try constant(try word("a port"), "port", 1...65535)))
        }
        var count: Int? = nil
        if kind == .send {
            count = Int(try constant(try word("a byte count (peer send 10.0.1.1 19 100000)"), "byte count", 0...1_000_000_000))
        }
        return .peer(kind, e, count: count, connectTo: nil)
    }

    // MARK: Segment level

    /// `SRC > DST` at the current position, if present.
    mutating func explicitRoute() throws(ScriptError) -> Route? {
        guard index + 2 < tokens.count, tokens[index + 1].isWord, tokens[index + 1].text == ">" else { return nil }
        let src = try endpoint(tokens[index])
        let dst = try endpoint(tokens[index + 2])
        index += 3
        return .explicit(source: src, destination: dst)
    }

    /// `inject FLAGS [SRC > DST | on NAME | to NAME] [field=value …] [options] [DATA] [count=N rate=R]`.
    mutating func parseCraft() throws(ScriptError) -> CraftSpec {
        let ft = try word("TCP flags (S, S., P., F., R, ...)")
        var spec = CraftSpec(flags: try flags(ft))
        while let t = peek {
            if let r = try explicitRoute() { spec.route = r; continue }
            if let (k, v) = try keyValue() {
                switch k.text {
                case "seq": spec.seq = try number(v, "seq", Int64(Int32.min)...Int64(UInt32.max))
                case "ack": spec.ack = try number(v, "ack", Int64(Int32.min)...Int64(UInt32.max))
                case "win": spec.window = try number(v, "win", 0...65535)
                case "urg": spec.urgent = try number(v, "urg", 0...65535)
                case "csum": spec.checksum = try number(v, "csum", 0...65535)
                case "ttl": spec.ttl = try number(v, "ttl", 0...255)
                case "count": spec.count = try number(v, "count", 1...Interpreter.maximumCount)
                case "rate": spec.rate = try number(v, "rate", 1...10_000_000)
                case "src", "dst":
                    let e = try endpoint(v)
                    var (s, d) = (e, e)
                    if case .explicit(let s0, let d0) = spec.route { (s, d) = (s0, d0) }
                    spec.route = .explicit(source: k.text == "src" ? e : s, destination: k.text == "dst" ? e : d)
                case "payload", "data": spec.payload = try payload(from: v)
                case "fill": spec.payload = .fill(try number(v, "fill", 0...65495))
                case "opt":
                    guard v.isWord else { throw error("opt takes hex bytes (opt=0x1e0400)", v.column) }
                    let hex = v.text.hasPrefix("0x") ? String(v.text.dropFirst(2)) : v.text
                    spec.options.append(.raw(try hexBytes(v, hex, offset: v.text.hasPrefix("0x") ? 2 : 0)))
                default:
                    if let o = try optionValue(k, v) { spec.options.append(o) }
                    else { throw error("unknown field '\(k.text)' for inject (seq ack win urg mss wscale ts sack opt payload fill csum ttl src dst count rate)", k.column) }
                }
                continue
            }
            if t.isWord {
                switch t.text {
                case "on", "to":
                    index += 1
                    let ref = connectionRef()
                    guard ref.name != nil else { throw error("'\(t.text)' needs a connection name", ref.column) }
                    spec.route = .connection(ref, towardUs: t.text == "to")
                    continue
                case "sackOK": spec.options.append(.sackPermitted); index += 1; continue
                case "nop": spec.options.append(.nop); index += 1; continue
                case "eol": spec.options.append(.eol); index += 1; continue
                default: break
                }
            }
            index += 1
            switch t.kind {
            case .string, .equals: spec.payload = try payload(from: t)
            case .word:
                if t.text.hasPrefix("@") || t.text.hasPrefix("0x") { spec.payload = try payload(from: t); continue }
                throw error("unexpected '\(t.text)' (inject FLAGS [SRC > DST | on NAME | to NAME] field=value ...)", t.column)
            }
        }
        return spec
    }

    /// The options written `mss=`, `wscale=`, `ts=V,E`, `sack=L:R,…`.
    func optionValue(_ k: Token, _ v: Token) throws(ScriptError) -> OptionSpec? {
        switch k.text {
        case "mss": return .mss(try number(v, "mss", 0...65535))
        case "wscale": return .windowScale(try number(v, "wscale", 0...255))
        case "ts":
            let parts = v.text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw error("ts takes VAL,ECR (ts=100,0)", v.column) }
            let a = Token(kind: .word, text: String(parts[0]), column: v.column)
            let b = Token(kind: .word, text: String(parts[1]), column: v.column + parts[0].count + 1)
            return .timestamps(try number(a, "TS val", 0...Int64(UInt32.max)), try number(b, "TS ecr", 0...Int64(UInt32.max)))
        case "sack":
            var blocks: [SACKBlockSpec] = []
            var col = v.column
            for part in v.text.split(separator: ",", omittingEmptySubsequences: false) {
                let edges = part.split(separator: ":", omittingEmptySubsequences: false)
                guard edges.count == 2 else { throw error("sack takes LEFT:RIGHT blocks (sack=1001:2001,3001:4001)", col) }
                let l = Token(kind: .word, text: String(edges[0]), column: col)
                let r = Token(kind: .word, text: String(edges[1]), column: col + edges[0].count + 1)
                blocks.append(SACKBlockSpec(left: try expression(l), right: try expression(r)))
                col += part.count + 1
            }
            guard (1...4).contains(blocks.count) else { throw error("sack takes 1 to 4 blocks", v.column) }
            return .sack(blocks)
        default: return nil
        }
    }

    /// `expect FLAGS|* [in|out] [SRC > DST | on NAME] [field=value|*]… [within T] [as NAME]`.
    mutating func parseExpect() throws(ScriptError) -> (SegmentPattern, Duration, String?) {
        var leadingDirection: Direction? = nil
        if let d = accept("in") ?? accept("out") { leadingDirection = d.text == "in" ? .inbound : .outbound }
        let ft = try word("TCP flags or * (expect S. ..., expect * ...)")
        var pattern = SegmentPattern(flags: ft.text == "*" ? nil : try flags(ft))
        pattern.direction = leadingDirection
        var w: Duration? = nil
        var n: String? = nil
        func opt(_ p: inout LineParser, _ v: Token, _ what: String, _ r: ClosedRange<Int64>) throws(ScriptError) -> Expr? {
            v.text == "*" ? nil : try p.number(v, what, r)
        }
        while let t = peek {
            if let r = try explicitRoute() { pattern.route = r; continue }
            if let (k, v) = try keyValue() {
                switch k.text {
                case "seq": pattern.seq = try opt(&self, v, "seq", Int64(Int32.min)...Int64(UInt32.max))
                case "ack": pattern.ack = try opt(&self, v, "ack", Int64(Int32.min)...Int64(UInt32.max))
                case "win": pattern.window = try opt(&self, v, "win", 0...65535)
                case "urg": pattern.urgent = try opt(&self, v, "urg", 0...65535)
                case "len": pattern.length = try opt(&self, v, "len", 0...65535)
                case "mss": pattern.mss = try opt(&self, v, "mss", 0...65535)
                case "wscale": pattern.windowScale = try opt(&self, v, "wscale", 0...255)
                case "payload", "data": pattern.payload = try payload(from: v)
                case "sack":
                    guard case .sack(let blocks) = try optionValue(k, v) else { throw error("sack takes LEFT:RIGHT blocks", v.column) }
                    pattern.sack = blocks
                case "ts":
                    if v.text == "*" { pattern.timestamps = (nil, nil) } else {
                        guard case .timestamps(let a, let b) = try optionValue(k, v) else { throw error("ts takes VAL,ECR or *", v.column) }
                        pattern.timestamps = (a, b)
                    }
                default:
                    throw error("unknown field '\(k.text)' for expect (seq ack win urg len mss wscale ts sack payload)", k.column)
                }
                continue
            }
            index += 1
            switch t.text {
            case "in": pattern.direction = .inbound
            case "out": pattern.direction = .outbound
            case "sackOK": pattern.sackPermitted = true
            case "noopts": pattern.noOptions = true
            case "on":
                let ref = connectionRef()
                guard ref.name != nil else { throw error("'on' needs a connection name", ref.column) }
                pattern.route = .connection(ref, towardUs: false)
            case "within": w = try duration(try word("a duration after 'within'"))
            case "as": n = try newName(try word("a name after 'as'"))
            default:
                if case .string = t.kind { pattern.payload = try payload(from: t); continue }
                throw error("unexpected '\(t.text)' (expect [in|out] FLAGS [SRC > DST | on NAME] field=value ... within T as NAME)", t.column)
            }
        }
        return (pattern, w ?? .seconds(1), n)
    }
}
