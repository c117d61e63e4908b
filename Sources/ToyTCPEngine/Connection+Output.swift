// Read first: RFC 9293 §3.8.6.2.1 (sender SWS avoidance / Nagle, RFC 1122 §4.2.3.4), §3.8.6.2.2
// (receiver SWS avoidance), §3.8.6.1 (zero-window probes), §3.7.1 (MSS, RFC 6691 options reduce the
// payload), RFC 7323 §2.3 and §3 (window field scaling, TSval/TSecr), RFC 2018 §4 (SACK blocks in ACKs),
// RFC 5681 §3 (cwnd limits), RFC 6675 §5 (NextSeg, pipe), RFC 6582 §3.2 (retransmit on partial ACK).
import ToyTCPWire

extension Connection {
    /// The next segment this connection wants on the wire, or `nil` (then the caller moves on).
    /// Drained after every input: each call consumes one obligation.
    func nextSegment(at now: Instant) -> OutgoingSegment? {
        switch state {
        case .closed, .listen:
            return nil
        case .synSent:
            return synPending ? makeSYN(at: now) : nil
        case .synReceived:
            if synPending { return makeSYN(at: now) }
            return ackNow ? makeAck(at: now) : nil
        default:
            if synPending && synUnacknowledged { return makeSYN(at: now) }
        }
        if state != .timeWait {
            if let s = retransmissionSegment(at: now) { return s }
            if lossProbePending, let s = lossProbeSegment(at: now) { return s }
            if let s = newDataSegment(at: now) { return s }
            if probePending, let s = probeSegment(at: now) { return s }
            if keepaliveProbePending { return keepaliveProbeSegment(at: now) }
        }
        if ackNow { return makeAck(at: now) }
        armPersistIfStalled(at: now)
        return nil
    }

    // MARK: Building segments

    /// The timestamp clock (RFC 7323 §5.4): milliseconds, offset per connection.
    func timestampClock(_ now: Instant) -> UInt32 { Connection.timestampClock(now, offset: tsOffset) }

    static func timestampClock(_ now: Instant, offset: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ offset
    }

    /// The per-connection offset of the timestamp clock, derived from the ISS so that a SYN cookie's
    /// connection (ISS = cookie) finds the clock its SYN-ACK used.
    static func timestampOffset(iss: SequenceNumber) -> UInt32 { iss.rawValue &* 2654435761 }

    /// A segment carrying the current ACK, window, timestamps and SACK blocks.
    func baseSegment(seq: SequenceNumber, flags: TCPFlags, at now: Instant) -> OutgoingSegment {
        let window = advertiseWindow()
        var s = OutgoingSegment(seq: seq, ack: rcv.nxt, flags: flags.union(.ack), window: window)
        if ecnEnabled && ecnEchoPending { s.flags.insert(.ece) }
        if timestampsEnabled { s.timestamp = (timestampClock(now), tsRecent) }
        if sackEnabled && (!reassembly.isEmpty || pendingDSACK != nil) {
            s.sackBlocks = outgoingSACKBlocks(limit: timestampsEnabled ? 3 : 4)
        }
        // Any segment with ACK satisfies a pending (or delayed) acknowledgment.
        ackNow = false
        ackReason = .immediateAck
        unackedSegments = 0
        timers.stop(.delayedAck)
        lastAckSent = rcv.nxt
        return s
    }

    /// The window field to send, with receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the right edge moves
    /// only by at least min(buffer/2, MSS), and never to the left of what was offered.
    func advertiseWindow() -> UInt16 {
        let shift = Int(rcv.windowShift)
        let free = Int(receiveWindow)
        // What remains of the window we last offered.
        let offered = max(0, rcv.advertisedEdge - rcv.nxt)
        let threshold = min(configuration.receiveBufferSize / 2, Int(configuration.mss))
        var field: Int
        let cappedByField = free >= Int(UInt16.max) << shift
        if !cappedByField && (free < offered || free - offered < threshold) {
            // Keep the old right edge: never shrink it (RFC 9293 §3.8.6.2.2, MUST-35 spirit) and never
            // advance it by a silly amount. Round up so scaling does not pull the edge back.
            field = (offered + (1 << shift) - 1) >> shift
        } else {
            field = free >> shift
        }
        field = min(field, Int(UInt16.max))
        let announced = field << shift
        rcv.wnd = UInt32(announced)
        rcv.advertisedEdge = rcv.nxt + announced
        return UInt16(field)
    }

