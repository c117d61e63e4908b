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
            let local = Endpoint(address: s.tuple.localAddress, port: s.tuple.localPort)
            let remote = Endpoint(address: s.tuple.remoteAddress, port: s.tuple.remotePort)
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

    /// Builds the packet an `inject` describes.
    func craft(_ spec: CraftSpec, _ ctx: inout Context) throws(ScriptError) -> (IPv4Packet, TCPSegment.ChecksumMode, CraftRoute) {
        let r = try craftRoute(spec.route, &ctx)
        let u32 = Int64(Int32.min)...Int64(UInt32.max)
        var seg = TCPSegment(sourcePort: r.source.port, destinationPort: r.destination.port,
                             sequenceNumber: SequenceNumber(r.seq), acknowledgmentNumber: SequenceNumber(r.ack),
                             flags: spec.flags, window: r.window)
        if let e = spec.seq { seg.sequenceNumber = SequenceNumber(UInt32(truncatingIfNeeded: try integer(e, "seq", u32, &ctx))) }
        if let e = spec.ack { seg.acknowledgmentNumber = SequenceNumber(UInt32(truncatingIfNeeded: try integer(e, "ack", u32, &ctx))) }
        // Without ACK the field carries nothing (RFC 9293 §3.1): zero it unless the user set it.
        if !spec.flags.contains(.ack) && spec.ack == nil { seg.acknowledgmentNumber = 0 }
        if let e = spec.window { seg.window = UInt16(try integer(e, "win", 0...65535, &ctx)) }
        if let e = spec.urgent { seg.urgentPointer = UInt16(try integer(e, "urg", 0...65535, &ctx)) }
        for o in spec.options {
            switch o {
            case .mss(let e): seg.options.append(.mss(UInt16(try integer(e, "mss", 0...65535, &ctx))))
            case .windowScale(let e): seg.options.append(.windowScale(UInt8(try integer(e, "wscale", 0...255, &ctx))))
            case .sackPermitted: seg.options.append(.sackPermitted)
            case .timestamps(let a, let b):
                seg.options.append(.timestamps(value: UInt32(try integer(a, "TS val", 0...Int64(UInt32.max), &ctx)),
                                               echoReply: UInt32(try integer(b, "TS ecr", 0...Int64(UInt32.max), &ctx))))
            case .sack(let blocks):
                var list: [SACKBlock] = []
                for b in blocks {
                    list.append(SACKBlock(left: SequenceNumber(UInt32(truncatingIfNeeded: try integer(b.left, "SACK edge", u32, &ctx))),
                                          right: SequenceNumber(UInt32(truncatingIfNeeded: try integer(b.right, "SACK edge", u32, &ctx)))))
                }
                seg.options.append(.sack(list))
            case .nop: seg.options.append(.nop)
            case .eol: seg.options.append(.eol)
            case .raw(let bytes):
                // Raw bytes go in as they are: kind, then (if present) length and data, kept lossless.
                if let kind = bytes.first {
                    seg.options.append(.unknown(kind: kind, data: bytes.count > 2 ? Array(bytes[2...]) : []))
                    if bytes.count >= 2, Int(bytes[1]) != bytes.count {
                        throw ctx.error("opt: length byte \(bytes[1]) does not match the \(bytes.count) bytes given")
                    }
                }
            }
        }
        guard seg.optionsEncodedLength <= 40 else {
            throw ctx.error("options take \(seg.optionsEncodedLength) bytes; TCP allows at most 40 (RFC 9293 §3.1)")
        }
        if let p = spec.payload { seg.payload = try payloadBytes(p, &ctx) }
        guard seg.payload.count <= 65495 else { throw ctx.error("payload of \(seg.payload.count) bytes does not fit in one IPv4 packet") }
        var mode = TCPSegment.ChecksumMode.compute
        if let e = spec.checksum {
            seg.checksum = UInt16(try integer(e, "csum", 0...65535, &ctx))
            mode = .keep
        }
        var header = IPv4Header(source: r.source.address, destination: r.destination.address)
        if let e = spec.ttl { header.ttl = UInt8(try integer(e, "ttl", 0...255, &ctx)) }
        return (IPv4Packet(header: header, segment: seg), mode, r)
    }

    func inject(_ spec: CraftSpec, _ ctx: inout Context) throws(ScriptError) {
        let (packet, mode, route) = try craft(spec, &ctx)
        guard route.towardUs || network.mayCraft(to: packet.header.destination) else {
            throw ctx.error("refusing to send to \(packet.header.destination): crafted segments go only to the lab (10.0.0.0/24, 10.0.1.0/24) or the simulated network")
        }
        let count = try spec.count.map { (e) throws(ScriptError) in try integer(e, "count", 1...Interpreter.maximumCount, &ctx) } ?? 1
        let rate = try spec.rate.map { (e) throws(ScriptError) in try integer(e, "rate", 1...10_000_000, &ctx) }
        let bytes = packet.bytes(tcpChecksum: mode)
        let begin = network.now
        var sent: Int64 = 0
        while sent < count {
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
            if !tracing { output("sent " + TcpdumpLine.absoluteText(bytes)) }
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

    func resolve(_ p: SegmentPattern, _ ctx: inout Context) throws(ScriptError) -> ResolvedPattern {
        var r = ResolvedPattern()
        r.flags = p.flags
        r.direction = p.direction
        switch p.route {
        case .explicit(let s, let d):
            r.source = s; r.destination = d
        case .connection(let ref, _):
            let e = try entry(ref, &ctx)
            guard let s = e.snapshot else { throw ctx.error("\(e.name) has no addresses yet", ref.column) }
            let local = Endpoint(address: s.tuple.localAddress, port: s.tuple.localPort)
            let remote = Endpoint(address: s.tuple.remoteAddress, port: s.tuple.remotePort)
            if p.direction == .outbound { r.source = local; r.destination = remote }
            else { r.source = remote; r.destination = local; r.direction = .inbound }
        case .unspecified:
            if r.direction == nil { r.direction = .inbound }
        }
        let u32 = Int64(Int32.min)...Int64(UInt32.max)
        if let e = p.seq { r.seq = UInt32(truncatingIfNeeded: try integer(e, "seq", u32, &ctx)) }
        if let e = p.ack { r.ack = UInt32(truncatingIfNeeded: try integer(e, "ack", u32, &ctx)) }
        if let e = p.window { r.window = UInt16(try integer(e, "win", 0...65535, &ctx)) }
        if let e = p.urgent { r.urgent = UInt16(try integer(e, "urg", 0...65535, &ctx)) }
        if let e = p.length { r.length = Int(try integer(e, "len", 0...65535, &ctx)) }
        if let e = p.mss { r.mss = UInt16(try integer(e, "mss", 0...65535, &ctx)) }
        if let e = p.windowScale { r.windowScale = UInt8(try integer(e, "wscale", 0...255, &ctx)) }
        if let pl = p.payload { r.payload = try payloadBytes(pl, &ctx) }
        r.sackPermitted = p.sackPermitted
        if let blocks = p.sack {
            var list: [SACKBlock] = []
            for b in blocks {
                list.append(SACKBlock(left: SequenceNumber(UInt32(truncatingIfNeeded: try integer(b.left, "SACK edge", u32, &ctx))),
                                      right: SequenceNumber(UInt32(truncatingIfNeeded: try integer(b.right, "SACK edge", u32, &ctx)))))
            }
            r.sack = list
        }
        r.noOptions = p.noOptions
        if let ts = p.timestamps {
            r.timestampsPresent = true
            if let v = ts.value { r.tsValue = UInt32(try integer(v, "TS val", 0...Int64(UInt32.max), &ctx)) }
            if let v = ts.echo { r.tsEcho = UInt32(try integer(v, "TS ecr", 0...Int64(UInt32.max), &ctx)) }
        }
        return r
    }

    func expect(_ p: SegmentPattern, _ within: Duration, _ name: String?, _ ctx: inout Context) throws(ScriptError) {
        let r = try resolve(p, &ctx)
        let began = network.now
        var scanned = 0
        var found: Int?
        func scan() -> Bool {
            while scanned < pending.count {
                let c = pending[scanned]
                if let pk = c.packet, r.isCandidate(pk, direction: c.observed.direction), r.mismatches(pk).isEmpty {
                    found = scanned
                    return true
                }
                scanned += 1
            }
            return false
        }
        var outcome = WaitOutcome.satisfied
        if !scan() {
            outcome = wait(for: within) {
                // `pending` may have been trimmed from the front; rescan from the start then.
                if scanned > pending.count { scanned = 0 }
                return scan()
            }
        }
        if let i = found, i < pending.count {
            let c = pending[i]
            pending.removeFirst(i + 1)
            if let name { segments[name] = c }
            last = c
            if !tracing, c.packet != nil { output("got " + TcpdumpLine.absoluteText(c.observed.bytes)) }
            return
        }
        // Failure: show the closest candidate (fewest mismatched fields), packetdrill-style.
        var best: (Captured, [String])?
        for c in pending {
            guard let pk = c.packet, r.isCandidate(pk, direction: c.observed.direction) else { continue }
            let m = r.mismatches(pk)
            if best == nil || m.count < best!.1.count { best = (c, m) }
        }
        pending.removeAll()
        var details: [String] = []
        if let (c, m) = best {
            details.append("got " + TcpdumpLine.absoluteText(c.observed.bytes))
            details += m
            let when = c.observed.time < began ? "before this line ran" : "after \(format(c.observed.time - began))"
            details.append("within \(format(within)); the closest segment arrived \(when)")
        } else {
            details.append("got nothing")
            details.append(outcome == .interrupted ? "interrupted after \(format(network.now - began))"
                                                   : "within \(format(within)); nothing \(r.direction == .outbound ? "was sent" : "arrived") that matched the direction and addresses")
        }
        var err = ctx.error("expected " + r.tcpdumpLine)
        err.sourceLine = ""
        err.showsColumn = false
        err.details = details
        throw err
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
