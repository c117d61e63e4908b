// Read first: RFC 9293 §3.8.1 (retransmission timeout), §3.8.6.1 (zero-window probing), §3.8.6.3
// (delayed acknowledgment), §3.6.1 / §3.4.2 (TIME-WAIT, 2*MSL), RFC 1122 §4.2.3.6 (keep-alive).

/// The timers a connection runs. Dense raw values index `TimerTable`.
enum TimerKind: Int, CaseIterable {
    /// RFC 6298: retransmission of SYN, SYN-ACK, data and FIN.
    case retransmit = 0
    /// RFC 9293 §3.8.6.1: zero-window probes.
    case persist
    /// RFC 9293 §3.8.6.3: a withheld acknowledgment is due.
    case delayedAck
    /// 2*MSL in TIME-WAIT, and the FIN-WAIT-2 limit of a fully closed connection.
    case timeWait
    /// RFC 8985 §7: tail loss probe (PTO ≈ 2·SRTT).
    case lossProbe
    /// RFC 9293 §3.8.4, RFC 1122 §4.2.3.6: keep-alive probes on an idle connection.
    case keepalive
    /// RFC 8985 §6.3: RACK's reordering timer.
    case rackReorder
}

/// One optional deadline per `TimerKind`; the next wake-up is their minimum (quinn's `timer.rs`).
struct TimerTable {
    private var deadlines: (Instant?, Instant?, Instant?, Instant?, Instant?, Instant?, Instant?) = (nil, nil, nil, nil, nil, nil, nil)

    subscript(kind: TimerKind) -> Instant? {
        get {
            switch kind {
            case .retransmit: return deadlines.0
            case .persist: return deadlines.1
            case .delayedAck: return deadlines.2
            case .timeWait: return deadlines.3
            case .lossProbe: return deadlines.4
            case .keepalive: return deadlines.5
            case .rackReorder: return deadlines.6
            }
        }
        set {
            switch kind {
            case .retransmit: deadlines.0 = newValue
            case .persist: deadlines.1 = newValue
            case .delayedAck: deadlines.2 = newValue
            case .timeWait: deadlines.3 = newValue
            case .lossProbe: deadlines.4 = newValue
            case .keepalive: deadlines.5 = newValue
            case .rackReorder: deadlines.6 = newValue
            }
        }
    }

    mutating func set(_ kind: TimerKind, at deadline: Instant) { self[kind] = deadline }
    mutating func stop(_ kind: TimerKind) { self[kind] = nil }
    func isArmed(_ kind: TimerKind) -> Bool { self[kind] != nil }

    mutating func stopAll() { deadlines = (nil, nil, nil, nil, nil, nil, nil) }

    /// The earliest armed deadline.
    var next: Instant? {
        func earlier(_ a: Instant?, _ b: Instant?) -> Instant? {
            guard let a else { return b }
            guard let b else { return a }
            return a < b ? a : b
        }
        return earlier(earlier(earlier(deadlines.0, deadlines.1), earlier(deadlines.2, deadlines.3)),
                       earlier(earlier(deadlines.4, deadlines.5), deadlines.6))
    }

    /// The earliest timer due at `now`, if any.
    func expired(at now: Instant) -> TimerKind? {
        var best: (TimerKind, Instant)? = nil
        for kind in TimerKind.allCases {
            if let d = self[kind], d <= now, best == nil || d < best!.1 { best = (kind, d) }
        }
        return best?.0
    }
}
