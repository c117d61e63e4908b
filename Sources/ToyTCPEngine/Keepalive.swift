// Read first: RFC 9293 §3.8.4 (TCP keep-alives), RFC 1122 §4.2.3.6 (off by default, interval at least
// two hours by default, configurable; a probe is SEG.SEQ = SND.NXT−1 with no data; no reply to one
// probe is not a failure), and Linux's tcp_keepalive_time/intvl/probes (7200 s, 75 s, 9).
import ToyTCPWire

/// Keep-alive settings of a connection: after `idle` without receiving anything, a probe every
/// `interval`; after `count` unanswered probes the connection fails with `.timedOut`.
public struct KeepaliveSettings: Hashable, Sendable {
    public var idle: Duration
    public var interval: Duration
    public var count: Int

    /// Linux's defaults (RFC 1122 §4.2.3.6: the idle time MUST default to no less than two hours).
    public init(idle: Duration = .seconds(7200), interval: Duration = .seconds(75), count: Int = 9) {
        self.idle = idle; self.interval = interval; self.count = max(1, count)
    }
}

extension Connection {
    /// Keep-alives apply while the connection is open for data both ways or only ours (RFC 9293 §3.8.4).
    private var keepaliveApplies: Bool { state == .established || state == .closeWait }

    /// Arms (or disarms) the keep-alive timer after the settings or the state changed.
    func armKeepalive(at now: Instant) {
        guard let k = keepalive, keepaliveApplies else {
            timers.stop(.keepalive)
            return
        }
        if !timers.isArmed(.keepalive) { timers.set(.keepalive, at: max(now, lastReceiveTime) + k.idle) }
    }

    /// The keep-alive timer fired: probe if the connection has been idle long enough, or give up.
    func keepaliveTimerExpired(at now: Instant) {
        guard let k = keepalive, keepaliveApplies else { return }
        if keepaliveProbesSent > 0 && lastReceiveTime >= lastKeepaliveProbe {
            // The peer answered a probe (or sent anything): it is alive.
            keepaliveProbesSent = 0
        }
        if keepaliveProbesSent == 0 && now - lastReceiveTime < k.idle {
            timers.set(.keepalive, at: lastReceiveTime + k.idle)
            return
        }
        if snd.una != snd.max || snd.nxt < dataEnd {
            // Data outstanding or waiting: the retransmission (or persist) timer watches the peer.
            keepaliveProbesSent = 0
            timers.set(.keepalive, at: now + k.idle)
            return
        }
        if keepaliveProbesSent >= k.count {
            context.statistics.keepaliveTimeouts += 1
            fail(.timedOut)
            return
        }
        keepaliveProbesSent += 1
        lastKeepaliveProbe = now
        keepaliveProbePending = true
        timers.set(.keepalive, at: now + k.interval)
    }

    /// The probe (RFC 1122 §4.2.3.6): SEG.SEQ = SND.NXT − 1 and no data, so the peer, finding it
    /// old, answers with an ACK.
    func keepaliveProbeSegment(at now: Instant) -> OutgoingSegment {
        keepaliveProbePending = false
        context.statistics.keepaliveProbes += 1
        let s = baseSegment(seq: snd.nxt - 1, flags: .ack, at: now)
        lastSendTime = now
        return s
    }
}
