// Read first: RFC 6298 §5 (managing the retransmission timer: (5.4)–(5.7)), RFC 9293 §3.8.1, §3.8.3
// (R1/R2 thresholds: synRetries, dataRetries), §3.8.6.1 (persist), §3.8.6.3 (delayed ACK),
// §3.6.1 and §3.4.2 (TIME-WAIT lasts 2*MSL), RFC 5681 §3.1 (cwnd after a timeout), RFC 6582 §3.2
// (recover after a timeout), RFC 2018 §8 (SACK state after a timeout).
import ToyTCPWire

extension Connection {
    /// When `handleTimeout` must next run.
    var nextDeadline: Instant? { timers.next }

    /// Runs every timer due at `now`; early or repeated calls do nothing.
    func handleTimeout(at now: Instant) {
        while state != .closed, let kind = timers.expired(at: now) {
            timers.stop(kind)
            switch kind {
            case .retransmit: retransmitTimerExpired(at: now)
            case .persist:
                persistBackoff += 1
                probePending = true
            case .delayedAck:
                if !ackNow { ackReason = .delayedAck }
                ackNow = true
            case .timeWait: finish()
            case .lossProbe: lossProbeTimerExpired(at: now)
            case .keepalive: keepaliveTimerExpired(at: now)
            case .rackReorder: rackDetectLoss(at: now)
            }
        }
    }

    /// RFC 6298 (5.4)–(5.6): retransmit the earliest unacknowledged segment, back off, restart the timer;
    /// give up after the retry limit (RFC 9293 §3.8.3 R2).
    private func retransmitTimerExpired(at now: Instant) {
        let handshaking = state == .synSent || state == .synReceived || synUnacknowledged
        // A passive open's SYN-ACK has its own limit (Linux tcp_synack_retries = 5, tcp_syn_retries = 6).
        let limit = handshaking ? (listener != nil ? configuration.synAckRetries : configuration.synRetries)
                                : configuration.dataRetries
        guard snd.una != snd.max || handshaking else { return }
        // A peer that shrank its window to zero while data was in flight turns our retransmissions into
        // window probes; like Linux, they do not count toward the limit while the peer keeps answering
        // (RFC 9293 §3.8.6.1: a zero window must not time the connection out, MUST-36).
        let peerAlive = !handshaking && snd.wnd == 0 && now - lastReceiveTime < configuration.maximumRTO
        if !peerAlive { retries += 1 }
        if retries > limit {
            fail(.timedOut)
            return
        }
        rtt.backOff()
        rttTimedSeq = nil
        if handshaking {
            synPending = true
        } else {
            // RFC 5681 §3.1 equation (4); RFC 6582: recover = highest sent, so no fast recovery for
            // duplicates of this window; RFC 2018 §8: forget SACK information (the receiver may renege).
            context.statistics.retransmissionTimeouts += 1
            resetLossDetection()
            beginUndoEpisode()
            congestion.onRetransmitTimeout(flightSize: snd.max - snd.una, mss: effectiveMSS)
            recover = snd.max
            inRecovery = false
            retransmitAt = nil
            duplicateAcks = 0
            scoreboard.removeAll()
            snd.nxt = snd.una
            // RFC 6298 (5.4): retransmit the earliest unacknowledged segment, even into a zero window.
            retransmitAt = snd.una
            retransmitReason = .retransmissionAfterRTO
        }
        timers.set(.retransmit, at: now + rtt.rto)
    }

    /// FIN-WAIT-1/CLOSING → TIME-WAIT: hold the tuple for 2*MSL (RFC 9293 §3.6.1).
    func enterTimeWait(at now: Instant) {
        timers.stopAll()
        transition(to: .timeWait)
        timers.set(.timeWait, at: now + configuration.msl.times(2))
    }

    /// A retransmitted FIN in TIME-WAIT: ACK it and restart the 2*MSL timeout (RFC 9293 §3.10.7.4).
    func restartTimeWait(at now: Instant) {
        ackNow = true
        timers.set(.timeWait, at: now + configuration.msl.times(2))
    }

    /// Deviation (RFC 9293 has no FIN-WAIT-2 timer): after a full CLOSE the application cannot read,
    /// so a peer that never sends its FIN would pin the TCB forever. Like Linux's tcp_fin_timeout, give
    /// up after 2*MSL.
    func armFinWait2Limit(at now: Instant) {
        if state == .finWait2 { timers.set(.timeWait, at: now + configuration.msl.times(2)) }
    }
}
