// Read first: RFC 8985 §6 (RACK: §6.1 the per-segment transmit time, §6.2 steps 1–5: update RACK.xmit_ts,
// RACK.end_seq and RACK.rtt from the most recently sent delivered segment, RACK.min_RTT, the reordering
// window RACK.reo_wnd, RACK_detect_loss, §6.3 the reordering timer).
import ToyTCPWire

/// RACK's state (RFC 8985 §6): when each original transmission went out, and the most recently sent
/// segment known delivered.
///
/// Simplification: transmit times are kept for original transmissions only, which go out in sequence
/// order, so "sent before RACK.xmit_ts" is "below the delivered segment" and lost segments form a prefix:
/// the loss is recorded as a boundary (`markLost(below:)`) that RFC 6675's retransmission logic uses.
/// A retransmission's own loss is found by `RetransmissionLog` (the same time order, by SND.MAX).
struct RACKState {
    /// (end, transmit time) of original transmissions above SND.UNA, in sequence (and time) order.
    var sends: [(end: SequenceNumber, time: Instant)] = []
    var head = 0
    /// RACK.xmit_ts and RACK.end_seq of the most recently sent delivered segment; RACK.rtt; RACK.min_RTT.
    var xmitTime: Instant?
    var endSeq: SequenceNumber = 0
    var rtt: Duration = .zero
    var minRTT: Duration?
    /// RACK.reordering_seen (a D-SACK arrived) and RACK.reo_wnd_mult.
    var reorderingSeen = false
    var reoWndMultiplier = 1

    mutating func recordSend(end: SequenceNumber, at now: Instant) {
        if head > 64 && head * 2 > sends.count {
            sends.removeFirst(head)
            head = 0
        }
        sends.append((end, now))
    }

    mutating func forget(upTo una: SequenceNumber) {
        // The segment ending exactly at SND.UNA stays: it is the delivered one while duplicates arrive.
        while head < sends.count && sends[head].end < una { head += 1 }
    }

    /// The transmit time of the original segment holding byte `seq - 1` (the segment ending at or after it).
    func sendTime(covering seq: SequenceNumber) -> (end: SequenceNumber, time: Instant)? {
        var lo = head, hi = sends.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sends[mid].end < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < sends.count ? sends[lo] : nil
    }
}

extension Connection {
    var rackEnabled: Bool { configuration.rack && sackEnabled }

    /// A new (original) segment ending at `end` went out at `now` (RFC 8985 §6.1).
    func rackRecordSend(end: SequenceNumber, at now: Instant) {
        guard rackEnabled else { return }
        rack.recordSend(end: end, at: now)
    }

    /// RFC 8985 §6.2 on every ACK: update RACK from the most recently sent delivered segment, then
    /// detect losses; arm the reordering timer for segments not yet past their window.
    func rackOnAck(_ seg: IncomingSegment, at now: Instant) {
        guard rackEnabled else { return }
        if dsackBlock(of: seg) != nil {
            // §6.2 step 4: reordering (or a spurious retransmission) seen: widen the window.
            rack.reorderingSeen = true
            rack.reoWndMultiplier = min(rack.reoWndMultiplier + 1, 4)
        }
        // Steps 1–2: the highest delivered byte; originals go out in order, so the segment holding it is
        // the most recently sent delivered one.
        let delivered = SequenceNumber.max(snd.una, scoreboard.highestSACKed ?? snd.una)
        if let s = rack.sendTime(covering: delivered), rack.xmitTime.map({ $0 <= s.time }) ?? true {
            let sample = now - s.time
            rack.xmitTime = s.time
            rack.endSeq = s.end
            rack.rtt = sample
            if rack.minRTT.map({ sample < $0 }) ?? true { rack.minRTT = sample }
        }
        rack.forget(upTo: snd.una)
        rackDetectLoss(at: now)
    }

    /// RFC 8985 §6.2 step 4: RACK.reo_wnd.
    private var rackReorderingWindow: Duration {
        guard let minRTT = rack.minRTT else { return .zero }
        if !rack.reorderingSeen && (inRecovery || scoreboard.sackedBytes >= 3 * effectiveMSS) { return .zero }
        let w = minRTT.over(4).times(Int128(rack.reoWndMultiplier))
        return min(w, rtt.srtt ?? w)
    }

    /// RFC 8985 §6.2 step 5 (and §6.3 when the reordering timer fires): segments sent before RACK.xmit_ts
    /// and older than RACK.rtt + RACK.reo_wnd are lost; the rest wait on the reordering timer.
    func rackDetectLoss(at now: Instant) {
        timers.stop(.rackReorder)
        guard rackEnabled, let xmit = rack.xmitTime else { return }
        let window = rackReorderingWindow
        var lostBelow: SequenceNumber?
        var timeout: Duration = .zero
        var i = rack.head
        while i < rack.sends.count, rack.sends[i].time < xmit || (rack.sends[i].time == xmit && rack.sends[i].end < rack.endSeq) {
            let e = rack.sends[i]
            i += 1
            guard snd.una < e.end else { continue }
            let remaining = (e.time + rack.rtt + window) - now
            if remaining <= .zero {
                lostBelow = e.end
            } else if remaining > timeout {
                timeout = remaining
            }
        }
        if let b = lostBelow, scoreboard.unsackedBytes(from: snd.una, to: b) > 0 {
            markLost(below: b)
            context.statistics.rackLosses += 1
            if !inRecovery && (recover < snd.una || snd.una == recover) { enterRecovery(at: now) }
        }
        if timeout > .zero { timers.set(.rackReorder, at: now + timeout) }
    }
}
