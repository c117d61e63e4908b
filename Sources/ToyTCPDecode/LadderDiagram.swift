import ToyTCPWire

/// The ladder (arrow) diagram of one TCP conversation, as RFC 9293's figures draw it (§3.5 Figure 6):
/// the two ends as columns, time going down, one arrow per segment labelled with its flags, sequence
/// and acknowledgment numbers, length and window, each side's state written where it changes (inferred
/// by `LadderStateInference`). Retransmissions are drawn with `=` and marked `R`; lost segments end in
/// an `X` halfway across. Plain text that pastes into a bug report; with `color`, ANSI colours as well.
///
/// Layout of one line: `time | left state | lane | right state`, the lane taking whatever width is left.
public struct LadderDiagram {
    public struct Options: Sendable {
        /// Total width in columns (the terminal's, or `--width`); at least 60 is used.
        public var width: Int = 100
        /// Print sequence numbers as carried instead of relative to each side's first one.
        public var absolute = false
        /// Add ANSI colours (retransmissions yellow, lost and RST red, SYN/FIN green, states bold).
        public var color = false
        public init(width: Int = 100, absolute: Bool = false, color: Bool = false) {
            self.width = width
            self.absolute = absolute
            self.color = color
        }
    }

    static let timeWidth = 10
    static let stateWidth = 12

    /// One segment placed on the diagram.
    struct Entry {
        var segment: FlowSegment
        var leftToRight: Bool
        var lost: Bool
        var reason: String?
    }

    /// Draws `packets` (non-TCP packets are skipped). `left` names the left column: by default the sender
    /// of the first segment. A packet's own `leftToRight` wins over the addresses.
    public static func render(_ packets: [LadderPacket], left: FlowEndpoint? = nil, options: Options = Options()) -> String {
        var entries: [Entry] = []
        entries.reserveCapacity(packets.count)
        var leftEnd = left
        var rightEnd: FlowEndpoint?
        for p in packets {
            guard let s = FlowSegment(ipv4: p.bytes, time: p.time) else { continue }
            if leftEnd == nil { leftEnd = p.leftToRight == false ? s.destination : s.source }
            let l2r = p.leftToRight ?? (s.source == leftEnd)
            if rightEnd == nil { rightEnd = l2r ? s.destination : s.source }
            entries.append(Entry(segment: s, leftToRight: l2r, lost: p.lost, reason: p.reason))
        }
        return render(entries, left: leftEnd, right: rightEnd, options: options)
    }

    /// Draws already decoded segments (a capture file's), `left` being the left column.
    public static func render(segments: [FlowSegment], left: FlowEndpoint, options: Options = Options()) -> String {
        let entries = segments.map { Entry(segment: $0, leftToRight: $0.source == left, lost: false, reason: nil) }
        let right = segments.first.map { $0.source == left ? $0.destination : $0.source }
        return render(entries, left: left, right: right, options: options)
    }

    static func render(_ entries: [Entry], left: FlowEndpoint?, right: FlowEndpoint?, options: Options) -> String {
        let width = max(60, options.width)
        let lane = width - timeWidth - 2 * stateWidth - 3
        var out = ""
        let paint = Painter(enabled: options.color)
        // Header: the two ends, then their first known states.
        let leftName = left?.description ?? "?"
        let rightName = right?.description ?? "?"
        // Each end's name above its state column.
        var header = pad("time (s)", timeWidth, right: true) + " " + leftName
        header = pad(header, max(header.count + 1, timeWidth + stateWidth + lane + 3)) + rightName
        out += header + "\n"
        let inferred = LadderStateInference.infer(entries.map { ($0.segment, $0.leftToRight, $0.lost) })
        if inferred.initialLeft != nil || inferred.initialRight != nil {
            out += line(time: "", left: inferred.initialLeft, right: inferred.initialRight,
                        lane: pad("|", lane - 1) + "|", paint: paint) + "\n"
        }
        var numbering = RelativeNumbering(absolute: options.absolute)
        var highest: [SequenceNumber?] = [nil, nil]
        let origin = entries.first?.segment.time ?? 0
        for (entry, change) in zip(entries, inferred.changes) {
            let s = entry.segment
            let d = entry.leftToRight ? 0 : 1
            var isRetransmission = false
            if s.sequenceLength > 0 {
                let end = s.sequence + s.sequenceLength
                if let h = highest[d], s.sequence < h { isRetransmission = true }
                highest[d] = highest[d].map { SequenceNumber.max($0, end) } ?? end
            }
            var label = numbering.label(s, direction: d)
            if isRetransmission { label = "R " + label }
            if let reason = entry.reason { label += " (" + reason + ")" }
            let arrow = drawArrow(label: label, lane: lane, leftToRight: entry.leftToRight, lost: entry.lost,
                                  fill: isRetransmission ? "=" : "-")
            let style: Painter.Style = entry.lost || s.flags.contains(.rst) ? .red
                : isRetransmission ? .yellow
                : s.flags.contains(.syn) || s.flags.contains(.fin) ? .green : .plain
            let time = DecimalText.seconds(s.time - origin)
            out += line(time: time, left: change.left, right: change.right,
                        lane: "|" + paint.apply(style, arrow) + "|", paint: paint) + "\n"
        }
        return out
    }

