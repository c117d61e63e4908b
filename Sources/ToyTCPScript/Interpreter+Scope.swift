import ToyTCPEngine
import ToyTCPWire

/// Variables expressions can read: connections (`c.snd.nxt`), bound segments (`synack.seq`), `last`,
/// and `let` variables.
extension Interpreter: VariableScope {
    public static let connectionFields = [
        "state", "snd.una", "snd.nxt", "snd.wnd", "snd.wl1", "snd.wl2", "snd.iss", "snd.wscale",
        "rcv.nxt", "rcv.wnd", "rcv.irs", "rcv.wscale", "iss", "irs", "mss", "cwnd", "ssthresh",
        "srtt", "rttvar", "rto", "sendq", "recvq", "ooo", "retransmissions", "data", "received", "eof",
        "lport", "rport", "sack", "ts", "history", "snd.up", "rcv.up", "urgent", "ecn", "ece",
        "keepalive_probes", "spurious_undos", "cc",
    ]
    public static let segmentFields = [
        "seq", "ack", "win", "urg", "len", "end", "flags", "sport", "dport", "csum", "ttl", "hlim", "tclass", "flow",
        "mss", "wscale", "tsval", "tsecr", "payload", "time",
    ]

    public func lookup(_ path: [String]) -> Lookup {
        let head = path[0]
        if let e = connections[head] {
            refresh(e)
            return connectionField(e, path)
        }
        if head == "last" {
            guard let last else { return .unavailable("no segment seen yet") }
            return segmentField(last, path)
        }
        if let s = segments[head] { return segmentField(s, path) }
        if let l = listeners[head] {
            let figures = listenerFigures(l)
            guard path.count == 2, let v = figures.first(where: { $0.0 == path[1] }) else {
                return .unknownField(index: 1, known: figures.map(\.0))
            }
            return .value(.integer(v.1))
        }
        if let p = peerProcesses[head] {
            switch path.count == 2 ? path[1] : "" {
            case "output": return .value(.bytes(p.output))
            case "running": return .value(.boolean(p.isRunning))
            case "status":
                return p.isRunning ? .unavailable("\(head) is still running") : .value(.integer(Int64(p.exitStatus ?? -1)))
            default: return .unknownField(index: 1, known: ["output", "running", "status"])
            }
        }
        if let v = variables[head] {
            return path.count == 1 ? .value(v) : .unknownField(index: 1, known: [])
        }
        if head == "now", path.count == 1 { return .value(.integer((network.now - start).nanosecondsClamped / 1000)) }
        if head == "random", path.count == 1 { return .value(.integer(Int64(nextRandom()))) }
        if head == "stack" {
            let counters = Interpreter.counters(network.withStack { st, _ in st.statistics })
            guard path.count == 2, let v = counters.first(where: { $0.name == path[1] }) else {
                return .unknownField(index: 1, known: counters.map(\.name))
            }
            return .value(.integer(v.value))
        }
        return .unknownName
    }