    /// SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) with our options (RFC 9293 §3.7.1, RFC 7323, RFC 2018).
    private func makeSYN(at now: Instant) -> OutgoingSegment {
        synPending = false
        // A SYN-ACK once the peer's SYN is in (SYN-RECEIVED, or FIN-WAIT-1 after CLOSE there).
        let passive = state != .synSent
        var s = OutgoingSegment(seq: snd.iss, ack: passive ? rcv.nxt : 0,
                                flags: (passive ? TCPFlags([.syn, .ack]) : TCPFlags.syn).union(ecnSetupFlags(passive: passive)),
                                window: UInt16(min(receiveWindow, UInt32(UInt16.max))))
        s.mss = configuration.mss
        let offerScale = passive ? windowScalingEnabled : configuration.windowScaling
        if offerScale { s.windowScale = rcv.windowShift }
        s.sackPermitted = passive ? sackEnabled : configuration.sack
        let offerTS = passive ? timestampsEnabled : configuration.timestamps
        if offerTS { s.timestamp = (timestampClock(now), passive ? tsRecent : 0) }
        if passive {
            ackNow = false
            lastAckSent = rcv.nxt
        }
        // The SYN's window is never scaled (RFC 7323 §2.2).
        rcv.wnd = UInt32(s.window)
        rcv.advertisedEdge = rcv.nxt + Int(s.window)
        let retry = snd.max != snd.iss
        s.reason = passive ? (retry ? .synAckRetry : .synAck) : (retry ? .synRetry : .syn)
        if retry {
            noteRetransmission()
            if passive {
                context.statistics.synAckRetransmissions += 1
                origin?.synAckRetransmissions += 1
            }
        } else if !timestampsEnabled {
            rttTimedSeq = snd.iss + 1
            rttTimedAt = now
        }
        snd.nxt = snd.iss + 1
        if snd.max < snd.nxt { snd.max = snd.nxt }
        if !timers.isArmed(.retransmit) { timers.set(.retransmit, at: now + rtt.rto) }
        lastSendTime = now
        return s
    }

    /// A pure acknowledgment (also window updates and challenge ACKs).
    ///
    /// Stamped with SND.MAX, not SND.NXT: after a timeout rewinds SND.NXT the peer has already received
    /// past it, and an ACK at the rewound number would be unacceptable there (RFC 9293 §3.10.7.4 case 2),
    /// dropped before its ACK field is read, and answered — an ACK war (found by the simulated network).
    /// Like Linux's tcp_acceptable_seq, never beyond the peer's window.
    private func makeAck(at now: Instant) -> OutgoingSegment {
        let windowEnd = snd.una + Int(snd.wnd)
        let seq = snd.max <= windowEnd ? snd.max : windowEnd
        let reason = ackReason
        var s = baseSegment(seq: seq, flags: .ack, at: now)
        s.reason = reason
        return s
    }

    /// A zero-window probe (RFC 9293 §3.8.6.1). Like Linux, a segment at SND.UNA − 1 with no data: the
    /// peer finds it unacceptable and answers with an ACK carrying its current window.
    private func probeSegment(at now: Instant) -> OutgoingSegment? {
        probePending = false
        let usable = Int(snd.wnd) - (snd.nxt - snd.una)
        if usable > 0 && snd.nxt < dataEnd {
            // The window is open but too small to pass SWS avoidance: the override timer fired, send what fits.
            var s = dataSegment(from: snd.nxt, maxLength: min(usable, effectiveMSS), at: now)
            s.reason = .zeroWindowProbe
            advanceAfterSending(&s, at: now)
            return s
        }
        armPersist(at: now)
        var s = baseSegment(seq: snd.una - 1, flags: .ack, at: now)
        s.reason = .zeroWindowProbe
        return s
    }

    /// Payload bytes per segment: the send MSS less the options every segment carries (RFC 6691).
    var effectiveMSS: Int { max(1, sendMSS - (timestampsEnabled ? 12 : 0)) }

