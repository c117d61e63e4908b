import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire

/// Runs commands: the one implementation behind the REPL and `.ttcp` scripts.
///
/// It keeps the names a session gives things (connections, listeners, bound segments, `let`
/// variables), the packets seen since the last `expect`, and the trace/record switches. Every wait goes
/// through `ScriptNetwork.run`, so time is virtual on the simulated network and wall-clock in the lab,
/// and Ctrl-C (`interrupted`) ends a wait without ending the session.
public final class Interpreter {
    /// The most copies one `inject … count=` may send.
    public static let maximumCount: Int64 = 10_000_000
    /// The name of a copy's index in `inject … count=N` and of the default index of `repeat`.
    static let copyIndexName = "i"
    /// The most times one `repeat` block runs.
    public static let maximumRepeat: Int64 = 10_000_000
    /// Packets kept for `expect` (older ones are dropped first).
    /// How many captured segments `expect` can look back over; past it the oldest half is discarded and
    /// counted (`pendingDiscarded`), so a failure can say that a match may have been among them.
    static let pendingLimit = 100_000

    public let network: ScriptNetwork
    /// Where results go (one line per call, no trailing newline).
    public var output: (String) -> Void
    /// Polled during waits; true ends the wait (the shell sets it from SIGINT).
    public var interrupted: () -> Bool = { false }
    /// Renders `help` (the shell installs its formatter); `nil` prints the one-line usages.
    public var helpHandler: ((String?) -> String)?

    /// A connection the session named.
    final class ConnectionEntry {
        let name: String
        let id: ConnectionID
        var snapshot: ConnectionSnapshot?
        var state: TCPState
        /// Everything `recv` has returned, for `c.data` and `assert`.
        var data: [UInt8] = []
        var endOfStream = false
        var failure: EngineError?
        /// Every state change, in order: (new state, when, position in the session's history).
        var history: [(state: TCPState, time: Instant, mark: Int)] = []
        init(name: String, id: ConnectionID, state: TCPState) {
            self.name = name; self.id = id; self.state = state
        }
    }

    struct ListenerEntry {
        let name: String
        let id: ListenerID
        let port: UInt16
        /// The backlog it was opened with (the stack's `backlog` setting then).
        var backlog = 0
    }

    /// A packet with its parse (absent for malformed ones).
    struct Captured {
        let observed: PacketRecord
        let packet: IPPacket?
        /// Position in the order packets were seen (consecutive), to tell new from old.
        let serial: Int
        /// The tcpdump line with relative numbers, rendered when it was seen (`set numbers relative`).
        var relativeText: String? = nil

        /// The packet as the shell prints it: relative numbers if they were on, else absolute.
        var text: String { relativeText ?? TcpdumpLine.absoluteText(observed.bytes) }
    }