    /// A fresh 32-bit number (SplitMix64).
    func nextRandom() -> UInt32 {
        randomState &+= 0x9E37_79B9_7F4A_7C15
        var z = randomState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: (z ^ (z >> 31)) >> 32)
    }

    /// The stack's counters as (snake_case name, value) pairs, read by reflection so a counter the
    /// engine adds to `StackStatistics` shows in `stats` and `stack.NAME` without a change here.
    /// The stack's counters by their snake_case names (`stats`, `stack.NAME`): the engine's own list, so a
    /// counter the engine adds appears here without a change.
    static func counters(_ s: StackStatistics) -> [(name: String, value: Int64)] {
        s.counters.map { ($0.name, Int64(truncatingIfNeeded: $0.value)) }
    }

    func connectionField(_ e: ConnectionEntry, _ path: [String]) -> Lookup {
        guard path.count >= 2 else { return .unknownField(index: 1, known: Interpreter.connectionFields) }
        let key = path[1...].joined(separator: ".")
        if key == "state" { return .value(.state(e.state)) }
        if key == "data" { return .value(.bytes(e.data)) }
        if key == "eof" { return .value(.boolean(e.endOfStream)) }
        if key == "history" { return .value(.bytes(Array(historyText(e).utf8))) }
        if key == "received" { return .value(.integer(Int64(e.data.count))) }
        guard let s = e.snapshot else { return .unavailable("\(e.name) has no variables yet") }
        return Self.snapshotField(s, name: e.name, path)
    }

    /// The fields of a connection that its snapshot holds (all but `data`, `eof`, `history`,
    /// `received`, which the session keeps): also read where the stack lives, by breakpoints.
    static func snapshotField(_ s: ConnectionSnapshot, name: String, _ path: [String]) -> Lookup {
        guard path.count >= 2 else { return .unknownField(index: 1, known: Interpreter.connectionFields) }
        let key = path[1...].joined(separator: ".")
        func n<T: BinaryInteger>(_ v: T) -> Lookup { .value(.integer(Int64(v))) }
        func q(_ v: SequenceNumber) -> Lookup { .value(.sequence(v)) }
        func us(_ d: Duration) -> Lookup { .value(.integer(d.nanosecondsClamped / 1000)) }
        switch key {
        case "state": return .value(.state(s.state))
        case "data", "eof", "history", "received": return .unavailable("\(name).\(key) is kept by the session, not the stack")
        case "snd.una": return q(s.snd.una)
        case "snd.nxt": return q(s.snd.nxt)
        case "snd.wnd": return n(s.snd.wnd)
        case "snd.wl1": return q(s.snd.wl1)
        case "snd.wl2": return q(s.snd.wl2)
        case "snd.iss", "iss": return q(s.snd.iss)
        case "snd.wscale": return n(s.snd.windowShift)
        case "rcv.nxt": return q(s.rcv.nxt)
        case "rcv.wnd": return n(s.rcv.wnd)
        case "rcv.irs", "irs": return q(s.rcv.irs)
        case "rcv.wscale": return n(s.rcv.windowShift)
        case "mss": return n(s.mss)
        case "cwnd": return n(s.cwnd)
        case "ssthresh": return n(s.ssthresh)
        case "srtt": return s.srtt.map(us) ?? .unavailable("\(name).srtt: no RTT sample yet")
        case "rttvar": return s.rttvar.map(us) ?? .unavailable("\(name).rttvar: no RTT sample yet")
        case "rto": return us(s.rto)
        case "sendq": return n(s.sendQueued)
        case "recvq": return n(s.receiveQueued)
        case "ooo": return n(s.outOfOrderQueued)
        case "retransmissions": return n(s.retransmissions)
        case "lport": return n(s.tuple.localPort)
        case "rport": return n(s.tuple.remotePort)
        case "sack": return .value(.boolean(s.sackEnabled))
        case "ts": return .value(.boolean(s.timestampsEnabled))
        // Urgent data (RFC 6093): the pointers while a mark is pending, and unread urgent bytes.
        case "snd.up": return s.sendUrgentPointer.map(q) ?? .unavailable("\(name).snd.up: no urgent data outstanding")
        case "rcv.up": return s.receiveUrgentPointer.map(q) ?? .unavailable("\(name).rcv.up: no urgent mark received")
        case "urgent": return n(s.urgentUnread)
        case "ecn": return .value(.boolean(s.ecnEnabled))
        case "ece": return .value(.boolean(s.ecnEchoing))
        case "keepalive_probes": return n(s.keepaliveProbesSent)
        case "spurious_undos": return n(s.spuriousUndos)
        case "cc": return .value(.bytes(Array(s.congestionControl.rawValue.utf8)))
        default:
            let index = path.count > 2 && ["snd", "rcv"].contains(path[1]) ? 2 : 1
            return .unknownField(index: index, known: Interpreter.connectionFields)
        }
    }

    func segmentField(_ c: Captured, _ path: [String]) -> Lookup {
        guard path.count == 2 else { return .unknownField(index: min(path.count, 2) - 1 + (path.count > 2 ? 1 : 0), known: Interpreter.segmentFields) }
        guard let p = c.packet else { return .unavailable("\(path[0]) is a malformed packet") }
        let s = p.segment
        func n<T: BinaryInteger>(_ v: T) -> Lookup { .value(.integer(Int64(v))) }
        switch path[1] {
        case "seq": return .value(.sequence(s.sequenceNumber))
        case "ack": return .value(.sequence(s.acknowledgmentNumber))
        case "win": return n(s.window)
        case "urg": return n(s.urgentPointer)
        case "len": return n(s.payload.count)
        case "end": return .value(.sequence(s.sequenceNumber + s.sequenceLength))
        case "flags": return .value(.flags(s.flags))
        case "sport": return n(s.sourcePort)
        case "dport": return n(s.destinationPort)
        case "csum": return n(s.checksum)
        // IP header fields of either family (ttl and hlim, tos and tclass read the same byte; flow is IPv6's).
        case "ttl", "hlim", "tclass", "flow": return n(HeaderField.byName[path[1]]?.read(p) ?? 0)
        case "mss": return s.options.mss.map(n) ?? .unavailable("\(path[0]) has no mss option")
        case "wscale": return s.options.windowScale.map(n) ?? .unavailable("\(path[0]) has no wscale option")
        case "tsval": return s.options.timestamps.map { n($0.value) } ?? .unavailable("\(path[0]) has no timestamps option")
        case "tsecr": return s.options.timestamps.map { n($0.echoReply) } ?? .unavailable("\(path[0]) has no timestamps option")
        case "payload": return .value(.bytes(s.payload))
        case "time": return n((c.observed.time - start).nanosecondsClamped / 1000)
        default: return .unknownField(index: 1, known: Interpreter.segmentFields)
        }
    }
}