    /// A data (and maybe FIN) segment starting at `seq`, at most `maxLength` payload bytes.
    func dataSegment(from seq: SequenceNumber, maxLength: Int, at now: Instant) -> OutgoingSegment {
        let offset = seq - sendBufferStart
        // Below the buffer is only the SYN, which `makeSYN` sends; never index before the buffer.
        let available = offset >= 0 ? max(0, sendBuffer.count - offset) : 0
        var s = baseSegment(seq: seq, flags: .ack, at: now)
        // RFC 6691: options this segment carries (SACK blocks when we also receive out of order) come
        // out of the MSS, so the datagram never outgrows what the peer announced.
        let length = max(0, min(maxLength, available, sendMSS - s.optionsLength))
        if let fin = finSequence, seq + length == fin { s.flags.insert(.fin) }
        // PSH on the segment that empties the buffer (RFC 9293 §3.9.1: the sender may push implicitly),
        // unless the last SEND said more follows (MSG_MORE: the application asked for no push).
        if length > 0 && seq + length == dataEnd && !lastSendMoreToCome { s.flags.insert(.psh) }
        if sendUrgent, seq < snd.up {
            // RFC 9293 §3.9.1, RFC 6093 §3: URG with the pointer one past the last urgent byte, as an
            // offset from this segment's sequence number (saturated at the field's maximum, as Linux).
            s.flags.insert(.urg)
            s.urgentPointer = UInt16(min(snd.up - seq, Int(UInt16.max)))
            context.statistics.urgentSegmentsSent += 1
        }
        s.payloadOffset = max(0, offset)
        s.payloadLength = length
        return s
    }

    /// Bookkeeping after a data/FIN segment is emitted: SND.NXT/SND.MAX, retransmission counts,
    /// RTT timing (Karn), the retransmission timer (RFC 6298 (5.1)).
    func advanceAfterSending(_ s: inout OutgoingSegment, at now: Instant) {
        let end = s.seq + s.payloadLength + (s.flags.contains(.fin) ? 1 : 0)
        notePRRSent(s.payloadLength)
        markECN(&s, isRetransmission: s.seq < snd.max)
        if s.seq < snd.max {
            noteRetransmission()
            noteRetransmittedBytes(at: s.seq, length: min(s.payloadLength, snd.max - s.seq))
        } else {
            rackRecordSend(end: end, at: now)
        }
        if s.seq >= snd.max && !timestampsEnabled && rttTimedSeq == nil {
            rttTimedSeq = end
            rttTimedAt = now
        }
        if snd.nxt == s.seq || snd.nxt < end { if snd.nxt < end { snd.nxt = end } }
        if snd.max < end { snd.max = end }
        if !timers.isArmed(.retransmit) { timers.set(.retransmit, at: now + rtt.rto) }
        timers.stop(.persist)
        lastSendTime = now
    }

    func noteRetransmission() {
        retransmissionCount += 1
        context.statistics.retransmissions += 1
        // Karn's algorithm (RFC 6298 §3): no RTT sample from a segment that was retransmitted.
        rttTimedSeq = nil
    }

    // MARK: Retransmission (RFC 5681 §3.2, RFC 6582, RFC 6675 NextSeg rule 1)

    private func retransmissionSegment(at now: Instant) -> OutgoingSegment? {
        if let r = retransmitAt {
            retransmitAt = nil
            guard snd.una <= r, r < snd.max, sendBufferStart <= r else { return nil }
            var s = dataSegment(from: r, maxLength: min(effectiveMSS, snd.max - r), at: now)
            s.reason = retransmitReason
            retransmitReason = .fastRetransmit
            guard s.payloadLength > 0 || s.flags.contains(.fin) else { return nil }
            if inRecovery && highRxt < r + s.payloadLength { highRxt = r + s.payloadLength }
            if inRecovery && sackEnabled { retransmissionLog.record(start: r, end: r + s.payloadLength, sentBefore: snd.max) }
            advanceAfterSending(&s, at: now)
            if inRecovery { armLossProbe(at: now) }
            return s
        }
        guard sackEnabled, inRecovery, let lost = lossBoundary() else { return nil }
        guard pipe() < sendingWindow else { return nil }
        let from = SequenceNumber.max(highRxt, snd.una)
        guard let hole = scoreboard.firstHole(from: from, below: SequenceNumber.min(lost + 1, snd.max)) else { return nil }
        var s = dataSegment(from: hole.start, maxLength: min(effectiveMSS, hole.length), at: now)
        s.reason = .fastRetransmit
        guard s.payloadLength > 0 || s.flags.contains(.fin) else { return nil }
        highRxt = hole.start + s.payloadLength
        retransmissionLog.record(start: hole.start, end: highRxt, sentBefore: snd.max)
        advanceAfterSending(&s, at: now)
        armLossProbe(at: now)
        return s
    }

    /// RFC 6675 §4 SetPipe: bytes believed in the network.
    func pipe() -> Int {
        var p = (snd.max - snd.una) - scoreboard.sackedBytes
        if let lost = lossBoundary() {
            let from = SequenceNumber.max(highRxt, snd.una)
            p -= scoreboard.unsackedBytes(from: from, to: SequenceNumber.min(lost + 1, snd.max))
        }
        return max(p, 0)
    }

