import Foundation
import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire

/// What `ladder` and `graph` draw from: the packets seen at our host and, for each of our connections,
/// its variables sampled from `Stack.snapshot` after every input the interpreter absorbs (the engine
/// itself is unchanged). Bounded: past `limit` entries the oldest half is dropped.
struct PictureHistory {
    static let limit = 200_000

    /// One sample of a connection's variables (RFC 9293 §3.3.1, RFC 5681, RFC 6298).
    struct Sample {
        var time: Instant
        var snapshot: ConnectionSnapshot
        /// The stack's tail-loss-probe counter (RFC 8985 §7) at that time.
        var lossProbes: Int
    }

    /// A packet seen, and whether it was lost afterwards (dropped by intercept, lost on the link).
    struct Seen {
        var record: PacketRecord
        var lost: Bool
    }

    var packets: [Seen] = []
    var samples: [ConnectionID: [Sample]] = [:]

    /// Adds a packet seen at our host; a dropped one (`fate`: dropped by intercept, lost on the link)
    /// marks the latest copy of it seen so far as lost, or is added as lost if it never reached us (an
    /// outbound segment intercept dropped, a peer's segment the link lost).
    mutating func record(_ p: PacketRecord) {
        if p.fate.wentOn {
            packets.append(Seen(record: p, lost: false))
        } else if let i = packets.lastIndex(where: { !$0.lost && Self.sameSegment($0.record.bytes, p.bytes) }) {
            packets[i].lost = true
        } else {
            packets.append(Seen(record: p, lost: true))
        }
        if packets.count > Self.limit { packets.removeFirst(Self.limit / 2) }
    }

    /// The same segment between the same addresses, whatever a router did to the IPv4 header (TTL,
    /// header checksum).
    static func sameSegment(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, a.count >= 20, a[12..<20] == b[12..<20] else { return false }
        let ihl = Int(a[0] & 0x0F) * 4
        return ihl <= a.count && a[ihl...] == b[ihl...]
    }

    mutating func sample(_ s: ConnectionSnapshot, lossProbes: Int, at time: Instant) {
        var list = samples[s.id, default: []]
        if let last = list.last, last.snapshot == s, last.lossProbes == lossProbes { return }
        list.append(Sample(time: time, snapshot: s, lossProbes: lossProbes))
        if list.count > Self.limit { list.removeFirst(Self.limit / 2) }
        samples[s.id] = list
    }

    /// The packets of one connection, as the pictures take them (left = our end); `wire: true` keeps
    /// only those that were on our host's wire (the graph), else the lost ones are drawn as lost.
    func packets(of tuple: FourTuple, wire: Bool = false) -> [LadderPacket] {
        packets.compactMap { seen in
            let p = seen.record
            if wire && !p.fate.wentOn { return nil }
            guard let s = FlowSegment(ipv4: p.bytes, time: p.time.nanoseconds) else { return nil }
            let ours = s.source == tuple.local && s.destination == tuple.remote
            let theirs = s.destination == tuple.local && s.source == tuple.remote
            guard ours || theirs else { return nil }
            return LadderPacket(time: p.time.nanoseconds, bytes: p.bytes, leftToRight: ours,
                                reason: p.reason?.description ?? (p.crafted ? "crafted" : nil), lost: seen.lost && !wire)
        }
    }

    /// Recovery episodes read off the samples: a retransmission opens one (RTO when cwnd fell to one
    /// segment, RFC 5681 §3.1; fast recovery otherwise, RFC 6582), a tail-loss probe opens a short one
    /// (RFC 8985 §7); each lasts until SND.UNA passes the SND.NXT it started with (the recovery point).
    static func episodes(_ samples: [Sample]) -> [TimeSeriesPlot.Span] {
        var spans: [TimeSeriesPlot.Span] = []
        var open: (start: Instant, recover: SequenceNumber, label: String)?
        for (prev, s) in zip(samples, samples.dropFirst()) {
            let snap = s.snapshot
            if let o = open, snap.snd.una >= o.recover || !snap.state.isSynchronized {
                spans.append(.init(start: o.start.nanoseconds, end: s.time.nanoseconds, label: o.label))
                open = nil
            }
            guard open == nil else { continue }
            if snap.retransmissions > prev.snapshot.retransmissions {
                let label = snap.cwnd <= snap.mss ? "RTO" : "fast recovery"
                open = (prev.time, snap.snd.nxt, label)
            } else if s.lossProbes > prev.lossProbes {
                open = (prev.time, snap.snd.nxt, "tail-loss probe")
            }
        }
        if let o = open, let last = samples.last {
            spans.append(.init(start: o.start.nanoseconds, end: last.time.nanoseconds, label: o.label))
        }
        return spans
    }
}

extension Interpreter {
    /// Samples every named connection's variables (called after each absorb: after each input).
    func samplePictureVariables() {
        // Nothing to sample: no call to the stack's thread (on the lab a round trip to its loop).
        guard !connections.isEmpty else { return }
        let (probes, snapshots, now) = network.withStack { stack, now in
            (stack.statistics.lossProbes, connections.values.compactMap { stack.snapshot($0.id) }, now)
        }
        for s in snapshots { pictureHistory.sample(s, lossProbes: probes, at: now) }
    }

