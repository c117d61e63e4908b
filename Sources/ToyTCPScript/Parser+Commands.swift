import ToyTCPLink
import ToyTCPEngine
import ToyTCPWire

extension LineParser {
    /// Parses the line's command: the command table (`CommandReference.all`) says which parser.
    mutating func parseCommand() throws(ScriptError) -> Command {
        guard var first = next() else { return .empty }
        if first.isWord, let t = StatementTime.parse(first.text) {
            time = t
            guard let command = next() else { throw error("a time needs a statement after it (+0.1 inject …)", endColumn + 1) }
            first = command
        } else if first.isWord, first.text.hasPrefix("+") || first.text.first?.isNumber == true {
            throw error("'\(first.text)' is not a time (0.250, +0.1, +0.1~+0.3 or *)", first.column)
        }
        guard first.isWord else { throw error("expected a command, got \(first.text)", first.column) }
        guard let reference = CommandReference.named(first.text) else {
            var message = "unknown command '\(first.text)'"
            if let guess = LineParser.closest(first.text, in: Parser.commandNames) { message += " (did you mean '\(guess)'?)" }
            message += "; type help for the list"
            throw error(message, first.column)
        }
        let command = try reference.parse(&self)
        try expectEnd()
        return command
    }

    mutating func parseSend() throws(ScriptError) -> Command {
        // `send [--urgent] DATA` (current connection) or `send NAME [--urgent] DATA`.
        func urgentFlag() -> Bool {
            guard let t = peek, t.isWord, t.text == "--urgent" else { return false }
            index += 1
            return true
        }
        var urgent = urgentFlag()
        var ref = ConnectionRef(name: nil, column: peek?.column ?? endColumn + 1)
        if !urgent, index + 1 < tokens.count, !tokens[index + 1].isEquals { ref = connectionRef() }
        if !urgent { urgent = urgentFlag() }
        return .send(ref, try payload(), urgent: urgent)
    }

    mutating func parseRecv() throws(ScriptError) -> Command {
        let ref = connectionRef()
        var count: Expr? = nil
        if let t = peek, t.isWord, t.text != "within" {
            index += 1
            count = try number(t, "byte count", 1...100_000_000)
        }
        return .recv(ref, count: count, within: try within())
    }

    mutating func parseWait() throws(ScriptError) -> Command {
        let ref = connectionRef()
        let t = try word("a TCP state (ESTABLISHED, CLOSE-WAIT, ...)")
        guard let state = TCPState(rawValue: t.text.uppercased()) else {
            throw error("'\(t.text)' is not a TCP state (\(TCPState.allCases.map(\.rawValue).joined(separator: ", ")))", t.column)
        }
        return .wait(ref, state, within: try within() ?? .seconds(1))
    }

    mutating func parseShow() throws(ScriptError) -> Command {
        guard let t = next() else { return .show(nil, column: endColumn + 1) }
        guard t.isWord else { throw error("show takes LAST or a segment name", t.column) }
        return .show(t.text, column: t.column)
    }

    mutating func parseRecord() throws(ScriptError) -> Command {
        guard let t = next() else { throw error("record needs a file name (FILE.pcap) or off", endColumn + 1) }
        switch t.kind {
        case .string(let b): return .record(String(decoding: b, as: UTF8.self))
        default: return .record(t.text == "off" ? nil : t.text)
        }
    }

    mutating func parseLet() throws(ScriptError) -> Command {
        let n = try newName(try word("a variable name"))
        guard let eq = next(), eq.isEquals else { throw error("expected '=' after the name", endColumn + 1) }
        let (e, _) = try restAsExpression("an expression")
        return .let_(n, e)
    }

    /// `repeat N [as NAME] {`.
    mutating func parseRepeat() throws(ScriptError) -> Command {
        let n = try word("a count (repeat 10 {)")
        let count = try number(n, "repeat count", 0...Interpreter.maximumRepeat)
        var index = Interpreter.copyIndexName
        if let name = try asName() { index = name }
        guard let brace = next(), brace.text == "{" else { throw error("expected '{' to open the block", endColumn + 1) }
        _ = brace
        return .blockOpen(count: count, index: index)
    }