    /// Bytes counted against cwnd.
    private var flightForCongestion: Int {
        (sackEnabled && inRecovery) ? pipe() : (snd.nxt - snd.una)
    }

    // MARK: New data (RFC 9293 §3.8.6.2.1, RFC 5681 §3.1)

    private func newDataSegment(at now: Instant) -> OutgoingSegment? {
        // After a timeout rewound SND.NXT, skip what the peer already SACKed.
        if sackEnabled && snd.nxt < snd.max, let r = scoreboard.range(containing: snd.nxt) {
            snd.nxt = SequenceNumber.min(r.right, snd.max)
        }
        let available = dataEnd - snd.nxt
        let finDue: Bool = {
            guard let fin = finSequence else { return false }
            return snd.nxt <= fin
        }()
        guard available > 0 || finDue else { return nil }
        if available < 0 { return nil }
        // Idle restart (RFC 5681 §4.1).
        if snd.una == snd.max && now - lastSendTime > rtt.rto && lastSendTime != .zero {
            congestion.onIdleRestart(mss: effectiveMSS)
        }
        let windowRoom = (snd.una + Int(snd.wnd)) - snd.nxt
        // RFC 3042 limited transmit: the first two duplicate ACKs each let one new segment go beyond
        // cwnd, so a small flight still produces the third duplicate ACK fast retransmit needs.
        let limitedTransmit = (!inRecovery && duplicateAcks > 0 && duplicateAcks < 3) ? duplicateAcks * effectiveMSS : 0
        let cwndRoom = sendingWindow + limitedTransmit - flightForCongestion
        let usable = max(0, min(windowRoom, cwndRoom))
        let mss = effectiveMSS
        let length = min(mss, available, usable)
        let isRetransmission = snd.nxt < snd.max
        if length == 0 {
            // Only a FIN may go without window space (it does not need receive-buffer space).
            guard finDue && available == 0 && (cwndRoom > 0 || isRetransmission) else { return nil }
        } else if length < mss {
            // Sender SWS avoidance and Nagle (RFC 9293 §3.8.6.2.1). A retransmission may be short where
            // the old data ends (SND.MAX), but never a window- or cwnd-limited sliver either.
            let natural = isRetransmission ? min(available, snd.max - snd.nxt) : available
            let allQueuedFits = length == natural
            let nothingUnacked = snd.nxt == snd.una
            let held = corked || moreToCome
            let pushed = pushMark.map { snd.nxt < $0 } ?? false
            let nagleAllows = isRetransmission || finQueued || pushed || (!held && (!nagle || nothingUnacked))
            let halfMaxWindow = maxSndWnd > 0 && length >= Int(maxSndWnd / 2) && !held
            guard (allQueuedFits && nagleAllows) || halfMaxWindow else { return nil }
        }
        var s = dataSegment(from: snd.nxt, maxLength: length, at: now)
        s.reason = isRetransmission ? .retransmissionAfterRTO : (length == 0 ? .fin : .newData)
        advanceAfterSending(&s, at: now)
        if !isRetransmission { armLossProbe(at: now) }
        return s
    }

    // MARK: Persist (RFC 9293 §3.8.6.1)

    /// Data waits, nothing is in flight, and the window (or SWS avoidance) stops us: without the persist
    /// timer the connection would deadlock if the window update were lost.
    private func armPersistIfStalled(at now: Instant) {
        guard state == .established || state == .closeWait || state == .finWait1 || state == .closing
                || state == .lastAck else { return }
        guard snd.nxt < dataEnd, snd.una == snd.max, !timers.isArmed(.retransmit), !timers.isArmed(.persist)
        else { return }
        armPersist(at: now)
    }

    private func armPersist(at now: Instant) {
        var interval = rtt.rto
        var i = 0
        while i < persistBackoff && interval < configuration.maximumPersistInterval { interval = interval.times(2); i += 1 }
        interval = min(interval, configuration.maximumPersistInterval)
        timers.set(.persist, at: now + interval)
    }

    // MARK: Window updates

    /// After the application read: if the window can open by at least min(2 MSS, buffer/2) beyond the
    /// edge we offered, announce it (RFC 9293 §3.8.6.2.2; BSD's tcp_output rule).
    func considerWindowUpdate() {
        guard state == .established || state == .finWait1 || state == .finWait2 else { return }
        let currentEdge = rcv.nxt + Int(receiveWindow)
        let threshold = min(configuration.receiveBufferSize / 2, 2 * Int(configuration.mss))
        if currentEdge - rcv.advertisedEdge >= threshold {
            if !ackNow { ackReason = .windowUpdate }
            ackNow = true
        }
    }
}