    var connections: [String: ConnectionEntry] = [:]
    var connectionOrder: [String] = []
    var listeners: [String: ListenerEntry] = [:]
    var listenerOrder: [String] = []
    var incoming: [ListenerID: Int] = [:]
    var current: String?
    var segments: [String: Captured] = [:]
    var last: Captured?
    var variables: [String: Value] = [:]
    /// Processes started with `host2`, ended when the session ends.
    var peerProcesses: [String: PeerProcess] = [:]
    var pending: [Captured] = []
    /// Segments discarded from `pending` because it was full (a flood), since the last expect.
    var pendingDiscarded = 0
    /// The serial the next captured packet gets.
    var serialCounter = 0
    /// Packets with a serial below this were seen before the previous statement finished: `expect`
    /// in the current statement never matches them.
    var statementHorizon = 0
    /// Where the current statement's horizon will be for the next one: the end of the last wait (or
    /// just after the segment an `expect` matched). What a statement causes after its last wait (the
    /// data `send` puts on the wire, the answer to an `inject`) is new for the next line.
    var quietSerial = 0
    /// Counts state changes in the session; `wait` accepts a state entered at or after
    /// `stateHorizon`, the count when the previous statement began.
    var historyCounter = 0
    var stateHorizon = 0
    var statementStartHistory = 0
    /// `set expect strict`: the first new segment in the direction an `expect` looks at must match.
    var strictExpect = false
    /// `set numbers relative`: seq and ack in inject, expect and printed lines count from each side's
    /// ISN (as tcpdump prints and packetdrill writes them). Absolute by default.
    var relativeNumbers = false
    /// The ISN of each direction of each conversation, learnt from SYNs (and SYN-ACKs for the other
    /// side) as they are seen or crafted.
    var initialSequence: [FlowDirection: UInt32] = [:]
    /// The renderer of relative lines; it sees every packet, in order, as tcpdump would.
    var relativeRenderer = TcpdumpLine(absolute: false)
    /// `set tolerance`: packetdrill's default, 4 ms.
    var tolerance: Duration = .milliseconds(4)
    /// When the previous statement's event happened (the end of an action, the arrival of an expected
    /// segment): what `+0.1` counts from.
    var lastEventTime: Instant
    /// Set by `expect` to the arrival of its segment.
    var matchedEventTime: Instant?
    /// The current statement's due window (`nil`: no time on the line, or `*`).
    var dueWindow: (Instant, Instant)?
    /// `random` in expressions: a seeded generator (SplitMix64), so a run on the simulated network
    /// repeats exactly.
    var randomState: UInt64 = 0x9E37_79B9_7F4A_7C15
    var tracing = false
    /// Intercept's state: the stage on the port, the held segment commands act on.
    let interception = Interception()
    var recorder: PcapRecorder?
    /// Packets and variable samples per connection, for `ladder` and `graph` (Interpreter+Pictures).
    var pictureHistory = PictureHistory()
    var nameCounter = 0
    var listenerCounter = 0
    /// The origin `sleep` and traces count time from.
    let start: Instant

    public init(network: ScriptNetwork, output: @escaping (String) -> Void) {
        self.network = network
        self.output = output
        self.start = network.now
        self.lastEventTime = network.now
    }

    // MARK: Names

    /// Connection names, oldest first (for completion and `status`).
    public var connectionNames: [String] { connectionOrder }
    /// Listener, segment and variable names (for completion).
    public var listenerNames: [String] { listenerOrder }
    public var segmentNames: [String] { segments.keys.sorted() }
    public var variableNames: [String] { variables.keys.sorted() }
    /// The current connection and its state, for the prompt.
    public var currentConnection: (name: String, state: TCPState)? {
        guard let current, let e = connections[current] else { return nil }
        refresh(e)
        return (current, e.state)
    }

    func freshName(prefix: String = "c") -> String {
        while true {
            nameCounter += 1
            let n = "\(prefix)\(nameCounter)"
            if connections[n] == nil && listeners[n] == nil { return n }
        }
    }

    func refresh(_ e: ConnectionEntry) {
        if let s = network.withStack({ stack, _ in stack.snapshot(e.id) }) {
            e.snapshot = s
            e.state = s.state
        } else if e.state != .closed {
            e.state = .closed
        }
    }

    // MARK: Running

    /// Parses and runs one line (the REPL's entry point). Errors are returned, not printed.
    public func execute(line: String, location: SourceLocation) throws(ScriptError) -> Bool {
        let statement = try Parser(file: location.file).parse(line: line, number: location.line)
        return try execute(statement)
    }

