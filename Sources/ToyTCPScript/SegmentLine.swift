import ToyTCPWire

/// A segment as one tcpdump line with absolute numbers (`tcpdump -nn -S`), the numbering scripts use:
/// `IP 10.0.0.1.40000 > 10.0.1.1.7: Flags [S], seq 1000, win 65535, options [mss 1460], length 0`.
///
/// Used for `expect` diffs, where the expected side is also absolute; follows tcpdump's field rules
/// (seq only with payload or SYN/FIN/RST, ack only with ACK, urg only with URG).
public enum SegmentLine {
    public static func render(_ packet: IPv4Packet) -> String {
        let s = packet.segment
        var line = "IP \(packet.header.source).\(s.sourcePort) > \(packet.header.destination).\(s.destinationPort): "
        line += "Flags [\(s.flags)]"
        let n = s.payload.count
        if n > 0 || !s.flags.intersection([.syn, .fin, .rst]).isEmpty {
            line += n > 0 ? ", seq \(s.sequenceNumber):\(s.sequenceNumber + n)" : ", seq \(s.sequenceNumber)"
        }
        if s.flags.contains(.ack) { line += ", ack \(s.acknowledgmentNumber)" }
        line += ", win \(s.window)"
        if s.flags.contains(.urg) { line += ", urg \(s.urgentPointer)" }
        if !s.options.isEmpty { line += ", options [\(options(s.options))]" }
        line += ", length \(n)"
        return line
    }

    /// Options as tcpdump lists them (`mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`).
    public static func options(_ list: [TCPOption]) -> String {
        var parts: [String] = []
        for o in list {
            switch o {
            case .eol: parts.append("eol")
            case .nop: parts.append("nop")
            case .mss(let m): parts.append("mss \(m)")
            case .windowScale(let w): parts.append("wscale \(w)")
            case .sackPermitted: parts.append("sackOK")
            case .sack(let blocks):
                parts.append("sack \(blocks.count) " + blocks.map { "{\($0.left):\($0.right)}" }.joined())
            case .timestamps(let v, let e): parts.append("TS val \(v) ecr \(e)")
            case .unknown(let kind, let data):
                parts.append("unknown-\(kind) 0x" + data.map { b in
                    let h = String(b, radix: 16)
                    return h.count == 1 ? "0" + h : h
                }.joined())
            }
            if case .eol = o { break }
        }
        return parts.joined(separator: ",")
    }
}
