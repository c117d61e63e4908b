import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire

/// Segment-level commands: `inject` (craft and send any segment), `expect` (wait for a segment that
/// matches a pattern), `show`, `record`.
extension Interpreter {
    /// Where a crafted segment goes and the defaults a connection gives its fields.
    struct CraftRoute {
        var source: Endpoint
        var destination: Endpoint
        var seq: UInt32 = 0
        var ack: UInt32 = 0
        var window: UInt16 = 65535
        /// Deliver into our own stack (`to NAME`) instead of onto the wire.
        var towardUs = false
    }

    func craftRoute(_ route: Route, _ ctx: inout Context) throws(ScriptError) -> CraftRoute {
        var r: Route = route
        if case .unspecified = route {
            guard let current else {
                throw ctx.error("say where the segment goes: SRC > DST, on NAME (us to the peer) or to NAME (the peer to us)")
            }
            r = .connection(ConnectionRef(name: current, column: 1), towardUs: false)
        }
        switch r {
        case .explicit(let s, let d):
            return CraftRoute(source: s, destination: d)
        case .connection(let ref, let towardUs):
            let e = try entry(ref, &ctx)
            guard let s = e.snapshot else { throw ctx.error("\(e.name) has no addresses yet", ref.column) }
            let local = Endpoint(s.tuple.local)
            let remote = Endpoint(s.tuple.remote)
            if towardUs {
                // As the peer would send it: its next byte is our RCV.NXT, it acknowledges our SND.NXT.
                return CraftRoute(source: remote, destination: local, seq: s.rcv.nxt.rawValue, ack: s.snd.nxt.rawValue,
                                  window: 65535, towardUs: true)
            }
            let win = min(UInt32(65535), s.rcv.wnd >> UInt32(s.rcv.windowShift))
            return CraftRoute(source: local, destination: remote, seq: s.snd.nxt.rawValue, ack: s.rcv.nxt.rawValue,
                              window: UInt16(win))
        case .unspecified:
            throw ctx.error("say where the segment goes")
        }
    }

    /// Evaluates every expression of a template (fields, options, payload); the addresses are the
    /// caller's (`craftRoute` for inject, `resolveAddresses` for expect).
    func resolve(_ t: SegmentTemplate, _ ctx: inout Context) throws(ScriptError) -> ResolvedTemplate {
        var r = ResolvedTemplate()
        r.flags = t.flags
        r.direction = t.direction
        for f in HeaderField.all {
            guard case .value(let e)? = t.fields[f.name] else { continue }
            r.fields.append((f, f.isSequence ? Int64(try sequence(e, f.name, &ctx)) : try integer(e, f.name, f.range, &ctx)))
        }
        func checksum(_ c: ChecksumSlot?, _ what: String, _ ctx: inout Context) throws(ScriptError) -> ResolvedTemplate.Checksum? {
            switch c {
            case nil: return nil
            case .right?: return .right
            case .wrong?: return .wrong
            case .value(let e)?: return .value(UInt16(try integer(e, what, 0...65535, &ctx)))
            }
        }
        r.ipChecksum = try checksum(t.ipChecksum, "ipcsum", &ctx)
        r.tcpChecksum = try checksum(t.tcpChecksum, "csum", &ctx)
        r.ipOptions = t.ipOptions
        r.noOptions = t.noOptions
        func want(_ s: TemplateSlot, _ what: String, _ range: ClosedRange<Int64>, _ ctx: inout Context) throws(ScriptError) -> ResolvedTemplate.Want<Int64> {
            switch s {
            case .any: return .any
            case .absent: return .absent
            case .value(let e):
                return .value(range == HeaderField.u32 ? Int64(try sequence(e, what, &ctx)) : try integer(e, what, range, &ctx))
            }
        }
        func narrow<T: FixedWidthInteger & Sendable>(_ w: ResolvedTemplate.Want<Int64>) -> ResolvedTemplate.Want<T> {
            switch w {
            case .any: return .any
            case .absent: return .absent
            case .value(let v): return .value(T(truncatingIfNeeded: v))
            }
        }
        for o in t.options {
            switch o {
            case .mss(let s): r.options.append(.mss(narrow(try want(s, "mss", 0...65535, &ctx))))
            case .windowScale(let s): r.options.append(.windowScale(narrow(try want(s, "wscale", 0...255, &ctx))))
            case .sackPermitted(let p): r.options.append(.sackPermitted(p))
            case .timestamps(let a, let b):
                r.options.append(.timestamps(narrow(try want(a, "TS val", HeaderField.u32, &ctx)),
                                             narrow(try want(b, "TS ecr", HeaderField.u32, &ctx))))
            case .timestampsAbsent: r.options.append(.timestampsAbsent)
            case .sack(nil): r.options.append(.sack(nil))
            case .sack(let blocks?):
                var list: [SACKBlock] = []
                for b in blocks {
                    list.append(SACKBlock(left: SequenceNumber(try sequence(b.left, "SACK edge", &ctx)),
                                          right: SequenceNumber(try sequence(b.right, "SACK edge", &ctx))))
                }
                r.options.append(.sack(list))
            case .nop: r.options.append(.nop)
            case .eol: r.options.append(.eol)
            case .raw(let b): r.options.append(.raw(b))
            }
        }
        if let p = t.payload { r.payload = try payloadBytes(p, &ctx) }
        return r
    }