    /// Runs one statement; returns false for `quit`.
    @discardableResult
    public func execute(_ s: Statement) throws(ScriptError) -> Bool {
        var ctx = Context(statement: s)
        defer { absorb() }
        absorb()
        statementHorizon = quietSerial
        stateHorizon = statementStartHistory
        statementStartHistory = historyCounter
        dueWindow = s.time.flatMap { $0.window(start: start, previous: lastEventTime) }
        matchedEventTime = nil
        defer { lastEventTime = matchedEventTime ?? network.now }
        if let (due, _) = dueWindow, !s.command.isExpect, due > network.now {
            // An action waits for its time; what arrives meanwhile stays new for the next expect.
            if network.run(until: due, interrupted: interrupted, { absorb(); return false }) == .interrupted {
                throw ctx.error("interrupted while waiting for this line's time")
            }
            absorb()
        }
        switch s.command {
        case .empty: break
        case .quit: return false
        case let .host2(command, name):
            guard case .lab(let ns?) = network.kind, ns.hasSuffix("host1") else {
                throw ctx.error("host2 runs a process in the lab's peer namespace: run the script with --netns PREFIX-host1 (on the simulated network use peer)")
            }
            let peerNamespace = String(ns.dropLast("host1".count)) + "host2"
            if let old = peerProcesses[name] { old.stop() }
            var process: PeerProcess
            do { process = try PeerProcess(name: name, command: command, namespace: peerNamespace) } catch { throw ctx.error(error.message) }
            peerProcesses[name] = process
            output("\(name): started in \(peerNamespace): \(command)")
        case .stats:
            for (name, value) in Interpreter.counters(network.withStack { st, _ in st.statistics }) { output("\(name) = \(value)") }
        case .blockOpen, .blockClose:
            throw ctx.error("repeat { … } blocks are for scripts (toytcp-shell run FILE)")
        case let .repeatBlock(count, index, body):
            let n = try integer(count, "repeat count", 0...Interpreter.maximumRepeat, &ctx)
            let saved = variables[index]
            defer { variables[index] = saved }
            for k in 0..<n {
                if interrupted() { throw ctx.error("repeat interrupted at \(index) = \(k)") }
                variables[index] = .integer(k)
                for b in body where try !execute(b) { return false }
            }
        case .help(let topic):
            output(helpHandler?(topic) ?? CommandReference.usage(topic))
        case let .connect(remote, local, localPort, within, name): try connect(remote, local, localPort, within, name, &ctx)
        case let .listen(local, port, name): try listen(local, port, name, &ctx)
        case let .accept(listener, within, name): try accept(listener, within, name, &ctx)
        case let .send(ref, data, urgent): try send(ref, data, urgent: urgent, &ctx)
        case let .recv(ref, count, within): try recv(ref, count, within, &ctx)
        case .shutdown(let ref): try userCall(ref, "shutdown", &ctx) { st, id, t throws(EngineError) in try st.shutdown(id, at: t) }
        case .close(let ref): try userCall(ref, "close", &ctx) { st, id, t throws(EngineError) in try st.close(id, at: t) }
        case .abort(let ref): try userCall(ref, "abort", &ctx) { st, id, t in st.abort(id, at: t) }
        case .status(let ref): try status(ref, &ctx)
        case let .set(option, value, column): try set(option, value, column, &ctx)
        case .setNumbers(let relative):
            relativeNumbers = relative
            output("numbers \(relative ? "relative: seq and ack count from each side's ISN" : "absolute")")
        case let .setLoop(setting, column): try setLoop(setting, column, &ctx)
        case .setCrafted(let feeds):
            network.withPort { port, _ in
                for case let stage as CraftedConversationStage in port.stages { stage.feedsStack = feeds }
            }
            output("crafted \(feeds ? "feed: answers to crafted segments go to our stack too (it resets what it does not know)" : "keep: answers to crafted segments are shown, not given to our stack")")
        case .setTolerance(let d):
            tolerance = d
            output("tolerance \(format(d))")
        case .setExpect(let strict):
            strictExpect = strict
            output("expect \(strict ? "strict: the next new segment in the direction looked at must match" : "any: the first new segment that matches")")
        case .use(let ref):
            let e = try entry(ref, &ctx)
            current = e.name
            refresh(e)
            output("\(e.name): \(e.state)")
        case .inject(let spec): try inject(spec, &ctx)
        case let .expect(pattern, within, name): try expect(pattern, within, name, &ctx)
        case let .wait(ref, state, within): try waitState(ref, state, within, &ctx)
        case .trace(let on):
            tracing = on
            output("trace \(on ? "on" : "off")")
        case let .show(name, column): try show(name, column, &ctx)
        case .record(let path): try record(path, &ctx)
        case .intercept(let c): try intercept(c, &ctx)
        case let .let_(name, e):
            variables[name] = try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine)
        case .sleep(let d):
            _ = wait(for: d) { false }
        case let .assert(e, text):
            let v = try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine)
            guard let ok = v.truthValue else {
                throw ctx.error("assert needs a condition, got \(v.typeName) \(v)", e.column)
            }
            if !ok { throw ctx.error("assertion failed: \(text)\(explain(e))", e.startColumn) }
        case .ladder(let ref): try ladder(ref, &ctx)
        case let .graph(ref, path, html, from, to): try graph(ref, path: path, html: html, from: from, to: to, &ctx)
        case .print(let e):
            let v = try e.evaluate(in: self, location: s.location, sourceLine: s.sourceLine)
            if case .bytes(let b) = v { output(Value.quote(b, limit: 4096)) } else { output(v.description) }
        case let .peer(kind, endpoint, count, connectTo):
            do {
                output(try network.startPeer(kind, at: endpoint, count: count, connectTo: connectTo))
            } catch {
                throw ctx.error(error.message)
            }
            absorb()
        }
        return true
    }

    /// For a failed comparison, the values on each side (`; c.rcv.nxt is 1001, 1002 expected`).
    func explain(_ e: Expression) -> String {
        guard case .binary(let op, let a, let b, _) = e, ["==", "!=", "<", "<=", ">", ">="].contains(op) else { return "" }
        let loc = SourceLocation(file: "", line: 0, column: 0)
        guard let x = try? a.evaluate(in: self, location: loc, sourceLine: ""),
              let y = try? b.evaluate(in: self, location: loc, sourceLine: "") else { return "" }
        return " (left side is \(x), right side is \(y))"
    }

    /// Per-statement helpers: the location for errors.
    struct Context {
        let statement: Statement
        func error(_ message: String, _ column: Int? = nil) -> ScriptError {
            ScriptError(message, at: statement.location.at(column: column ?? 1), sourceLine: statement.sourceLine)
        }
    }

    // MARK: Waiting and observing

    /// Runs the network until `condition` holds or `duration` passes; observations are absorbed as
    /// they come, so conditions see fresh state.
    func wait(for duration: Duration, _ condition: () -> Bool) -> WaitOutcome {
        let deadline = network.now + duration
        let outcome = network.run(until: deadline, interrupted: interrupted) {
            absorb()
            return condition()
        }
        absorb()
        quietSerial = serialCounter
        return outcome
    }

    /// Takes what the network saw: traces it, records it, queues packets for `expect`, notes events.
    /// The shell calls it when the network's `observationDescriptor` is readable at the prompt.
    public func absorb() {
        for o in network.takeObservations() {
            switch o {
            case .packet(let p) where !p.fate.wentOn:
                // Dropped after it was seen, or before it reached us: the pictures draw it lost and
                // `trace` says so; it is not on the wire for `record`, nor new for `expect`.
                pictureHistory.record(p)
                if tracing {
                    var c = Captured(observed: p, packet: IPPacket.parseForMatching(p.bytes), serial: serialCounter)
                    if relativeNumbers { c.relativeText = renderRelative(p.bytes) }
                    output(traceLine(c))
                }
            case .packet(let p):
                let parsed = IPPacket.parseForMatching(p.bytes)
                var c = Captured(observed: p, packet: parsed, serial: serialCounter)
                serialCounter += 1
                if let parsed { learnSequenceBases(parsed) }
                if relativeNumbers { c.relativeText = renderRelative(p.bytes) }
                last = c
                pending.append(c)
                if pending.count > Interpreter.pendingLimit {
                    let n = pending.count - Interpreter.pendingLimit / 2
                    pending.removeFirst(n)
                    pendingDiscarded += n
                }
                recorder?.write(p, at: network.wallClock(p.time))
                pictureHistory.record(p)
                if tracing { output(traceLine(c)) }
            case .event(let event, let time):
                handle(event, at: time)
            case .held(let p, let breakpoint):
                announceHeld(p, breakpoint: breakpoint)
            case let .breakpoint(n, after):
                announceBreak(n, after: after)
            }
        }
        samplePictureVariables()
        if interception.hasExpressionBreaks { checkBreakpoints() }
    }

    func handle(_ event: StackEvent, at time: Instant) {
        switch event {
        case .incoming(let l): incoming[l, default: 0] += 1
        case .connection(let id, let ce):
            let e = connections.values.first { $0.id == id }
            switch ce {
            case .stateChanged(let from, let to):
                e?.state = to
                e?.history.append((to, time, historyCounter))
                historyCounter += 1
                if tracing { output("\(stamp(time)) \(e?.name ?? id.description): \(from) -> \(to)") }
            case .failed(let err):
                e?.failure = err
                if tracing || e != nil { output("\(stamp(time)) \(e?.name ?? id.description): \(err)") }
            case .closed:
                if let e { refresh(e); e.state = .closed }
            default: break
            }
        }
    }

    func stamp(_ t: Instant) -> String { (Instant(nanoseconds: 0) + (t - start)).description }

    func traceLine(_ c: Captured) -> String {
        let dir = c.observed.direction == .outbound ? "out" : "in "
        let text = c.packet != nil ? c.text : "malformed packet, \(c.observed.bytes.count) bytes"
        let why = c.observed.reason.map { "  (\($0))" } ?? (c.observed.crafted ? "  (crafted)" : "")
        let fate = c.observed.fate == .passed ? "" : "  [\(c.observed.fate.rawValue)]"
        return "\(stamp(c.observed.time)) \(dir) \(text)\(why)\(fate)"
    }
}