    static func line(time: String, left: TCPState?, right: TCPState?, lane: String, paint: Painter) -> String {
        let l = left.map { paint.apply(.bold, pad($0.rawValue, stateWidth)) } ?? String(repeating: " ", count: stateWidth)
        var text = pad(time, timeWidth, right: true) + " " + l + " " + lane
        if let r = right { text += " " + paint.apply(.bold, r.rawValue) }
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// The inside of the lane (between the two `|`): `-- label ---->` or `<---- label --`, `=` for a
    /// retransmission, ending in `X` halfway across when the segment was lost.
    static func drawArrow(label: String, lane: Int, leftToRight: Bool, lost: Bool, fill: Character) -> String {
        let inner = lane - 2
        let room = max(1, inner - 6)
        var text = label
        if text.count > room { text = String(text.prefix(room - 1)) + "~" }
        let dashes2 = String(repeating: fill, count: 2)
        let reach = lost ? max(text.count + 6, inner * 2 / 3) : inner
        let fillCount = max(1, reach - text.count - 5)
        let body: String
        if leftToRight {
            body = dashes2 + " " + text + " " + String(repeating: fill, count: fillCount) + (lost ? "X" : ">")
            return body + String(repeating: " ", count: max(0, inner - body.count))
        } else {
            body = (lost ? "X" : "<") + String(repeating: fill, count: fillCount) + " " + text + " " + dashes2
            return String(repeating: " ", count: max(0, inner - body.count)) + body
        }
    }

    static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        guard s.count < n else { return s }
        let spaces = String(repeating: " ", count: n - s.count)
        return right ? spaces + s : s + spaces
    }
}

/// ANSI colours when writing to a terminal; nothing otherwise.
struct Painter {
    enum Style { case plain, red, yellow, green, bold }
    var enabled: Bool

    func apply(_ style: Style, _ text: String) -> String {
        guard enabled else { return text }
        let code: String
        switch style {
        case .plain: return text
        case .red: code = "31"
        case .yellow: code = "33"
        case .green: code = "32"
        case .bold: code = "1"
        }
        return "\u{1B}[" + code + "m" + text + "\u{1B}[0m"
    }
}

/// Sequence and acknowledgment numbers relative to each side's first sequence number, so a handshake
/// reads `seq 0`, `ack 1` (a capture that starts mid-conversation takes the first numbers it sees; an
/// acknowledgment seen before the other side spoke sets that side's base to `ack - 1`).
struct RelativeNumbering {
    var absolute: Bool
    var base: [SequenceNumber?] = [nil, nil]

    mutating func label(_ s: FlowSegment, direction d: Int) -> String {
        if base[d] == nil { base[d] = s.sequence }
        if s.flags.contains(.ack) && base[1 - d] == nil { base[1 - d] = s.acknowledgment - 1 }
        func rel(_ n: SequenceNumber, _ side: Int) -> String {
            guard !absolute, let b = base[side] else { return String(n.rawValue) }
            return String((n.rawValue &- b.rawValue))
        }
        var text = flagText(s.flags)
        let start = rel(s.sequence, d)
        text += " seq " + start
        if s.payloadLength > 0 {
            text += ":" + rel(s.sequence + s.payloadLength, d) + "(" + String(s.payloadLength) + ")"
        }
        if s.flags.contains(.ack) { text += " ack " + rel(s.acknowledgment, 1 - d) }
        text += " win " + String(s.window)
        if let m = s.mss { text += " mss " + String(m) }
        if let w = s.windowScale { text += " ws " + String(w) }
        for b in s.sackBlocks { text += " sack " + rel(b.left, 1 - d) + ":" + rel(b.right, 1 - d) }
        return text
    }

    func flagText(_ f: TCPFlags) -> String {
        var t = ""
        for (flag, letter) in TCPFlags.tcpdumpOrder where f.contains(flag) { t.append(letter) }
        return t.isEmpty ? "none" : t
    }
}