    /// Whether the session writes to a terminal: the ladder is coloured there, plain text elsewhere.
    var picturesToTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// The width the ladder fits: `$COLUMNS`, else the terminal's (TIOCGWINSZ), else 100.
    var pictureWidth: Int {
        if let n = ProcessInfo.processInfo.environment["COLUMNS"].flatMap({ Int($0) }) { return max(60, n) }
        var size = winsize()
        if picturesToTerminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return max(60, Int(size.ws_col))
        }
        return 100
    }

    func pictureTuple(_ e: ConnectionEntry, _ ref: ConnectionRef, _ ctx: inout Context) throws(ScriptError) -> FourTuple {
        guard let tuple = e.snapshot?.tuple ?? pictureHistory.samples[e.id]?.last?.snapshot.tuple else {
            throw ctx.error("\(e.name) has no segments yet", ref.column)
        }
        return tuple
    }

    /// `ladder [NAME]`.
    func ladder(_ ref: ConnectionRef, _ ctx: inout Context) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        let packets = pictureHistory.packets(of: try pictureTuple(e, ref, &ctx))
        guard !packets.isEmpty else { throw ctx.error("no segments of \(e.name) seen yet", ref.column) }
        var text = LadderDiagram.render(packets, options: .init(width: pictureWidth, color: picturesToTerminal))
        if text.hasSuffix("\n") { text.removeLast() }
        output(text)
    }

    /// `graph [NAME] --out FILE [--html] [--from T] [--to T]`.
    func graph(_ ref: ConnectionRef, path: String, html: Bool, from: Duration?, to: Duration?,
               _ ctx: inout Context) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        let tuple = try pictureTuple(e, ref, &ctx)
        let packets = pictureHistory.packets(of: tuple, wire: true)
        let segments = packets.compactMap { FlowSegment(ipv4: $0.bytes, time: $0.time) }
        guard let first = segments.first else { throw ctx.error("no segments of \(e.name) seen yet", ref.column) }
        let local = tuple.local
        let remote = tuple.remote
        let flow = FlowKey(a: local, b: remote)
        let sentByUs = segments.reduce(0) { $0 + ($1.source == local ? $1.payloadLength : 0) }
        let sentByPeer = segments.reduce(0) { $0 + ($1.source == remote ? $1.payloadLength : 0) }
        func ns(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
        var extent = SequenceGraphExtent(flow: flow, sender: sentByPeer > sentByUs ? remote : local,
                                         from: from.map(ns), to: to.map(ns))
        for s in segments { extent.add(s) }
        var seq = SequenceGraph(extent: extent)
        guard !seq.isEmpty else { throw ctx.error("nothing of \(e.name) in that time range") }
        for s in segments { seq.add(s) }
        let samples = pictureHistory.samples[e.id] ?? []
        let last = segments.last?.time ?? first.time
        let variables = variablePlot(e.name, samples, from: from.map { first.time + ns($0) } ?? first.time,
                                     to: to.map { min(last, first.time + ns($0)) } ?? last, origin: first.time)
        let files: [(String, String)]
        if html {
            var report = HTMLReport(title: "\(e.name): \(flow)")
            report.parts.append(.svg(heading: "Time-sequence graph", markup: seq.svg(standalone: false)))
            report.parts.append(.svg(heading: "The stack's variables", markup: variables.svg(standalone: false)))
            report.parts.append(.text(heading: "Ladder", text: LadderDiagram.render(packets, options: .init(width: 110))))
            files = [(path, report.render())]
        } else {
            let stem = path.hasSuffix(".svg") ? String(path.dropLast(4)) : path
            files = [(path, seq.svg()), (stem + "-vars.svg", variables.svg())]
        }
        for (file, text) in files {
            do { try text.write(toFile: file, atomically: true, encoding: .utf8) } catch {
                throw ctx.error("cannot write \(file): \(error.localizedDescription)")
            }
        }
        output("wrote \(files.map(\.0).joined(separator: ", ")): \(seq.segments) segments, \(seq.retransmissions) retransmitted, "
               + "\(samples.count) variable samples")
    }

    /// cwnd, ssthresh, flight size and the windows in bytes; SRTT and RTO in ms; recovery episodes shaded.
    func variablePlot(_ name: String, _ samples: [PictureHistory.Sample], from: Int64, to: Int64, origin: Int64) -> TimeSeriesPlot {
        func series(_ n: String, _ colour: String, _ value: (ConnectionSnapshot) -> Double?) -> TimeSeriesPlot.Series {
            .init(name: n, colour: colour, points: samples.compactMap { s in value(s.snapshot).map { (s.time.nanoseconds, $0) } })
        }
        // ssthresh starts "infinite" (RFC 5681 §3.1: arbitrarily high); plot it once it is finite.
        let cc = TimeSeriesPlot.Panel(title: "Congestion control", unit: "bytes", series: [
            series("cwnd", "#1f77b4") { Double($0.cwnd) },
            series("ssthresh", "#d62728") { $0.ssthresh < 1 << 30 ? Double($0.ssthresh) : nil },
            series("flight size", "#2ca02c") { Double($0.snd.nxt - $0.snd.una) },
        ])
        let windows = TimeSeriesPlot.Panel(title: "Receive windows", unit: "bytes", series: [
            series("peer's window (SND.WND)", "#e6a700") { Double($0.snd.wnd) },
            series("our window (RCV.WND)", "#9467bd") { Double($0.rcv.wnd) },
        ])
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        let rtt = TimeSeriesPlot.Panel(title: "RTT estimator (RFC 6298)", unit: "ms", series: [
            series("SRTT", "#8c564b") { $0.srtt.map(ms) },
            series("RTO", "#7f7f7f") { ms($0.rto) },
        ])
        return TimeSeriesPlot(title: "\(name): the stack's variables, sampled after each input",
                              panels: [cc, windows, rtt], spans: PictureHistory.episodes(samples),
                              from: from, to: to, origin: origin)
    }
}