    /// Where `expect` looks: the direction and the addresses of its route.
    func resolveAddresses(_ t: SegmentTemplate, _ r: inout ResolvedTemplate, _ ctx: inout Context) throws(ScriptError) {
        switch t.route {
        case .explicit(let s, let d):
            r.source = s; r.destination = d
        case .connection(let ref, _):
            let e = try entry(ref, &ctx)
            guard let s = e.snapshot else { throw ctx.error("\(e.name) has no addresses yet", ref.column) }
            let local = Endpoint(s.tuple.local)
            let remote = Endpoint(s.tuple.remote)
            if t.direction == .outbound { r.source = local; r.destination = remote }
            else { r.source = remote; r.destination = local; r.direction = .inbound }
        case .unspecified:
            if r.direction == nil { r.direction = .inbound }
        }
    }

    /// Builds the bytes an `inject` describes.
    func craft(_ t: SegmentTemplate, _ ctx: inout Context) throws(ScriptError) -> ([UInt8], CraftRoute) {
        var route = try craftRoute(t.route, &ctx)
        if let range = t.sourceRange {
            var index: Int64 = 0
            if case .integer(let k)? = variables[Interpreter.copyIndexName] { index = k }
            let size = Int64(range.upperBound - range.lowerBound) + 1
            guard !route.destination.ip.isIPv6 else { throw ctx.error("srcrange= takes IPv4 sources; this segment goes to an IPv6 address") }
            route.source.ip = .v4(IPv4Address(rawValue: range.lowerBound + UInt32(index % size)))
        }
        var r = try resolve(t, &ctx)
        if relativeNumbers {
            r = absoluteNumbers(r, FlowDirection(source: route.source, destination: route.destination),
                                isSYN: (t.flags ?? []).contains(.syn))
        }
        let segment = TCPSegment(sourcePort: route.source.port, destinationPort: route.destination.port,
                                 sequenceNumber: SequenceNumber(route.seq), acknowledgmentNumber: SequenceNumber(route.ack),
                                 flags: t.flags ?? [], window: route.window)
        let base: IPPacket
        switch (route.source.ip, route.destination.ip) {
        case (.v4(let s), .v4(let d)):
            base = .v4(IPv4Packet(header: IPv4Header(source: s, destination: d), segment: segment))
        case (.v6(let s), .v6(let d)):
            // RFC 8200 §3: hop limit 64 as Linux sends, traffic class and flow label 0 unless written.
            base = .v6(IPv6Packet(header: IPv6Header(source: s, destination: d), segment: segment))
        default:
            throw ctx.error("\(route.source) > \(route.destination) mixes IPv4 and IPv6: give both ends in one family")
        }
        do {
            let bytes = try r.bytes(base: base)
            if relativeNumbers, (t.flags ?? []).contains(.syn), let p = IPPacket.parseForMatching(bytes) { learnSequenceBases(p) }
            return (bytes, route)
        } catch {
            throw ctx.error(error.message)
        }
    }