/// One direction of a conversation (source and destination endpoints), for ISNs.
struct FlowDirection: Hashable {
    var source: Endpoint
    var destination: Endpoint
    var reversed: FlowDirection { FlowDirection(source: destination, destination: source) }
}

extension Interpreter {
    /// Records the ISNs a SYN (and a SYN-ACK, for the other side) shows.
    func learnSequenceBases(_ p: IPPacket) {
        let s = p.segment
        guard s.flags.contains(.syn) else { return }
        let d = FlowDirection(source: p.sourceEndpoint, destination: p.destinationEndpoint)
        initialSequence[d] = s.sequenceNumber.rawValue
        if s.flags.contains(.ack) { initialSequence[d.reversed] = s.acknowledgmentNumber.rawValue &- 1 }
    }

    /// The ISN of one direction: learnt from its SYN, or from our stack's connection on that pair.
    func initialSequenceNumber(_ d: FlowDirection) -> UInt32? {
        if let isn = initialSequence[d] { return isn }
        for e in connections.values {
            guard let s = e.snapshot else { continue }
            let local = Endpoint(s.tuple.local)
            let remote = Endpoint(s.tuple.remote)
            if d.source == local && d.destination == remote { return s.snd.iss.rawValue }
            if d.source == remote && d.destination == local { return s.rcv.irs.rawValue }
        }
        return nil
    }

    /// `template` with relative numbers made absolute for a segment travelling `d`. A SYN whose
    /// direction has no ISN yet defines it: its `seq` stays as written.
    func absoluteNumbers(_ r: ResolvedTemplate, _ d: FlowDirection, isSYN: Bool, packetSeq: UInt32? = nil) -> ResolvedTemplate {
        var seqBase = initialSequenceNumber(d) ?? 0
        if isSYN { seqBase = packetSeq ?? (initialSequence[d] == nil ? 0 : seqBase) }
        return r.absolute(seqBase: seqBase, ackBase: initialSequenceNumber(d.reversed) ?? 0)
    }

    /// A packet as tcpdump prints it without -S (relative numbers), through the session's flow table.
    func renderRelative(_ bytes: [UInt8]) -> String {
        let out = OutputBuffer(flushThreshold: 4096)
        bytes.withUnsafeBytes { relativeRenderer.renderIP($0, wireLength: $0.count, into: out) }
        return out.string
    }
}
