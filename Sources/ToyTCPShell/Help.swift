import ToyTCPScript

/// `help` and `help COMMAND`: the command list with one line each, or one command's syntax, what it
/// does and an example (from `CommandReference`, shared with the README's language reference).
public enum Help {
    public static func text(_ topic: String?) -> String {
        guard topic == nil else { return CommandReference.usage(topic) }
        var lines = ["Commands (help COMMAND for its syntax and an example):"]
        let width = CommandReference.all.map(\.name.count).max() ?? 8
        for r in CommandReference.all {
            lines.append("  " + r.name + String(repeating: " ", count: width - r.name.count + 2) + r.summary)
        }
        lines.append("")
        lines.append("Numbers may be expressions over live variables: inject . on c seq=c.snd.nxt ack=c.rcv.nxt+1")
        lines.append("Segments print as tcpdump -nn -S lines (absolute numbers). Tab completes; Ctrl-C stops a wait; Ctrl-D leaves.")
        return lines.joined(separator: "\n")
    }
}
