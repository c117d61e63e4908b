/// The table of commands: name, other spellings, usage, what it does, an example, the words
/// completion offers, and the parser of its arguments. The parser, `help` and completion all read this
/// one table, so a command added here is known to all three.
public struct CommandReference: Sendable {
    public var name: String
    public var usage: String
    public var summary: String
    public var example: String
    /// Words completion offers after the command (flag letters, keys, keywords).
    public var keywords: [String]
    /// Other spellings (`craft` for `inject`).
    public var aliases: [String]
    /// Parses the arguments after the command word.
    let parse: @Sendable (inout LineParser) throws(ScriptError) -> Command

    init(name: String, usage: String, summary: String, example: String, keywords: [String], aliases: [String] = [],
         parse: @escaping @Sendable (inout LineParser) throws(ScriptError) -> Command) {
        self.name = name
        self.usage = usage
        self.summary = summary
        self.example = example
        self.keywords = keywords
        self.aliases = aliases
        self.parse = parse
    }

    /// The keys of a segment template, for completion (`seq=`, `ttl=`, …).
    static func templateKeys(_ use: TemplateUse) -> [String] {
        HeaderField.all.filter { use == .expect || $0.write != nil }.map { $0.name + "=" }
            + ["csum=", "ipcsum=", "ipopt=", "mss=", "wscale=", "sackOK", "ts=", "sack=", "nop", "eol", "opt=", "payload=", "fill="]
    }

