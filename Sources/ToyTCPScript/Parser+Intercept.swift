import ToyTCPWire

extension LineParser {
    mutating func parseIntercept() throws(ScriptError) -> Command {
        if accept("off") != nil { return .intercept(.off) }
        guard accept("on") != nil else {
            throw error("intercept on [in|out|both] [PATTERN | on NAME], or intercept off", peek?.column ?? endColumn + 1)
        }
        var direction: Direction? = nil
        if accept("in") != nil { direction = .inbound }
        else if accept("out") != nil { direction = .outbound }
        else if accept("both") != nil { direction = nil }
        if atEnd { return .intercept(.on(direction: direction, template: nil, connection: nil)) }
        if accept("on") != nil {
            let ref = connectionRef()
            guard ref.name != nil else { throw error("expected a connection name after 'on'", ref.column) }
            return .intercept(.on(direction: direction, template: nil, connection: ref))
        }
        var (t, within, name) = try parseTemplate(.expect)
        if within != nil || name != nil { throw error("intercept takes no 'within' or 'as'", endColumn) }
        if let direction {
            if let d = t.direction, d != direction { throw error("the direction is given twice", endColumn) }
            t.direction = direction
        }
        return .intercept(.on(direction: t.direction, template: t, connection: nil))
    }

    mutating func parseExpectHeld() throws(ScriptError) -> Command {
        let (t, within, name) = try parseTemplate(.expect)
        return .intercept(.expectHeld(t, within: within ?? .seconds(1), name: name))
    }

    mutating func parseLink() throws(ScriptError) -> Command {
        var direction: Direction? = nil
        if accept("in") != nil { direction = .inbound }
        else if accept("out") != nil { direction = .outbound }
        else { _ = accept("both") }
        var words: [String] = []
        while let t = next() { words.append(t.text) }
        return .intercept(.link(direction, words.joined(separator: " ")))
    }

    mutating func parseBreak() throws(ScriptError) -> Command {
        if accept("retransmission") != nil { return .intercept(.breakpoint(.retransmission)) }
        if accept("flags") != nil {
            let t = try word("TCP flags (R, F, S., …)")
            return .intercept(.breakpoint(.flags(try flags(t))))
        }
        let (e, text) = try restAsExpression("a condition (c.state == FIN-WAIT-2, flags R, retransmission)")
        return .intercept(.breakpoint(.expression(e, text: text)))
    }

    mutating func parseEdit() throws(ScriptError) -> Command {
        var edit = HeldEdit(template: SegmentTemplate(flags: nil))
        var any = false
        while let tok = peek {
            if tok.isWord, let sign = tok.text.first, sign == "+" || sign == "-", tok.text.count > 1 {
                index += 1
                let letters = String(tok.text.dropFirst())
                guard case .success(let f) = TCPFlags.parse(letters) else {
                    throw error("'\(letters)' is not a set of TCP flags (S F R P . U E W)", tok.column + 1)
                }
                if sign == "+" { edit.setFlags.formUnion(f) } else { edit.clearFlags.formUnion(f) }
                any = true
                continue
            }
            guard let (k, v) = try keyValue() else {
                throw error("edit takes FIELD=VALUE (seq= ack= win= csum=bad …) and +FLAGS/-FLAGS", tok.column)
            }
            try templateField(&edit.template, k, v, .inject)
            any = true
        }
        guard any else { throw error("edit needs at least one change (win=0, +F, -P, csum=bad, …)", endColumn + 1) }
        return .intercept(.edit(edit))
    }
}

extension CommandReference {
    /// The intercept commands, appended to the command table.
    static let interceptCommands: [CommandReference] = [
        .init(name: "intercept", usage: "intercept on [in|out|both] [PATTERN | on NAME] | intercept off",
              summary: "holds each segment of our stack that matches (PATTERN as expect), before it goes out or before the stack sees it",
              example: "intercept on out P.", keywords: ["on", "off", "in", "out", "both"],
              parse: { p throws(ScriptError) in try p.parseIntercept() }),
        .init(name: "step", usage: "step", summary: "lets the held segment go", example: "step", keywords: [],
              parse: { _ in .intercept(.step) }),
        .init(name: "drop", usage: "drop", summary: "drops the held segment", example: "drop", keywords: [],
              parse: { _ in .intercept(.drop) }),
        .init(name: "delay", usage: "delay T", summary: "lets the held segment go after T", example: "delay 300ms", keywords: [],
              parse: { p throws(ScriptError) in .intercept(.delay(try p.duration(try p.word("a duration (300ms)")))) }),
        .init(name: "dup", usage: "dup [N]", summary: "lets the held segment go with N more copies (default 1)", example: "dup 2", keywords: [],
              parse: { p throws(ScriptError) in
                  guard let t = p.next() else { return .intercept(.dup(1)) }
                  return .intercept(.dup(Int(try p.constant(t, "copies", 1...1000))))
              }),
        .init(name: "edit", usage: "edit FIELD=VALUE … [+FLAGS] [-FLAGS]",
              summary: "changes the held segment (any field inject takes; csum=bad) and lets it go", example: "edit win=0",
              keywords: ["csum="] + templateKeys(.inject),
              parse: { p throws(ScriptError) in try p.parseEdit() }),
        .init(name: "continue", usage: "continue", summary: "lets every held segment go; intercepting (and breakpoints) go on",
              example: "continue", keywords: [], parse: { _ in .intercept(.continue_) }),
        .init(name: "break", usage: "break CONDITION | break flags FLAGS | break retransmission",
              summary: "stops (holds every segment from then on) when a connection variable condition becomes true or such a segment passes",
              example: "break c.state == FIN-WAIT-2", keywords: ["flags", "retransmission"],
              parse: { p throws(ScriptError) in try p.parseBreak() }),
        .init(name: "link", usage: "link [in|out|both] [delay D] [jitter D] [loss P] [dup P] [reorder P [by D]] [corrupt P] [rate R] [queue B] | perfect",
              summary: "our host's link on the simulated network, per direction (out: from us, in: to us); alone, prints it",
              example: "link out loss 10% delay 20ms", keywords: ["in", "out", "both", "delay", "jitter", "loss", "dup", "reorder", "corrupt", "rate", "queue", "perfect"],
              parse: { p throws(ScriptError) in try p.parseLink() }),
        .init(name: "breaks", usage: "breaks", summary: "lists the breakpoints", example: "breaks", keywords: [],
              parse: { _ in .intercept(.listBreaks) }),
        .init(name: "delete", usage: "delete N", summary: "removes breakpoint N", example: "delete 1", keywords: [],
              parse: { p throws(ScriptError) in
                  .intercept(.deleteBreak(Int(try p.constant(try p.word("a breakpoint number"), "breakpoint", 1...1_000_000))))
              }),
    ]
}
