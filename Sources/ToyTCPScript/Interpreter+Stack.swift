import ToyTCPEngine
import ToyTCPWire

/// Stack-level commands (RFC 9293 §3.10 user calls): connect, listen, accept, send, recv, shutdown,
/// close, abort, status, set.
extension Interpreter {
    /// The connection a command names, or the current one.
    func entry(_ ref: ConnectionRef, _ ctx: inout Context) throws(ScriptError) -> ConnectionEntry {
        guard let name = ref.name ?? current else {
            throw ctx.error("no current connection: name one, or connect/accept first", ref.column)
        }
        guard let e = connections[name] else {
            let known = connectionOrder.isEmpty ? "none yet" : connectionOrder.joined(separator: ", ")
            throw ctx.error("unknown connection '\(name)' (connections: \(known))", ref.column)
        }
        refresh(e)
        return e
    }

    func register(_ id: ConnectionID, name: String?) -> ConnectionEntry {
        let n = name ?? freshName()
        if connections[n] == nil { connectionOrder.append(n) }
        let e = ConnectionEntry(name: n, id: id, state: network.withStack { st, _ in st.snapshot(id)?.state } ?? .closed)
        connections[n] = e
        current = n
        refresh(e)
        return e
    }

    func connect(_ remote: Endpoint, _ local: Endpoint?, _ localPort: UInt16?, _ within: Duration?, _ name: String?,
                 _ ctx: inout Context) throws(ScriptError) {
        if let name, connections[name] != nil, let e = connections[name], e.state != .closed {
            throw ctx.error("'\(name)' is already a live connection (\(e.state)); pick another name")
        }
        let id: ConnectionID
        do {
            let port = local.flatMap { $0.port == 0 ? nil : $0.port } ?? localPort
            id = try network.withStack { (st, now) throws(EngineError) in
                try st.connect(to: remote.ip, port: remote.port, from: local?.ip, localPort: port, at: now)
            }
        } catch {
            throw ctx.error("connect \(remote): \(error)")
        }
        network.flush()
        let e = register(id, name: name)
        // Without `within`, wait up to 3 s: a person typing `connect` wants to see ESTABLISHED.
        let within = within ?? .seconds(3)
        if within > .zero {
            _ = wait(for: within) {
                refresh(e)
                return e.state != .synSent && e.state != .synReceived
            }
        }
        refresh(e)
        if let failure = e.failure, e.state == .closed {
            throw ctx.error("connect \(remote): \(failure)")
        }
        output("\(e.name): \(e.snapshot.map { "\($0.tuple)" } ?? "\(remote)") \(e.state)")
    }

    func listen(_ local: Endpoint?, _ port: UInt16, _ name: String?, _ ctx: inout Context) throws(ScriptError) {
        let id: ListenerID
        do {
            id = try network.listen(address: local?.ip, port: port)
        } catch {
            throw ctx.error("listen \(port): \(error)")
        }
        listenerCounter += 1
        var n = name ?? "l\(listenerCounter)"
        while name == nil, listeners[n] != nil { listenerCounter += 1; n = "l\(listenerCounter)" }
        if listeners[n] == nil { listenerOrder.append(n) }
        listeners[n] = ListenerEntry(name: n, id: id, port: port, backlog: network.withStack { st, _ in st.configuration.backlog })
        // No address: every address of our host, both families (Stack.listen), each said.
        let addresses = local.map { [$0.ip] } ?? network.withStack { st, _ in st.localAddresses }
        let on = (addresses.isEmpty ? [.v4(network.localAddress)] : addresses).map { Endpoint(address: $0, port: port).description }
        output("\(n): listening on \(on.joined(separator: " and "))")
    }

    func accept(_ ref: ConnectionRef, _ within: Duration?, _ name: String?, _ ctx: inout Context) throws(ScriptError) {
        let l: ListenerEntry
        if let n = ref.name {
            guard let found = listeners[n] else {
                throw ctx.error("unknown listener '\(n)' (listeners: \(listenerOrder.isEmpty ? "none yet" : listenerOrder.joined(separator: ", ")))", ref.column)
            }
            l = found
        } else {
            guard let lastName = listenerOrder.last, let found = listeners[lastName] else {
                throw ctx.error("nothing is listening: listen PORT first", ref.column)
            }
            l = found
        }
        var id: ConnectionID? = network.withStack { st, _ in st.accept(l.id) }
        if id == nil {
            let outcome = wait(for: within ?? .seconds(10)) {
                id = network.withStack { st, _ in st.accept(l.id) }
                return id != nil
            }
            if outcome == .interrupted { throw ctx.error("accept interrupted") }
        }
        guard let id else {
            throw ctx.error("accept: no connection arrived on \(l.name) (port \(l.port)) within \(format(within ?? .seconds(10)))")
        }
        let e = register(id, name: name)
        output("\(e.name): \(e.snapshot.map { "\($0.tuple)" } ?? "") \(e.state)")
    }