    func inject(_ t: SegmentTemplate, _ ctx: inout Context) throws(ScriptError) {
        let count = try t.count.map { (e) throws(ScriptError) in try integer(e, "count", 1...Interpreter.maximumCount, &ctx) } ?? 1
        let rate = try t.rate.map { (e) throws(ScriptError) in try integer(e, "rate", 1...10_000_000, &ctx) }
        // Per-copy fields: with `count=`, `i` is the copy's index (0, 1, …) and `random` a fresh number,
        // so `sport=1024+i seq=random` varies each copy. Otherwise one packet is built and repeated.
        let names = Set(ScriptChecker.template(t).map(\.0))
        let varies = count > 1 && (names.contains(Interpreter.copyIndexName) || names.contains("random") || t.sourceRange != nil)
        let saved = variables[Interpreter.copyIndexName]
        defer { variables[Interpreter.copyIndexName] = saved }
        if t.count != nil { variables[Interpreter.copyIndexName] = .integer(0) }
        var (bytes, route) = try craft(t, &ctx)
        let destination = bytes.withUnsafeBytes { IPAddress.destination(ofPacket: $0) } ?? .v4(.any)
        guard route.towardUs || network.mayCraft(to: destination) else {
            throw ctx.error("refusing to send to \(destination): crafted segments go only to the lab (10.0.0.0/24, 10.0.1.0/24, fd00:0:0:1::/64, fd00:0:0:2::/64) or the simulated network")
        }
        let begin = network.now
        var sent: Int64 = 0
        while sent < count {
            if varies && sent > 0 {
                variables[Interpreter.copyIndexName] = .integer(sent)
                (bytes, route) = try craft(t, &ctx)
            }
            if route.towardUs { network.deliverLocally(bytes) } else { try network.transmit(bytes, observe: sent == 0 || recorder != nil || tracing) }
            sent += 1
            if let rate, sent < count {
                // Pace: the next copy is due at begin + sent/rate.
                let due = begin + .nanoseconds(sent * 1_000_000_000 / rate)
                if due > network.now, network.run(until: due, interrupted: interrupted, { false }) == .interrupted { break }
            } else if sent & 0x3FF == 0 {
                if interrupted() { break }
                if count > 1 { absorbQuietly() }
            }
        }
        network.flush()
        if count == 1 {
            if !tracing { output("sent " + (relativeNumbers ? renderRelative(bytes) : TcpdumpLine.absoluteText(bytes))) }
        } else if varies {
            let seconds = Double((network.now - begin).nanosecondsClamped) / 1e9
            output("sent \(sent) segments, varied per copy (last: \(TcpdumpLine.absoluteText(bytes)))\(seconds > 0 ? " in \(format(network.now - begin))" : "")")
        } else {
            let seconds = Double((network.now - begin).nanosecondsClamped) / 1e9
            let r = seconds > 0 ? Int(Double(sent) / seconds) : 0
            output("sent \(sent) segments\(seconds > 0 ? " in \(format(network.now - begin)) (\(r) segments/s)" : "")")
        }
        absorb()
    }

    /// During a flood, keep the observation queue bounded without tracing each copy.
    func absorbQuietly() {
        let wasTracing = tracing
        tracing = false
        absorb()
        tracing = wasTracing
    }

