// Read first: RFC 8985 §7 (Tail Loss Probe: §7.2 scheduling the PTO, §7.3 sending the probe, §7.4
// detecting losses by the probe's ACK), §6.2 (time order: a segment sent before one that was delivered,
// and older than an RTT, is lost), RFC 6675 §5 (the recovery the detected loss starts).
//
// Against RFC 8985 (re-checked for issue 14): TLP follows §7.2–§7.4 (PTO = 2·SRTT, + 200 ms worst-case
// delayed ACK for a one-segment flight, never past the RTO; new data if the window allows, else the last
// segment; one probe per flight; the RTO re-armed after it), except the deviation below (a probe in
// recovery). RACK (§6) is in `Connection+RACK.swift` (`StackConfiguration.rack`, on by default), with
// one simplification written there: transmit times are kept for original transmissions only; the loss
// of a retransmission is found by `RetransmissionLog` (same time order, by SND.MAX). RFC 6675's
// DupThresh count stays as a second detector (RFC 8985 §3.4 lets both run).
import ToyTCPWire

extension Connection {
    /// RFC 8985 §7.2: after sending new data or on an ACK of new data, (re)arm the probe timeout
    /// PTO = 2·SRTT (+ the worst-case delayed ACK when only one segment is out), unless the RTO fires
    /// first. Only with SACK (the probe's ACK must show what it repaired), once per flight.
    ///
    /// Deviation: RFC 8985 §7.2 arms the PTO only outside recovery. Measured in the lab (2% loss, a Linux
    /// receiver with GRO that answers a burst with one ACK), a recovery whose last transmission's only
    /// ACK was lost waited the full RTO and then collapsed cwnd to one segment. In recovery the probe
    /// retransmits the first hole instead (what the RTO would send, without the cwnd collapse).
    func armLossProbe(at now: Instant) {
        timers.stop(.lossProbe)
        guard sackEnabled, lossProbeEnd == nil, snd.una != snd.max, snd.nxt == snd.max,
              !synUnacknowledged, let srtt = rtt.srtt else { return }
        var pto = srtt.times(2)
        if snd.max - snd.una <= effectiveMSS { pto += .milliseconds(200) }
        pto = max(pto, .milliseconds(10))
        let deadline = now + pto
        if let rto = timers[.retransmit], rto <= deadline { return }
        timers.set(.lossProbe, at: deadline)
    }

    /// RFC 8985 §7.3: the PTO fired. Send one new segment if the peer's window allows (whatever cwnd
    /// says), else retransmit the highest-sequence segment; then the RTO restarts.
    func lossProbeTimerExpired(at now: Instant) {
        guard sackEnabled, lossProbeEnd == nil, snd.una != snd.max, snd.nxt == snd.max else { return }
        lossProbePending = true
    }

    /// The probe segment, when one is due.
    func lossProbeSegment(at now: Instant) -> OutgoingSegment? {
        guard lossProbePending else { return nil }
        lossProbePending = false
        guard snd.una != snd.max, snd.nxt == snd.max else { return nil }
        let mss = effectiveMSS
        let windowEnd = snd.una + Int(snd.wnd)
        var s: OutgoingSegment
        if inRecovery {
            // The first hole: its retransmission (or the ACK of it) was lost.
            guard let hole = scoreboard.firstHole(from: snd.una, below: snd.max), sendBufferStart <= hole.start
            else { return nil }
            s = dataSegment(from: hole.start, maxLength: min(mss, hole.length), at: now)
            if s.payloadLength > 0 {
                retransmissionLog.record(start: hole.start, end: hole.start + s.payloadLength, sentBefore: snd.max)
                if highRxt < hole.start + s.payloadLength { highRxt = hole.start + s.payloadLength }
            }
        } else if snd.max < dataEnd && snd.max < windowEnd {
            // New data: it probes and makes progress at once.
            s = dataSegment(from: snd.max, maxLength: min(mss, dataEnd - snd.max, windowEnd - snd.max), at: now)
        } else {
            // The last segment sent (its FIN included when the FIN is out).
            let sentDataEnd = finSequence.map { snd.max == $0 + 1 ? $0 : snd.max } ?? snd.max
            let start = SequenceNumber.max(snd.una, sentDataEnd - mss)
            let from = SequenceNumber.max(start, sendBufferStart)
            s = dataSegment(from: from, maxLength: sentDataEnd - from, at: now)
        }
        guard s.payloadLength > 0 || s.flags.contains(.fin) else { return nil }
        s.reason = .tailLossProbe
        lossProbeStart = s.seq
        context.statistics.lossProbes += 1
        advanceAfterSending(&s, at: now)
        lossProbeEnd = snd.max
        // RFC 8985 §7.3: rearm the RTO after the probe.
        timers.set(.retransmit, at: now + rtt.rto)
        return s
    }

    /// RFC 8985 §7.4 and §6.2, after each ACK: the probe's ACK ends the episode once SND.UNA passes it;
    /// an ACK that SACKs the probe while bytes below it are still missing proves them lost (they were
    /// sent at least a PTO before the probe, which arrived), so SACK recovery starts at once.
    func detectLossByProbe(at now: Instant) {
        guard let end = lossProbeEnd else { return }
        if end <= snd.una {
            lossProbeEnd = nil
            return
        }
        guard !inRecovery, let highest = scoreboard.highestSACKed, lossProbeStart < highest,
              scoreboard.unsackedBytes(from: snd.una, to: lossProbeStart) > 0 else { return }
        markLost(below: lossProbeStart)
        lossProbeEnd = nil
        guard recover < snd.una || snd.una == recover else { return }
        enterRecovery(at: now)
    }

    /// A SACK shows retransmissions lost (`RetransmissionLog`): retransmit them again (RFC 6675 NextSeg
    /// scans from HighRxt, so HighRxt goes back to the lowest lost one).
    func detectLostRetransmissions() {
        guard inRecovery, sackEnabled,
              let lowest = retransmissionLog.detectLost(una: snd.una, scoreboard: scoreboard) else { return }
        context.statistics.lostRetransmissions += 1
        if lowest < highRxt { highRxt = SequenceNumber.max(lowest, snd.una) }
        if let h = scoreboard.highestSACKed { markLost(below: SequenceNumber.min(h, recover)) }
    }

    func markLost(below seq: SequenceNumber) {
        if let m = markedLostBelow, seq <= m { return }
        markedLostBelow = seq
    }

    /// RFC 6675 IsLost, widened by time-order evidence: unSACKed bytes at or below this are lost.
    func lossBoundary() -> SequenceNumber? {
        let byCount = scoreboard.lostBoundary(mss: effectiveMSS)
        guard let m = markedLostBelow, snd.una < m else { return byCount }
        let byOrder = m - 1
        guard let byCount else { return byOrder }
        return SequenceNumber.max(byCount, byOrder)
    }

    /// Forget loss-probe and time-order state (recovery ended, or the RTO took over).
    func resetLossDetection() {
        lossProbePending = false
        lossProbeEnd = nil
        markedLostBelow = nil
        retransmissionLog.removeAll()
        timers.stop(.lossProbe)
    }
}
