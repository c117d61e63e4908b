/// The reference of every command: usage, what it does, an example. `help`, completion and the
/// README's language reference come from here.
public struct CommandReference: Sendable {
    public var name: String
    public var usage: String
    public var summary: String
    public var example: String
    /// Words completion offers after the command (flag letters, keys, keywords).
    public var keywords: [String]

    public static let all: [CommandReference] = [
        .init(name: "connect", usage: "connect ADDR PORT [from [ADDR:]PORT] [within T] [as NAME]",
              summary: "active open (RFC 9293 §3.10.1); waits up to 3s (or T) for ESTABLISHED", example: "connect 10.0.1.1 7 as c",
              keywords: ["from", "within", "as"]),
        .init(name: "listen", usage: "listen [ADDR] PORT [as NAME]", summary: "passive open on PORT",
              example: "listen 8080 as srv", keywords: ["as"]),
        .init(name: "accept", usage: "accept [LISTENER] [within T] [as NAME]",
              summary: "waits (default 10s) for a connection that completed its handshake", example: "accept srv within 5s as c",
              keywords: ["within", "as"]),
        .init(name: "send", usage: "send [NAME] DATA", summary: "queues data: \"text\\n\" (escapes), 0xHEX, @FILE or fill=N",
              example: "send c \"hello\\n\"", keywords: ["fill="]),
        .init(name: "recv", usage: "recv [NAME] [N] [within T]", summary: "waits (default 1s) for data and prints it; kept in NAME.data",
              example: "recv c 6 within 1s", keywords: ["within"]),
        .init(name: "shutdown", usage: "shutdown [NAME]", summary: "half-close: FIN after queued data, keep receiving",
              example: "shutdown c", keywords: []),
        .init(name: "close", usage: "close [NAME]", summary: "close both directions (FIN)", example: "close c", keywords: []),
        .init(name: "abort", usage: "abort [NAME]", summary: "send RST and drop the connection (RFC 9293 §3.10.5)",
              example: "abort c", keywords: []),
        .init(name: "status", usage: "status [NAME]",
              summary: "state and variables: SND.UNA/NXT/WND, RCV.NXT/WND, cwnd, SRTT, RTO, queues", example: "status", keywords: []),
        .init(name: "set", usage: "set [OPTION VALUE]",
              summary: "stack options for new connections: " + StackOption.allCases.map(\.rawValue).joined(separator: " "),
              example: "set wscale off", keywords: StackOption.allCases.map(\.rawValue)),
        .init(name: "use", usage: "use NAME", summary: "make NAME the current connection", example: "use c2", keywords: []),
        .init(name: "inject", usage: "inject FLAGS [SRC > DST | on NAME | to NAME] [seq=E ack=E win=E urg=E] [mss=N wscale=N sackOK ts=V,E sack=L:R nop opt=HEX] [DATA] [csum=X] [ttl=N] [count=N rate=R]",
              summary: "crafts and sends one segment (alias craft); FLAGS as tcpdump/packetdrill write them: S S. SA PA FA R R. .; fields are expressions",
              example: "inject R on c seq=c.snd.nxt", keywords: ["on", "to", "seq=", "ack=", "win=", "urg=", "mss=", "wscale=", "sackOK", "ts=", "sack=", "nop", "opt=", "payload=", "fill=", "csum=", "ttl=", "count=", "rate=", "src=", "dst="]),
        .init(name: "expect", usage: "expect [in|out] FLAGS|* [SRC > DST | on NAME] [seq=E ack=E win=E len=E mss=N wscale=N sackOK ts=V,E|* sack=L:R,… noopts] [DATA] [within T] [as NAME]",
              summary: "waits (default 1s) for a matching segment (inbound unless out); binds it to NAME; fails with a field diff",
              example: "expect S. ack=1001 within 1s as synack", keywords: ["in", "out", "on", "seq=", "ack=", "win=", "len=", "mss=", "wscale=", "sackOK", "ts=", "sack=", "noopts", "payload=", "within", "as"]),
        .init(name: "wait", usage: "wait [NAME] STATE [within T]", summary: "waits (default 1s) until the connection is in STATE",
              example: "wait c ESTABLISHED within 1s", keywords: ["within"] + ["ESTABLISHED", "CLOSED", "CLOSE-WAIT", "TIME-WAIT", "FIN-WAIT-2", "LAST-ACK", "SYN-SENT", "SYN-RECEIVED"]),
        .init(name: "trace", usage: "trace on|off", summary: "prints every segment in and out (tcpdump -S line) and every state change",
              example: "trace on", keywords: ["on", "off"]),
        .init(name: "show", usage: "show [LAST|NAME]", summary: "prints a segment as the RFC 9293 §3.1 header diagram",
              example: "show synack", keywords: ["LAST"]),
        .init(name: "record", usage: "record FILE.pcap|off", summary: "writes all traffic to a pcap file (open it with tcpdump -r or wireshark)",
              example: "record /tmp/session.pcap", keywords: ["off"]),
        .init(name: "let", usage: "let NAME = EXPR", summary: "a variable for later lines", example: "let isn = synack.seq", keywords: []),
        .init(name: "sleep", usage: "sleep T", summary: "lets time pass (virtual on the simulated network)", example: "sleep 200ms", keywords: []),
        .init(name: "assert", usage: "assert EXPR", summary: "fails the script unless EXPR holds",
              example: "assert c.state == ESTABLISHED && c.data == \"hi\\n\"", keywords: []),
        .init(name: "print", usage: "print EXPR", summary: "prints a value", example: "print c.snd.nxt - c.snd.iss", keywords: []),
        .init(name: "peer", usage: "peer echo|discard ADDR PORT | peer send ADDR PORT N | peer KIND ADDR connect DST:PORT [N]",
              summary: "starts a peer application on the simulated network (a server, or a client with connect)", example: "peer echo 10.0.1.1 7",
              keywords: PeerKind.allCases.map(\.rawValue)),
        .init(name: "ladder", usage: "ladder [NAME]", summary: "the connection's segments so far as an arrow diagram (RFC 9293 figures)",
              example: "ladder c", keywords: []),
        .init(name: "graph", usage: "graph [NAME] --out FILE [--html] [--from T] [--to T]",
              summary: "writes its time-sequence graph and cwnd/ssthresh/flight/SRTT/RTO/rwnd plots as SVG (or one HTML page)",
              example: "graph c --out /tmp/c.html --html", keywords: ["--out", "--html", "--from", "--to"]),
        .init(name: "help", usage: "help [COMMAND]", summary: "this list, or one command with an example", example: "help inject", keywords: []),
        .init(name: "quit", usage: "quit", summary: "closes every connection and leaves (Ctrl-D does the same)", example: "quit", keywords: []),
    ]

    public static func named(_ name: String) -> CommandReference? {
        let n = Parser.aliases[name] ?? name
        return all.first { $0.name == n }
    }

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