    public static let all: [CommandReference] = [
        .init(name: "connect", usage: "connect ADDR PORT [from [ADDR:]PORT] [within T] [as NAME]",
              summary: "active open (RFC 9293 §3.10.1); waits up to 3s (or T) for ESTABLISHED", example: "connect 10.0.1.1 7 as c",
              keywords: ["from", "within", "as"],
              parse: { p throws(ScriptError) in try p.parseConnect() }),
        .init(name: "listen", usage: "listen [ADDR] PORT [as NAME]", summary: "passive open on PORT",
              example: "listen 8080 as srv", keywords: ["as"],
              parse: { p throws(ScriptError) in try p.parseListen() }),
        .init(name: "accept", usage: "accept [LISTENER] [within T] [as NAME]",
              summary: "waits (default 10s) for a connection that completed its handshake", example: "accept srv within 5s as c",
              keywords: ["within", "as"],
              parse: { p throws(ScriptError) in .accept(listener: p.connectionRef(), within: try p.within(), name: try p.asName()) }),
        .init(name: "send", usage: "send [NAME] DATA", summary: "queues data: \"text\\n\" (escapes), 0xHEX, @FILE or fill=N",
              example: "send c \"hello\\n\"", keywords: ["fill="],
              parse: { p throws(ScriptError) in try p.parseSend() }),
        .init(name: "recv", usage: "recv [NAME] [N] [within T]", summary: "waits (default 1s) for data and prints it; kept in NAME.data",
              example: "recv c 6 within 1s", keywords: ["within"], aliases: ["receive"],
              parse: { p throws(ScriptError) in try p.parseRecv() }),
        .init(name: "shutdown", usage: "shutdown [NAME]", summary: "half-close: FIN after queued data, keep receiving",
              example: "shutdown c", keywords: [],
              parse: { p in .shutdown(p.connectionRef()) }),
        .init(name: "close", usage: "close [NAME]", summary: "close both directions (FIN)", example: "close c", keywords: [],
              parse: { p in .close(p.connectionRef()) }),
        .init(name: "abort", usage: "abort [NAME]", summary: "send RST and drop the connection (RFC 9293 §3.10.5)",
              example: "abort c", keywords: [],
              parse: { p in .abort(p.connectionRef()) }),
        .init(name: "status", usage: "status [NAME]",
              summary: "state and variables: SND.UNA/NXT/WND, RCV.NXT/WND, cwnd, SRTT, RTO, queues; listeners: backlog, half-open, accept queue, SYNs dropped, SYN-ACK retransmissions", example: "status", keywords: [],
              parse: { p in let r = p.connectionRef(); return .status(r.name == nil ? nil : r) }),
        .init(name: "set", usage: "set [OPTION VALUE]",
              summary: "stack options for new connections: " + StackOption.allCases.map(\.rawValue).joined(separator: " ")
                  + "; script settings: expect strict|any, tolerance T (4ms), numbers relative|absolute, crafted keep|feed; the lab's event loop: loop sleep|busy-poll|spin T (how it waits: busy-poll answers fastest and takes a CPU), loop-priority realtime [N]|normal (SCHED_FIFO, root)",
              example: "set wscale off", keywords: StackOption.allCases.map(\.rawValue) + ["expect", "tolerance", "numbers", "crafted", "loop", "loop-priority"],
              parse: { p throws(ScriptError) in try p.parseSet() }),
        .init(name: "use", usage: "use NAME", summary: "make NAME the current connection", example: "use c2", keywords: [],
              parse: { p throws(ScriptError) in
                  let r = p.connectionRef()
                  guard r.name != nil else { throw p.error("use needs a connection name", r.column) }
                  return .use(r)
              }),
        .init(name: "inject", usage: "inject FLAGS [SRC > DST | on NAME | to NAME] [FIELD=E ...] [OPTIONS in order] [DATA] [count=N rate=R]",
              summary: "crafts and sends a segment (alias craft). FIELDs: " + HeaderField.all.filter { $0.write != nil }.map(\.name).joined(separator: " ")
                  + " csum=right|wrong|N ipcsum=… ipopt=HEX; OPTIONS: mss=N wscale=N sackOK ts=V,E sack=L:R,… nop eol opt=HEX (raw, any length byte); FLAGS as tcpdump/packetdrill write them; with count=N each copy may vary: i is its index, random a fresh number, srcrange=A-B its source address",
              example: "inject R on c seq=c.snd.nxt", keywords: ["on", "to", "count=", "rate=", "src=", "dst=", "srcrange="] + templateKeys(.inject), aliases: ["craft"],
              parse: { p throws(ScriptError) in .inject(try p.parseTemplate(.inject).0) }),
        .init(name: "expect", usage: "expect [held] [none] [in|out] FLAGS|* [SRC > DST | on NAME] [FIELD=E|* ...] [mss=N|*|none ts=V,E|*|none sack=…|none sackOK noopts] [DATA] [within T] [as NAME]",
              summary: "waits (default 1s) for a segment that arrives after the previous line and matches (inbound unless out); fields are evaluated when it arrives; binds it to NAME; 'none' fails if one comes; set expect strict: the next one must match",
              example: "expect S. ack=1001 within 1s as synack", keywords: ["none", "in", "out", "on", "noopts", "within", "as"] + templateKeys(.expect),
              parse: { p throws(ScriptError) in
                  if p.accept("held") != nil { return try p.parseExpectHeld() }
                  let (t, w, n) = try p.parseTemplate(.expect)
                  return .expect(t, within: w ?? .seconds(1), name: n)
              }),
        .init(name: "wait", usage: "wait [NAME] STATE [within T]", summary: "waits (default 1s) until the connection is in STATE, or has passed through it since the previous line began (NAME.history lists them)",
              example: "wait c ESTABLISHED within 1s", keywords: ["within"] + ["ESTABLISHED", "CLOSED", "CLOSE-WAIT", "TIME-WAIT", "FIN-WAIT-2", "LAST-ACK", "SYN-SENT", "SYN-RECEIVED"],
              parse: { p throws(ScriptError) in try p.parseWait() }),
        .init(name: "trace", usage: "trace on|off", summary: "prints every segment in and out (tcpdump -S line) and every state change",
              example: "trace on", keywords: ["on", "off"],
              parse: { p throws(ScriptError) in try p.parseTrace() }),
        .init(name: "show", usage: "show [LAST|NAME]", summary: "prints a segment as the RFC 9293 §3.1 header diagram",
              example: "show synack", keywords: ["LAST"],
              parse: { p throws(ScriptError) in try p.parseShow() }),
        .init(name: "record", usage: "record FILE.pcap|off", summary: "writes all traffic to a pcap file (open it with tcpdump -r or wireshark)",
              example: "record /tmp/session.pcap", keywords: ["off"],
              parse: { p throws(ScriptError) in try p.parseRecord() }),
        .init(name: "let", usage: "let NAME = EXPR", summary: "a variable for later lines", example: "let isn = synack.seq", keywords: [],
              parse: { p throws(ScriptError) in try p.parseLet() }),
        .init(name: "sleep", usage: "sleep T", summary: "lets time pass (virtual on the simulated network)", example: "sleep 200ms", keywords: [],
              parse: { p throws(ScriptError) in .sleep(try p.duration(try p.word("a duration (e.g. 500ms)"))) }),
        .init(name: "assert", usage: "assert EXPR", summary: "fails the script unless EXPR holds",
              example: "assert c.state == ESTABLISHED && c.data == \"hi\\n\"", keywords: [],
              parse: { p throws(ScriptError) in
                  let (e, text) = try p.restAsExpression("a condition (e.g. c.state == ESTABLISHED)")
                  return .assert(e, text: text)
              }),
        .init(name: "print", usage: "print EXPR", summary: "prints a value", example: "print c.snd.nxt - c.snd.iss", keywords: [],
              parse: { p throws(ScriptError) in .print(try p.restAsExpression("an expression").0) }),
        .init(name: "peer", usage: "peer echo|discard ADDR PORT | peer send ADDR PORT N | peer KIND ADDR connect DST:PORT [N]",
              summary: "starts a peer application on the simulated network (a server, or a client with connect)", example: "peer echo 10.0.1.1 7",
              keywords: PeerKind.allCases.map(\.rawValue),
              parse: { p throws(ScriptError) in try p.parsePeer() }),
        .init(name: "host2", usage: "host2 \"COMMAND\" as NAME",
              summary: "lab only: runs COMMAND (sh -c) in the peer namespace (PREFIX-host2) until the script ends; NAME.output is what it printed, NAME.running, NAME.status",
              example: "host2 \"nc -l 10.0.1.1 8080\" as p", keywords: ["as"],
              parse: { p throws(ScriptError) in
                  guard let t = p.next(), case .string(let b) = t.kind else {
                      throw p.error("host2 takes a quoted command: host2 \"nc -l 10.0.1.1 8080\" as p", p.endColumn + 1)
                  }
                  guard let name = try p.asName() else { throw p.error("name the process: host2 \"…\" as NAME", p.endColumn + 1) }
                  return .host2(command: String(decoding: b, as: UTF8.self), name: name)
              }),
        .init(name: "stats", usage: "stats", summary: "the stack's counters (segments in/out, RSTs, challenge ACKs, drops, retransmissions…); each is stack.NAME in expressions",
              example: "stats", keywords: [], parse: { _ in .stats }),
        .init(name: "repeat", usage: "repeat N [as NAME] { … }",
              summary: "runs the lines up to the matching } N times (scripts only); NAME (default i) is 0, 1, … in expressions",
              example: "repeat 3 as k {", keywords: ["as", "{"],
              parse: { p throws(ScriptError) in try p.parseRepeat() }),
        .init(name: "}", usage: "}", summary: "ends a repeat block", example: "}", keywords: [], parse: { _ in .blockClose }),
        .init(name: "ladder", usage: "ladder [NAME]", summary: "the connection's segments so far as an arrow diagram (RFC 9293 figures)",
              example: "ladder c", keywords: [],
              parse: { p in .ladder(p.connectionRef()) }),
        .init(name: "graph", usage: "graph [NAME] --out FILE [--html] [--from T] [--to T]",
              summary: "writes its time-sequence graph and cwnd/ssthresh/flight/SRTT/RTO/rwnd plots as SVG (or one HTML page)",
              example: "graph c --out /tmp/c.html --html", keywords: ["--out", "--html", "--from", "--to"],
              parse: { p throws(ScriptError) in try p.parseGraph() }),
        .init(name: "help", usage: "help [COMMAND]", summary: "this list, or one command with an example", example: "help inject", keywords: [],
              aliases: ["?"], parse: { p in .help(p.next()?.text) }),
        .init(name: "quit", usage: "quit", summary: "closes every connection and leaves (Ctrl-D does the same)", example: "quit", keywords: [], aliases: ["exit"],
              parse: { _ in .quit }),
    ] + interceptCommands

    static let byName: [String: CommandReference] = {
        var d: [String: CommandReference] = [:]
        for r in all { for n in [r.name] + r.aliases { d[n] = r } }
        return d
    }()

    public static func named(_ name: String) -> CommandReference? { byName[name] }

    /// Plain-text help (the shell may format it differently).
    public static func usage(_ topic: String?) -> String {
        if let topic {
            guard let r = named(topic) else {
                var s = "no command '\(topic)'"
                if let g = LineParser.closest(topic, in: Parser.commandNames) { s += " (did you mean '\(g)'?)" }
                return s + "; help lists them"
            }
            return "\(r.usage)\n  \(r.summary)\n  example: \(r.example)"
        }
        let width = all.map(\.name.count).max() ?? 8
        var lines = all.map { $0.name + String(repeating: " ", count: width - $0.name.count + 2) + $0.summary }
        lines.append("")
        lines.append("help COMMAND shows its syntax and an example. Numbers may be expressions: seq=c.snd.nxt ack=synack.seq+1.")
        return lines.joined(separator: "\n")
    }
}