    func payloadBytes(_ p: PayloadSource, _ ctx: inout Context) throws(ScriptError) -> [UInt8] {
        let s = ctx.statement
        switch p {
        case .bytes(let b): return b
        case .file(let path, let column):
            guard let data = FileBytes.read(path) else { throw ctx.error("cannot read file '\(path)'", column) }
            return data
        case .fill(let e):
            let n = try integer(e, "fill", 0...100_000_000, &ctx)
            var b = [UInt8](repeating: 0, count: Int(n))
            for i in 0..<b.count { b[i] = UInt8(97 + i % 26) }
            return b
        case .expression(let e):
            switch try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine) {
            case .bytes(let b): return b
            case let v: throw ctx.error("expected data (\"text\", 0xHEX, @FILE, fill=N), got \(v.typeName) \(v)", e.column)
            }
        }
    }

    func integer(_ e: Expression, _ what: String, _ range: ClosedRange<Int64>, _ ctx: inout Context) throws(ScriptError) -> Int64 {
        let s = ctx.statement
        let v = try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine)
        guard case .integer(let n) = v else { throw ctx.error("\(what) must be a number, got \(v.typeName) \(v)", e.column) }
        guard range.contains(n) else { throw ctx.error("\(what) \(n) is out of range (\(range.lowerBound)...\(range.upperBound))", e.column) }
        return n
    }

    /// A sequence-space value (RFC 9293 §3.4): a sequence number, or a number taken modulo 2^32.
    /// Literals out of 0...2^32-1 were rejected when the script was checked.
    func sequence(_ e: Expression, _ what: String, _ ctx: inout Context) throws(ScriptError) -> UInt32 {
        let s = ctx.statement
        switch try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine) {
        case .sequence(let q): return q.rawValue
        case .integer(let n): return UInt32(truncatingIfNeeded: n)
        case let v: throw ctx.error("\(what) must be a sequence number, got \(v.typeName) \(v)", e.column)
        }
    }

    func send(_ ref: ConnectionRef, _ data: PayloadSource, urgent: Bool = false, _ ctx: inout Context) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        let bytes = try payloadBytes(data, &ctx)
        var offset = 0
        var stalled = false
        while offset < bytes.count {
            let n: Int
            do {
                n = try bytes.withUnsafeBytes { (buf) throws(EngineError) -> Int in
                    try network.withStack { (st, now) throws(EngineError) in
                        try st.send(e.id, UnsafeRawBufferPointer(rebasing: buf[offset...]), urgent: urgent, at: now)
                    }
                }
            } catch {
                throw ctx.error("send on \(e.name): \(error)")
            }
            network.flush()
            offset += n
            if offset < bytes.count {
                // The send buffer is full: let the network drain it (bounded), as a blocking send would.
                let before = offset
                let outcome = wait(for: .seconds(5)) {
                    network.withStack { st, _ in (st.snapshot(e.id).map { $0.sendQueued } ?? 0) < st.configuration.sendBufferSize }
                }
                if outcome != .satisfied && before == offset { stalled = true; break }
            }
        }
        absorb()
        refresh(e)
        output("\(e.name): sent \(offset) \(offset == 1 ? "byte" : "bytes")\(stalled ? " of \(bytes.count) (send buffer full: the peer's window is closed)" : "")")
    }

    func recv(_ ref: ConnectionRef, _ count: Expression?, _ within: Duration?, _ ctx: inout Context) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        let want = try count.map { (c) throws(ScriptError) in Int(try integer(c, "byte count", 1...100_000_000, &ctx)) }
        var got: [UInt8] = []
        var eof = false
        func take() throws(ScriptError) {
            do {
                while want.map({ got.count < $0 }) ?? true {
                    let max = min((want ?? Int.max / 2) - got.count, 1 << 20)
                    guard let chunk = try network.withStack({ (st, now) throws(EngineError) in try st.receive(e.id, maxLength: max, at: now) }) else {
                        eof = true
                        return
                    }
                    if chunk.isEmpty { return }
                    got += chunk
                }
            } catch {
                if got.isEmpty && !(e.failure != nil) { throw ctx.error("recv on \(e.name): \(error)") }
                eof = true
            }
        }
        try take()
        if !eof && (want.map { got.count < $0 } ?? got.isEmpty) {
            var failure: ScriptError?
            _ = wait(for: within ?? .seconds(1)) {
                do throws(ScriptError) { try take() } catch { failure = error; return true }
                return eof || (want.map { got.count >= $0 } ?? !got.isEmpty)
            }
            if let failure { throw failure }
        }
        network.flush()
        e.data += got
        if eof { e.endOfStream = true }
        refresh(e)
        var line = "\(e.name): received \(got.count) \(got.count == 1 ? "byte" : "bytes")"
        if !got.isEmpty { line += ": \(Value.quote(got))" }
        if eof { line += " (end of stream: the peer closed)" }
        output(line)
        // `recv NAME N` is a test of N bytes: fewer is a failure, said with how many came.
        if let want, got.count < want {
            throw ctx.error("recv on \(e.name): received \(got.count) of \(want) bytes within \(format(within ?? .seconds(1)))\(eof ? " (the peer closed)" : "")")
        }
    }

    func userCall(_ ref: ConnectionRef, _ verb: String, _ ctx: inout Context,
                  _ call: (Stack, ConnectionID, Instant) throws(EngineError) -> Void) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        do {
            try network.withStack { (st, now) throws(EngineError) in try call(st, e.id, now) }
        } catch {
            throw ctx.error("\(verb) \(e.name): \(error)")
        }
        network.flush()
        // No time passes here (a script says how long to wait: `wait c TIME-WAIT`, which also accepts
        // a state passed through since this line, or a timed next line).
        refresh(e)
        output("\(e.name): \(e.state)")
    }

    func status(_ ref: ConnectionRef?, _ ctx: inout Context) throws(ScriptError) {
        var names = connectionOrder
        if let ref { names = [try entry(ref, &ctx).name] }
        if names.isEmpty && listenerOrder.isEmpty {
            output("no connections (connect ADDR PORT, or listen PORT)")
        }
        for l in listenerOrder {
            guard let le = listeners[l] else { continue }
            let f = Dictionary(listenerFigures(le), uniquingKeysWith: { a, _ in a })
            output("\(l): LISTEN port \(le.port): backlog \(f["backlog"] ?? 0), half-open \(f["halfopen"] ?? 0), accept queue \(f["acceptq"] ?? 0), SYNs dropped \(f["syns_dropped"] ?? 0), SYN-ACK retransmissions \(f["synack_retries"] ?? 0), SYN cookies sent \(f["cookies_sent"] ?? 0) (validated \(f["cookies_validated"] ?? 0))")
        }
        for n in names {
            guard let e = connections[n] else { continue }
            refresh(e)
            let mark = n == current ? "*" : " "
            guard let s = e.snapshot else { output("\(mark)\(n): \(e.state)"); continue }
            output("\(mark)\(n): \(s.tuple) \(e.state)\(e.failure.map { " (\($0))" } ?? "")")
            output("    SND.UNA=\(s.snd.una) SND.NXT=\(s.snd.nxt) SND.WND=\(s.snd.wnd) ISS=\(s.snd.iss) wscale=\(s.snd.windowShift)")
            output("    RCV.NXT=\(s.rcv.nxt) RCV.WND=\(s.rcv.wnd) IRS=\(s.rcv.irs) wscale=\(s.rcv.windowShift)")
            output("    MSS=\(s.mss) cwnd=\(s.cwnd) ssthresh=\(s.ssthresh) SRTT=\(s.srtt.map(format) ?? "-") RTTVAR=\(s.rttvar.map(format) ?? "-") RTO=\(format(s.rto))")
            output("    queued: send \(s.sendQueued) recv \(s.receiveQueued) out-of-order \(s.outOfOrderQueued); retransmissions \(s.retransmissions); SACK \(s.sackEnabled ? "on" : "off"), timestamps \(s.timestampsEnabled ? "on" : "off")")
            var extras = ["cc \(s.congestionControl.rawValue)", "ECN \(s.ecnEnabled ? (s.ecnEchoing ? "on, echoing CE" : "on") : "off")"]
            if let k = s.keepalive {
                extras.append("keepalive \(format(k.idle)),\(format(k.interval)),\(k.count) (\(s.keepaliveProbesSent) probes unanswered)")
            }
            if s.spuriousUndos > 0 { extras.append("spurious recoveries undone \(s.spuriousUndos)") }
            if let up = s.sendUrgentPointer { extras.append("SND.UP=\(up)") }
            if let up = s.receiveUrgentPointer { extras.append("RCV.UP=\(up) (\(s.urgentUnread) urgent bytes unread)") }
            output("    " + extras.joined(separator: "; "))
        }
    }

    /// A listener's figures (RFC 4987 §3: what a SYN flood fills), as the engine keeps them: half-open
    /// entries (SYN-RECEIVED), completed connections no `accept` took yet, SYNs dropped, SYN-ACK
    /// retransmissions, SYN cookies sent and validated (RFC 4987 §3.6).
    func listenerFigures(_ l: ListenerEntry) -> [(String, Int64)] {
        guard let s = network.withStack({ st, _ in st.listenerSnapshot(l.id) }) else {
            return [("port", Int64(l.port)), ("backlog", Int64(l.backlog))]
        }
        return [("port", Int64(s.port)), ("backlog", Int64(s.backlog)), ("halfopen", Int64(s.halfOpen)),
                ("acceptq", Int64(s.acceptQueued)), ("syns_dropped", Int64(s.synsDropped)),
                ("synack_retries", Int64(s.synAckRetransmissions)), ("cookies_sent", Int64(s.cookiesSent)),
                ("cookies_validated", Int64(s.cookiesValidated))]
    }

    /// `CLOSED>SYN-SENT 0.000000s, …`: the states a connection went through and when.
    func historyText(_ e: ConnectionEntry) -> String {
        e.history.isEmpty ? "no changes" : e.history.map { "\($0.state) \(stamp($0.time))" }.joined(separator: ", ")
    }

    func format(_ d: Duration) -> String {
        let ns = d.nanosecondsClamped
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns >= 1_000_000, ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns >= 1_000 { return "\(Double(ns / 1000) / 1000)ms" }
        return "\(ns)ns"
    }

    func set(_ option: StackOption?, _ value: String?, _ column: Int, _ ctx: inout Context) throws(ScriptError) {
        var c = network.withStack { st, _ in st.configuration }
        guard let option, let value else {
            output("mss=\(c.mss) window=\(c.receiveBufferSize) wscale=\(c.windowScaling ? (c.windowScaleShift.map(String.init) ?? "on") : "off") sack=\(c.sack ? "on" : "off") timestamps=\(c.timestamps ? "on" : "off") nagle=\(c.nagle ? "on" : "off") delack=\(c.delayedAck ? "on" : "off") delack-timeout=\(format(c.delayedAckTimeout)) rto-initial=\(format(c.initialRTO)) rto-min=\(format(c.minimumRTO)) rto-max=\(format(c.maximumRTO)) syn-retries=\(c.synRetries) sndbuf=\(c.sendBufferSize) initcwnd=\(c.initialWindowSegments) cc=\(c.congestionControl.rawValue) ecn=\(c.ecn ? "on" : "off") dsack=\(c.dsack ? "on" : "off") prr=\(c.proportionalRateReduction ? "on" : "off") rack=\(c.rack ? "on" : "off") keepalive=\(c.keepalive.map { "\(format($0.idle)),\(format($0.interval)),\($0.count)" } ?? "off") syn-defense=\(c.synFloodDefense.rawValue) synack-retries=\(c.synAckRetries) backlog=\(c.backlog)"
                + ((try? network.configureLoop(nil))?.map { " " + $0 } ?? ""))
            return
        }
        func bool() throws(ScriptError) -> Bool {
            switch value {
            case "on", "true", "1", "yes": return true
            case "off", "false", "0", "no": return false
            default: throw ctx.error("\(option.rawValue) takes on or off, not '\(value)'", column)
            }
        }
        func number(_ r: ClosedRange<Int64>) throws(ScriptError) -> Int64 {
            guard let n = NumberLiteral.parse(value) else { throw ctx.error("\(option.rawValue) takes a number, not '\(value)'", column) }
            guard r.contains(n) else { throw ctx.error("\(option.rawValue) \(n) is out of range (\(r.lowerBound)...\(r.upperBound))", column) }
            return n
        }
        func duration() throws(ScriptError) -> Duration {
            guard let d = DurationLiteral.parse(value) else { throw ctx.error("\(option.rawValue) takes a duration (e.g. 200ms), not '\(value)'", column) }
            return d
        }
        switch option {
        case .mss: c.mss = UInt16(try number(88...65495))
        case .window: c.receiveBufferSize = Int(try number(0...(1 << 30)))
        case .wscale:
            if value == "on" || value == "off" { c.windowScaling = try bool(); c.windowScaleShift = nil }
            else { c.windowScaling = true; c.windowScaleShift = UInt8(try number(0...14)) }
        case .sack: c.sack = try bool()
        case .timestamps: c.timestamps = try bool()
        case .nagle: c.nagle = try bool()
        case .delack: c.delayedAck = try bool()
        case .delackTimeout: c.delayedAckTimeout = try duration()
        case .rtoInitial: c.initialRTO = try duration()
        case .rtoMin: c.minimumRTO = try duration()
        case .rtoMax: c.maximumRTO = try duration()
        case .synRetries: c.synRetries = Int(try number(0...255))
        case .sendBuffer: c.sendBufferSize = Int(try number(1...(1 << 30)))
        case .initialWindow: c.initialWindowSegments = Int(try number(1...1000))
        case .congestionControl:
            guard let a = CongestionControlAlgorithm(rawValue: value) else {
                throw ctx.error("cc takes newreno or cubic, not '\(value)'", column)
            }
            c.congestionControl = a
        case .ecn: c.ecn = try bool()
        case .dsack: c.dsack = try bool()
        case .prr: c.proportionalRateReduction = try bool()
        case .rack: c.rack = try bool()
        case .keepalive:
            if value == "off" { c.keepalive = nil; break }
            let parts = value.split(separator: ",").map(String.init)
            guard parts.count == 3, let idle = DurationLiteral.parse(parts[0]), let interval = DurationLiteral.parse(parts[1]),
                  let count = Int(parts[2]), (1...255).contains(count), idle > .zero, interval > .zero else {
                throw ctx.error("keepalive takes off or IDLE,INTERVAL,COUNT (e.g. 10s,1s,3), not '\(value)'", column)
            }
            c.keepalive = KeepaliveSettings(idle: idle, interval: interval, count: count)
        case .synFloodDefense:
            guard let d = SynFloodDefense(rawValue: value) else {
                throw ctx.error("syn-defense takes \(SynFloodDefense.allCases.map(\.rawValue).joined(separator: ", ")), not '\(value)'", column)
            }
            c.synFloodDefense = d
        case .synAckRetries: c.synAckRetries = Int(try number(0...255))
        case .backlog: c.backlog = Int(try number(1...65535))
        }
        network.withStack { st, _ in st.configuration = c }
        output("\(option.rawValue) = \(value) (for connections opened from now on)")
    }

    /// `set loop …`, `set loop-priority …`: the lab's event loop (EventLoop.WaitPolicy, setRealTime).
    func setLoop(_ setting: LoopSetting, _ column: Int, _ ctx: inout Context) throws(ScriptError) {
        let shown: String?
        do { shown = try network.configureLoop(setting) } catch { throw ctx.error("\(error)", column) }
        guard let shown else {
            throw ctx.error("set loop applies to the kernel lab's event loop (toytcp-shell --netns host1); the simulated network has none", column)
        }
        output(shown)
    }

    func waitState(_ ref: ConnectionRef, _ state: TCPState, _ within: Duration, _ ctx: inout Context) throws(ScriptError) {
        let e = try entry(ref, &ctx)
        // A state passed through since the previous statement began counts (`close` may go through
        // FIN-WAIT-1 and FIN-WAIT-2 to TIME-WAIT before `wait c FIN-WAIT-2` runs).
        let horizon = stateHorizon
        func reached() -> (state: TCPState, time: Instant)? {
            e.history.last { $0.mark >= horizon && $0.state == state }.map { ($0.state, $0.time) }
        }
        let outcome = wait(for: within) {
            refresh(e)
            return e.state == state || reached() != nil
        }
        refresh(e)
        if e.state != state, let r = reached() {
            output("\(e.name): passed through \(r.state) at \(stamp(r.time)), now \(e.state)")
            return
        }
        guard outcome == .satisfied || e.state == state else {
            throw ctx.error("\(e.name): expected \(state) within \(format(within)), still \(e.state)\(e.failure.map { " (\($0))" } ?? "") (history: \(historyText(e)))")
        }
        output("\(e.name): \(e.state)")
    }
}