    mutating func parseTrace() throws(ScriptError) -> Command {
        let t = try word("on or off")
        guard t.text == "on" || t.text == "off" else { throw error("trace takes on or off, not '\(t.text)'", t.column) }
        return .trace(t.text == "on")
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

    /// `connect ADDR PORT [from [ADDR:]PORT] [as NAME]` or `connect ADDR:PORT …`; an IPv6 ADDR is written
    /// bare before a separate PORT (`connect fd00:0:0:2::1 7`) or bracketed with it (`[fd00:0:0:2::1]:7`).
    mutating func parseConnect() throws(ScriptError) -> Command {
        let t = try word("an address and port (connect 10.0.1.1 7, connect [fd00:0:0:2::1]:7)")
        let remote: Endpoint
        if t.text.contains(":") && !Self.isBareIPv6(t) {
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
                if Self.isBareIPv6(f) { local = Endpoint(address: try address(f), port: 0) }
                else if f.text.contains(":") || f.text.split(separator: ".").count == 5 { local = try endpoint(f) }
                else if f.text.contains(".") { local = Endpoint(address: try address(f), port: 0) }
                else { localPort = UInt16(try constant(f, "port", 1...65535)) }
            case "within": w = try within()
            case "as": n = try asName()
            default: throw error("unexpected '\(t.text)' (connect ADDR PORT [from [ADDR:]PORT] [within T] [as NAME])", t.column)
            }
        }
        return .connect(remote: remote, local: local, localPortOnly: localPort, within: w, name: n)
    }

    /// `listen [ADDR] PORT [as NAME]` or `listen ADDR:PORT` (`listen [::]:80`: every IPv6 address only;
    /// `listen 80`: every address of both families).
    mutating func parseListen() throws(ScriptError) -> Command {
        let t = try word("a port (listen 8080, or listen 10.0.0.1 8080)")
        if t.text.contains(":") && !Self.isBareIPv6(t) {
            let e = try endpoint(t)
            return .listen(local: e, port: e.port, name: try asName())
        }
        if t.text.contains(".") || Self.isBareIPv6(t) {
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
        if key.text == "numbers" {
            guard value.text == "relative" || value.text == "absolute" else {
                throw error("set numbers takes relative (from each side's ISN, as tcpdump prints) or absolute", value.column)
            }
            return .setNumbers(relative: value.text == "relative")
        }
        if key.text == "tolerance" { return .setTolerance(try duration(value)) }
        if key.text == "crafted" {
            guard value.text == "keep" || value.text == "feed" else {
                throw error("set crafted takes keep (answers to crafted segments are shown, not given to our stack) or feed (our stack gets them)", value.column)
            }
            return .setCrafted(feedsStack: value.text == "feed")
        }
        if key.text == "loop" {
            // `spin` takes its duration as a third word: `set loop spin 200us`.
            var words = [value.text]
            if value.text == "spin" { words.append(try word("how long to spin before sleeping (e.g. 200us)").text) }
            guard let policy = EventLoop.WaitPolicy(words) else {
                throw error("set loop takes sleep, busy-poll or spin DURATION (1ns to 1s, e.g. spin 200us), not '\(words.joined(separator: " "))'", value.column)
            }
            return .setLoop(.wait(policy), column: value.column)
        }
        if key.text == "loop-priority" {
            switch value.text {
            case "normal": return .setLoop(.realTime(priority: nil), column: value.column)
            case "realtime":
                // An optional SCHED_FIFO priority; 10 by default.
                var priority: Int32 = 10
                if let p = next() { priority = Int32(try constant(p, "priority", 1...99)) }
                return .setLoop(.realTime(priority: priority), column: value.column)
            default:
                throw error("set loop-priority takes realtime [1-99] (SCHED_FIFO, needs root) or normal, not '\(value.text)'", value.column)
            }
        }
        if key.text == "expect" {
            guard value.text == "strict" || value.text == "any" else {
                throw error("set expect takes strict (the next new segment must match) or any (the first that matches)", value.column)
            }
            return .setExpect(strict: value.text == "strict")
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
        if (t.text.contains(".") && !t.text.contains(":")) || Self.isBareIPv6(t), accept("connect") != nil {
            let a = try address(t)
            let dst = try endpoint(try word("where to connect: ADDRESS:PORT"))
            var count: Int? = nil
            if kind == .send { count = Int(try constant(try word("a byte count"), "byte count", 0...1_000_000_000)) }
            return .peer(kind, Endpoint(address: a, port: 0), count: count, connectTo: dst)
        }
        let e: Endpoint
        if t.text.contains(":") && !Self.isBareIPv6(t) { e = try endpoint(t) } else {
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
}