    /// `expect`: waits for a segment that arrives after the previous statement finished and matches the
    /// template, its fields evaluated when each candidate arrives (so `ack=c.rcv.nxt` means the value
    /// then). Segments from before this line never match; they are named in the failure report.
    /// With `set expect strict` the first new segment in the direction looked at must match, as in
    /// packetdrill. `expect none …` fails if a matching segment arrives within the time.
    func expect(_ t: SegmentTemplate, _ within: Duration, _ name: String?, _ ctx: inout Context) throws(ScriptError) {
        var within = within
        // A timed expect waits at least until the end of its window.
        if let (_, latest) = dueWindow, latest + tolerance - network.now > within { within = latest + tolerance - network.now }
        var r = try resolve(t, &ctx)
        try resolveAddresses(t, &r, &ctx)
        let began = network.now
        let horizon = statementHorizon
        let context = ctx
        var nextSerial = horizon
        var found: Captured?
        var offender: Captured?
        var failure: ScriptError?
        func scan() -> Bool {
            guard let first = pending.first else { return false }
            var i = max(0, nextSerial - first.serial)
            while i < pending.count {
                let c = pending[i]
                i += 1
                nextSerial = c.serial + 1
                guard let pk = c.packet else { continue }
                // Fields are evaluated against the live values when each candidate arrives.
                var cx = context
                do {
                    r = try resolve(t, &cx)
                    try resolveAddresses(t, &r, &cx)
                } catch {
                    failure = error
                    return true
                }
                guard r.isCandidate(pk, direction: c.observed.direction) else { continue }
                if comparable(r, pk).mismatches(pk).isEmpty { found = c; return true }
                if strictExpect && !t.forbidden { offender = c; return true }
            }
            return false
        }
        var outcome = WaitOutcome.satisfied
        if !scan() {
            outcome = wait(for: within) { scan() }
        }
        if let failure { throw failure }
        if t.forbidden {
            guard let c = found else {
                output("nothing matched within \(format(within))")
                return
            }
            var err = ctx.error("expected no segment like " + r.tcpdumpLine)
            err.sourceLine = ""
            err.showsColumn = false
            err.details = ["got " + c.text + " after \(format(c.observed.time - began))"]
            throw err
        }
        if let c = found, let i = pending.firstIndex(where: { $0.serial == c.serial }) {
            pending.removeFirst(i + 1)
            pendingDiscarded = 0
            if let name { segments[name] = c }
            last = c
            quietSerial = c.serial + 1
            matchedEventTime = c.observed.time
            if !tracing, c.packet != nil { output("got " + c.text) }
            try checkTiming(c, &ctx)
            return
        }
        var details: [String] = []
        if let c = offender, let pk = c.packet {
            details.append("got " + c.text)
            details += comparable(r, pk).mismatches(pk)
            details.append("set expect strict: the first new segment \(r.direction == .outbound ? "sent" : "that arrived") must match")
        } else {
            // The closest new candidate (fewest mismatched fields), packetdrill-style.
            var best: (Captured, [String])?
            var stale: Captured?
            for c in pending {
                guard let pk = c.packet, r.isCandidate(pk, direction: c.observed.direction) else { continue }
                let m = comparable(r, pk).mismatches(pk)
                if c.serial < horizon {
                    if m.isEmpty { stale = c }
                    continue
                }
                if best == nil || m.count < best!.1.count { best = (c, m) }
            }
            if let (c, m) = best {
                details.append("got " + c.text)
                details += m
                details.append("within \(format(within)); the closest segment arrived after \(format(c.observed.time - began))")
            } else {
                details.append("got nothing")
                details.append(outcome == .interrupted ? "interrupted after \(format(network.now - began))"
                                                       : "within \(format(within)); nothing \(r.direction == .outbound ? "was sent" : "arrived") that matched the direction and addresses")
            }
            if let c = stale {
                details.append("a matching segment arrived before this line and does not count: " + c.text)
            }
        }
        if pendingDiscarded > 0 {
            details.append("\(pendingDiscarded) older segments were discarded unexamined (more than \(Interpreter.pendingLimit) arrived): a match may have been among them")
        }
        pending.removeAll()
        pendingDiscarded = 0
        var err = ctx.error("expected " + r.tcpdumpLine)
        err.sourceLine = ""
        err.showsColumn = false
        err.details = details
        throw err
    }

    /// The template as it compares with `packet`: with relative numbers made absolute for the
    /// packet's conversation when `set numbers relative` is on.
    func comparable(_ r: ResolvedTemplate, _ packet: IPPacket) -> ResolvedTemplate {
        guard relativeNumbers else { return r }
        let s = packet.segment
        let d = FlowDirection(source: packet.sourceEndpoint, destination: packet.destinationEndpoint)
        return absoluteNumbers(r, d, isSYN: s.flags.contains(.syn), packetSeq: s.sequenceNumber.rawValue)
    }

    /// For a timed `expect`: the segment must arrive within the line's time ± the tolerance.
    func checkTiming(_ c: Captured, _ ctx: inout Context) throws(ScriptError) {
        guard let (earliest, latest) = dueWindow else { return }
        let t = c.observed.time
        let due = earliest == latest ? stamp(earliest) : "\(stamp(earliest))~\(stamp(latest))"
        if t < earliest - tolerance {
            throw ctx.error("the segment arrived \(format(earliest - t)) early (at \(stamp(t)), due \(due) ± \(format(tolerance)))")
        }
        if t > latest + tolerance {
            throw ctx.error("the segment arrived \(format(t - latest)) late (at \(stamp(t)), due \(due) ± \(format(tolerance)))")
        }
    }

    func show(_ name: String?, _ column: Int, _ ctx: inout Context) throws(ScriptError) {
        let c: Captured?
        switch name {
        case nil, "LAST", "last": c = last
        case let n?:
            guard let s = segments[n] else {
                let known = segments.keys.sorted()
                throw ctx.error("no segment named '\(n)' (named: \(known.isEmpty ? "none yet; use expect … as NAME" : known.joined(separator: ", ")); or LAST)", column)
            }
            c = s
        }
        guard let c else { throw ctx.error("no segment seen yet", column) }
        output(SegmentView.render(c.observed.bytes))
    }

    func record(_ path: String?, _ ctx: inout Context) throws(ScriptError) {
        recorder?.close()
        recorder = nil
        guard let path else { output("recording off"); return }
        do {
            recorder = try PcapRecorder(path: path)
        } catch {
            throw ctx.error("record: cannot write '\(path)': \(error)")
        }
        output("recording to \(path)")
    }
}
