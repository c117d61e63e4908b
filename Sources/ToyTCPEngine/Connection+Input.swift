// Read first: RFC 9293 §3.10.7.3 (SYN-SENT), §3.10.7.4 (other states: the steps below, in the RFC's
// order), §3.4 (acceptability), §3.8.6 (windows), RFC 5961 §3–§5 (blind RST, SYN and data injection),
// RFC 7323 §4.3 and §5.3 (timestamps: TS.Recent, PAWS), RFC 5681 §3.2 and §4.2 (duplicate ACKs,
// immediate ACKs), RFC 6582 and RFC 6675 (recovery).
import ToyTCPWire

extension Connection {
    /// Segment arrival (RFC 9293 §3.10.7) for a connection that exists (not CLOSED, not LISTEN).
    func handle(_ seg: IncomingSegment, at now: Instant) {
        lastReceiveTime = now
        moreToCome = false
        switch state {
        case .closed, .listen:
            return
        case .synSent:
            handleInSynSent(seg, at: now)
        default:
            handleSynchronizedOrSynReceived(seg, at: now)
        }
    }

    // MARK: SYN-SENT (RFC 9293 §3.10.7.3)

    private func handleInSynSent(_ seg: IncomingSegment, at now: Instant) {
        // First, check the ACK bit.
        if seg.flags.contains(.ack) {
            // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)."
            if seg.ack <= snd.iss || seg.ack > snd.max {
                if !seg.flags.contains(.rst) {
                    context.queueReset(tuple, seq: seg.ack, ack: nil)
                    context.statistics.resetsSent += 1
                }
                return
            }
        }
        // Second, check the RST bit.
        if seg.flags.contains(.rst) {
            // RFC 5961 §3.2 allows requiring SEG.SEQ == RCV.NXT here too, but RCV.NXT is unknown:
            // an acceptable ACK is the proof (RFC 9293 §3.10.7.3).
            if seg.flags.contains(.ack) { fail(.connectionRefused) }
            return
        }
        // Third (security) does not apply. Fourth, the SYN bit.
        guard seg.flags.contains(.syn) else { return }
        rcv.irs = seg.seq
        rcv.nxt = seg.seq + 1
        // The window our SYN offered starts at the peer's ISN + 1 now that we know it.
        rcv.advertisedEdge = rcv.nxt + Int(rcv.wnd)
        negotiateOptions(seg)
        negotiateECN(seg, passive: !seg.flags.contains(.ack))
        if let ts = seg.timestamp { updateTSRecent(ts.value, at: now) }
        if seg.flags.contains(.ack) {
            acceptAcknowledgment(seg.ack, at: now, timestampEcho: seg.timestamp?.echoReply)
        }
        if snd.una > snd.iss {
            // Our SYN is acknowledged: ESTABLISHED, and ACK the peer's SYN (data on the SYN-ACK is queued below).
            updateSendWindow(from: seg, windowIsScaled: false)
            snd.wl1 = seg.seq
            snd.wl2 = seg.ack
            synPending = false
            timers.stop(.retransmit)
            transition(to: .established)
            if finQueued { transition(to: .finWait1) }
            ackNow = true
            if seg.payload.count > 0 || seg.flags.contains(.fin) {
                var rest = seg
                rest.seq = seg.seq + 1
                rest.flags.remove(.syn)
                processText(rest, at: now)
                processFIN(rest, at: now)
            }
        } else {
            // Simultaneous open (RFC 9293 §3.5 figure 7): SYN-RECEIVED, send SYN,ACK with our ISS.
            updateSendWindow(from: seg, windowIsScaled: false)
            snd.wl1 = seg.seq
            snd.wl2 = seg.ack
            transition(to: .synReceived)
            synPending = true
        }
    }

    // MARK: Other states (RFC 9293 §3.10.7.4)

    private func handleSynchronizedOrSynReceived(_ seg: IncomingSegment, at now: Instant) {
        var seg = seg
        if synUnacknowledged, listener == nil, seg.flags.contains([.syn, .ack]), seg.seq == rcv.irs,
           snd.una < seg.ack, seg.ack <= snd.max {
            // Simultaneous open (RFC 9293 §3.5 figure 7, line 6): the peer's SYN-ACK repeats the SYN we
            // already took; its ACK is what completes the handshake. Like Linux (RFC 5961 §4.2 exception),
            // take the ACK and drop the duplicate SYN.
            seg.flags.remove(.syn)
            seg.seq = seg.seq + 1
        }
        if synUnacknowledged, listener != nil, seg.flags.contains(.syn), !seg.flags.contains(.ack),
           !seg.flags.contains(.rst), seg.seq == rcv.irs {
            // The peer's SYN again (our SYN-ACK was lost): answer with the SYN-ACK, as Linux does.
            answerRepeatedSYN(at: now)
            return
        }
        // First: sequence number (and PAWS, RFC 7323 §5.3, before it).
        guard checkTimestamp(seg, at: now) else { return }
        guard checkSequence(&seg, at: now) else { return }
        // Second: RST.
        if seg.flags.contains(.rst) { processRST(seg, at: now); return }
        // Third: security/compartment: not applicable (no IP security options).
        // Fourth: SYN.
        if seg.flags.contains(.syn) { processSYN(seg, at: now); return }
        // Fifth: ACK (with RFC 3168's CE/CWR bookkeeping of an acceptable segment, and ECE).
        receiveECN(seg)
        guard seg.flags.contains(.ack) else { return }
        guard processACK(seg, at: now) else { return }
        processECE(seg, at: now)
        // Sixth: URG. RFC 6093 §3: the pointer is one past the last urgent byte (as every stack
        // implements it); the data stays inline (RFC 6093 §6 recommends it), and the mark is kept for
        // STATUS (`ConnectionSnapshot.urgentUnread`).
        if seg.flags.contains(.urg), seg.urgentPointer > 0 {
            let up = seg.seq + Int(seg.urgentPointer)
            if !receivedUrgent || rcv.up < up {
                rcv.up = up
                receivedUrgent = true
            }
            context.statistics.urgentSegmentsReceived += 1
        }
        // Seventh: segment text.
        processText(seg, at: now)
        // Eighth: FIN.
        processFIN(seg, at: now)
    }

    /// RFC 7323 §5.3 PAWS, R1: a segment (not a RST) whose SEG.TSval is older than TS.Recent is an old
    /// duplicate: drop it and send an ACK. R1 applies only while TS.Recent is valid: after 24 days
    /// without an update (§5.5, the peer's 1 ms clock may have wrapped half its space since), the test
    /// is skipped, the segment accepted, and TS.Recent taken from it (§4.3 rule).
    ///
    /// Deviation (RFC 7323 §3.2 says a non-RST segment without a timestamp SHOULD be dropped once
    /// timestamps are on): like Linux, such segments are accepted, so a middlebox stripping options
    /// mid-connection does not stall it.
    private func checkTimestamp(_ seg: IncomingSegment, at now: Instant) -> Bool {
        guard timestampsEnabled, let ts = seg.timestamp, !seg.flags.contains(.rst) else { return true }
        if tsRecentIsStale(at: now) {
            context.statistics.pawsStaleRecent += 1
            // RFC 7323 §5.5: invalid TS.Recent, so the next acceptable segment sets it (checkSequence).
            tsRecent = ts.value
            tsRecentTime = now
            return true
        }
        if Int32(bitPattern: ts.value &- tsRecent) < 0 {
            // Unacceptable: send an ACK (unless RST) and drop.
            context.statistics.pawsRejected += 1
            ackNow = true
            return false
        }
        return true
    }

    /// RFC 7323 §5.5: TS.Recent not updated for 24 days is no longer a valid reference.
    func tsRecentIsStale(at now: Instant) -> Bool {
        now.nanoseconds &- tsRecentTime.nanoseconds > Connection.pawsIdleLimitNanoseconds
    }

    /// RFC 7323 §5.5: 24 days (2^31 ms at the slowest clock RFC 7323 allows, 1 ms per tick, is 24.8 days),
    /// in nanoseconds (checked on every segment: plain integers, no `Duration` arithmetic).
    static let pawsIdleLimitNanoseconds: Int64 = 24 * 86_400 * 1_000_000_000

    func updateTSRecent(_ value: UInt32, at now: Instant) {
        tsRecent = value
        tsRecentTime = now
    }

    /// RFC 9293 §3.10.7.4 "First, check sequence number": the four cases of the acceptability test as one
    /// switch, then trimming to the window. Returns `false` if the segment is dropped (after queuing
    /// the ACK the RFC asks for).
    private func checkSequence(_ seg: inout IncomingSegment, at now: Instant) -> Bool {
        let segLen = seg.len
        let wnd = rcv.wnd
        let acceptable: Bool
        switch (segLen == 0, wnd == 0) {
        case (true, true):
            // Case 1: SEG.LEN = 0, RCV.WND = 0: SEG.SEQ = RCV.NXT.
            acceptable = seg.seq == rcv.nxt
        case (true, false):
            // Case 2: SEG.LEN = 0, RCV.WND > 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND.
            acceptable = seg.seq.isInWindow(start: rcv.nxt, length: wnd)
        case (false, true):
            // Case 3: SEG.LEN > 0, RCV.WND = 0: not acceptable.
            // Deviation (like Linux, selftest tcp_rcv_zero_wnd_fin): a bare FIN exactly at RCV.NXT is
            // taken even in a zero window, since it needs no buffer space; otherwise a full buffer
            // would delay the close until the application reads.
            acceptable = seg.payload.count == 0 && seg.flags.contains(.fin) && !seg.flags.contains(.syn)
                && seg.seq == rcv.nxt
        case (false, false):
            // Case 4: SEG.LEN > 0, RCV.WND > 0: the first or the last octet lies in the window.
            acceptable = seg.seq.isInWindow(start: rcv.nxt, length: wnd)
                || (seg.seq + (segLen - 1)).isInWindow(start: rcv.nxt, length: wnd)
        }
        if !acceptable {
            // RFC 9293 §3.10.7.4: "If a segment's contents straddle the boundary ... not acceptable ...
            // an acknowledgment should be sent in reply (unless the RST bit is set)". Valid ACKs and
            // RSTs in a zero window are still processed (RFC 9293 MUST-66 spirit): a pure ACK at
            // RCV.NXT already passes case 1, so only a zero-window data segment reaches here with a
            // useful ACK. Process its ACK field so a zero-window sender still learns of acknowledgments.
            if seg.flags.contains(.rst) { return false }
            if seg.payload.count > 0, seg.seq + seg.payload.count <= rcv.nxt {
                // Entirely old data: a duplicate (RFC 2883 §4).
                noteDuplicate(from: seg.seq, to: seg.seq + seg.payload.count)
            }
            if wnd == 0, seg.seq == rcv.nxt, seg.flags.contains(.ack), state.isSynchronized {
                _ = processACK(IncomingSegment(seq: seg.seq, ack: seg.ack, flags: .ack, window: seg.window,
                                               urgentPointer: 0, payload: UnsafeRawBufferPointer(start: nil, count: 0)),
                               at: now)
            }
            // An unacceptable zero-length segment is answered at most every 500 ms (Linux
            // tcp_invalid_ratelimit): two ends that disagree cannot feed an unbounded ACK war. Segments
            // with data or SYN/FIN are always answered.
            if segLen > 0 || lastInvalidAckTime.map({ now - $0 >= .milliseconds(500) || now < $0 }) ?? true {
                if segLen == 0 { lastInvalidAckTime = now }
                ackNow = true
            }
            // TIME-WAIT: a retransmitted FIN is caught above (it is acceptable only at RCV.NXT - 1...),
            // handled in processFIN's TIME-WAIT rule via the duplicate path here.
            if state == .timeWait && seg.flags.contains(.fin) { restartTimeWait(at: now) }
            return false
        }
        // RFC 7323 §4.3 (2): update TS.Recent if SEG.SEQ =< Last.ACK.sent (the segment covers it).
        if timestampsEnabled, let ts = seg.timestamp, seg.seq <= lastAckSent {
            updateTSRecent(ts.value, at: now)
        }
        trimToWindow(&seg)
        return true
    }

    /// Drops the parts of an acceptable segment outside the window: octets before RCV.NXT (already
    /// received) and after RCV.NXT+RCV.WND (RFC 9293 §3.10.7.4, "segments ... trimmed").
    private func trimToWindow(_ seg: inout IncomingSegment) {
        if seg.seq < rcv.nxt {
            var skip = rcv.nxt - seg.seq
            if seg.flags.contains(.syn) {
                seg.flags.remove(.syn)
                skip -= 1
                seg.seq = seg.seq + 1
            }
            let drop = min(skip, seg.payload.count)
            noteDuplicate(from: seg.seq, to: seg.seq + drop)
            seg.payload = UnsafeRawBufferPointer(rebasing: seg.payload[drop...])
            seg.seq = seg.seq + drop
            if skip > drop {
                // The FIN itself was before RCV.NXT: a duplicate FIN.
                seg.flags.remove(.fin)
                seg.seq = rcv.nxt
            }
        }
        let windowEnd = rcv.nxt + Int(rcv.wnd)
        let payloadEnd = seg.seq + seg.payload.count
        if windowEnd < payloadEnd {
            let keep = max(0, windowEnd - seg.seq)
            seg.payload = UnsafeRawBufferPointer(rebasing: seg.payload[..<keep])
            seg.flags.remove(.fin)
        }
    }

    /// RFC 9293 §3.10.7.4 "Second, check the RST bit", with RFC 5961 §3.2: only an exact match of
    /// RCV.NXT resets; another in-window RST draws a challenge ACK.
    private func processRST(_ seg: IncomingSegment, at now: Instant) {
        guard seg.seq == rcv.nxt else {
            sendChallengeACK(at: now)
            return
        }
        switch state {
        case .synReceived:
            // From a passive OPEN: back to LISTEN (the stack deletes this embryonic TCB); from an active
            // OPEN (simultaneous open): connection refused.
            if listener != nil { fail(.connectionReset) } else { fail(.connectionRefused) }
        case .established, .finWait1, .finWait2, .closeWait:
            // Outstanding RECEIVEs and SENDs get "reset"; the TCB is deleted.
            fail(.connectionReset)
        case .closing, .lastAck, .timeWait:
            // "If the RST bit is set then, enter the CLOSED state, delete the TCB, and return."
            // Deviation (RFC 1337): Linux ignores RST in TIME-WAIT (TIME-WAIT assassination hazards) only
            // with a sysctl; we follow the RFC 9293 text.
            finish()
        default:
            break
        }
    }

    /// RFC 9293 §3.10.7.4 "Fourth, check the SYN bit", with RFC 5961 §4.2: any SYN in a synchronized
    /// state (or SYN-RECEIVED) draws a challenge ACK, whatever its sequence number.
    private func processSYN(_ seg: IncomingSegment, at now: Instant) {
        if state == .synReceived, listener != nil, seg.seq == rcv.irs {
            // A retransmitted SYN of the same handshake: answer with the SYN-ACK again.
            answerRepeatedSYN(at: now)
            return
        }
        sendChallengeACK(at: now)
    }

    /// A challenge ACK (RFC 5961 §3.2, §4.2, §5.2), within the stack-wide rate limit (§7).
    func sendChallengeACK(at now: Instant) {
        if context.mayChallenge(at: now) {
            if !ackNow { ackReason = .challengeAck }
            ackNow = true
        }
    }

    /// RFC 9293 §3.10.7.4 "Fifth, check the ACK field". Returns `false` when the segment is dropped.
    private func processACK(_ seg: IncomingSegment, at now: Instant) -> Bool {
        if state == .synReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED ... otherwise form a reset."
            guard snd.una < seg.ack && seg.ack <= snd.max else {
                context.queueReset(tuple, seq: seg.ack, ack: nil)
                context.statistics.resetsSent += 1
                return false
            }
            synPending = false
            timers.stop(.retransmit)
            acceptAcknowledgment(seg.ack, at: now, timestampEcho: seg.timestamp?.echoReply)
            // "Set SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK" (RFC 9293 §3.10.7.4).
            updateSendWindow(from: seg, windowIsScaled: windowScalingEnabled)
            snd.wl1 = seg.seq
            snd.wl2 = seg.ack
            if finQueued {
                transition(to: .established)
                transition(to: .finWait1)
            } else {
                transition(to: .established)
            }
            deliverQueuedText(at: now)
            return true
        }
        // RFC 5961 §5.2: acceptable only if SND.UNA − MAX.SND.WND =< SEG.ACK =< SND.NXT; otherwise drop
        // and send an ACK (SND.MAX stands for SND.NXT: after an RTO rewinds SND.NXT, ACKs of what was
        // sent before are still valid).
        if seg.ack > snd.max {
            // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT) then send an ACK, drop the segment."
            ackNow = true
            return false
        }
        let lowest = snd.una - Int(max(maxSndWnd, 1))
        if seg.ack < lowest {
            sendChallengeACK(at: now)
            return false
        }
        let previousUna = snd.una
        let sackedBefore = scoreboard.sackedBytes
        if snd.una < seg.ack {
            acceptAcknowledgment(seg.ack, at: now, timestampEcho: seg.timestamp?.echoReply)
        }
        processSACKBlocks(seg)
        let windowBefore = snd.wnd
        // RFC 9293 §3.10.7.4: update the send window if the segment is newer (SND.WL1/WL2 rule).
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated" (old ACKs do not).
        if snd.una <= seg.ack && (snd.wl1 < seg.seq || (snd.wl1 == seg.seq && snd.wl2 <= seg.ack)) {
            updateSendWindow(from: seg, windowIsScaled: windowScalingEnabled)
            snd.wl1 = seg.seq
            snd.wl2 = seg.ack
        }
        if seg.ack == previousUna {
            detectDuplicateAck(seg, windowBefore: windowBefore, at: now)
        }
        // RFC 8985 §6.2, §7.4: losses shown by time order (the probe's ACK, a lost retransmission).
        if sackEnabled && snd.una != snd.max {
            detectLossByProbe(at: now)
            detectLostRetransmissions()
        }
        // RFC 8985 §6: RACK's time-based loss detection.
        if sackEnabled && snd.una != snd.max { rackOnAck(seg, at: now) }
        // RFC 6937: DeliveredData = change in SND.UNA + change in SACKed bytes.
        updatePRR(delivered: (snd.una - previousUna) + (scoreboard.sackedBytes - sackedBefore))
        if snd.wnd > 0 {
            if timers.isArmed(.persist) {
                timers.stop(.persist)
                persistBackoff = 0
            }
        }
        // State-specific rules of the fifth step.
        switch state {
        case .finWait1:
            if finAcknowledged {
                transition(to: .finWait2)
                if userClosed { armFinWait2Limit(at: now) }
            }
        case .closing:
            if finAcknowledged { enterTimeWait(at: now) }
        case .lastAck:
            if finAcknowledged {
                finish()
                return false
            }
        case .timeWait:
            // "The only thing that can arrive in this state is a retransmission of the remote FIN."
            break
        default:
            break
        }
        return true
    }

    /// SND.UNA advances to `ack`: free acknowledged bytes, take an RTT sample, grow the congestion
    /// window, manage recovery and the retransmission timer (RFC 6298 (5.2), (5.3)).
    func acceptAcknowledgment(_ ack: SequenceNumber, at now: Instant, timestampEcho: UInt32?) {
        let acked = ack - snd.una
        guard acked > 0 else { return }
        let synAcked = snd.una == snd.iss
        if synAcked { synPending = false }
        snd.una = ack
        if snd.nxt < ack { snd.nxt = ack }
        // Drop acknowledged data from the send buffer.
        let dataAcked = max(0, min(ack - sendBufferStart, sendBuffer.count))
        if dataAcked > 0 {
            sendBuffer.removeFirst(dataAcked)
            sendBufferStart = sendBufferStart + dataAcked
            if writeBlocked && sendBuffer.freeSpace > 0 {
                writeBlocked = false
                emit(.writable)
            }
        }
        scoreboard.acknowledge(upTo: ack)
        retries = 0

        // RTT measurement: from the timestamp echo (RFC 7323 §4.1), else the timed segment (Karn).
        if timestampsEnabled, let ecr = timestampEcho, ecr != 0 {
            let nowTS = timestampClock(now)
            let delta = Int64(Int32(bitPattern: nowTS &- ecr))
            if delta >= 0 { rtt.addSample(.milliseconds(delta)) }
        } else if let timed = rttTimedSeq, timed <= ack {
            rtt.addSample(now - rttTimedAt)
            rttTimedSeq = nil
        }
        rtt.resetBackoff()

        // Congestion control and recovery (RFC 5681, RFC 6582, RFC 6675).
        let bytesAcked = acked - (synAcked ? 1 : 0)
        if inRecovery {
            if recover <= ack {
                inRecovery = false
                retransmitAt = nil
                resetLossDetection()
                if sackEnabled {
                    congestion.onExitSACKRecovery()
                } else {
                    congestion.onExitRecovery(flightSize: snd.max - snd.una, mss: effectiveMSS)
                }
            } else {
                // Partial ACK (RFC 6582 §3.2 step 5): retransmit the next hole.
                if !sackEnabled {
                    retransmitAt = snd.una
                    congestion.onPartialAck(bytes: bytesAcked, mss: effectiveMSS)
                }
                if highRxt < snd.una { highRxt = snd.una }
            }
        } else if bytesAcked > 0 {
            congestion.onAck(bytes: bytesAcked, mss: effectiveMSS, now: now, rtt: rtt.srtt)
        }
        duplicateAcks = 0

        // RFC 6298 (5.2)/(5.3): everything acknowledged stops the timer; otherwise restart it.
        if snd.una == snd.max {
            timers.stop(.retransmit)
            timers.stop(.lossProbe)
            lossProbeEnd = nil
        } else {
            timers.set(.retransmit, at: now + rtt.rto)
            if let end = lossProbeEnd, end <= snd.una { lossProbeEnd = nil }
            armLossProbe(at: now)
        }
    }

    /// Records SACK blocks in the scoreboard (RFC 6675 §5 "update the scoreboard").
    private func processSACKBlocks(_ seg: IncomingSegment) {
        guard sackEnabled else { return }
        if let d = dsackBlock(of: seg) { processDSACK(d) }
        for i in 0..<seg.sackBlocks.count {
            scoreboard.add(seg.sackBlocks[i], una: snd.una, max: snd.max)
        }
    }

    /// RFC 5681 §2 definition of a duplicate ACK, §3.2 fast retransmit on the third, RFC 6675 §5
    /// (SACK: loss when IsLost(SND.UNA)).
    private func detectDuplicateAck(_ seg: IncomingSegment, windowBefore: UInt32, at now: Instant) {
        // (a) outstanding data, (b) no data, (c) no SYN/FIN, (d) ack = SND.UNA, (e) window unchanged.
        guard snd.una != snd.max, !synUnacknowledged, seg.payload.count == 0, !seg.flags.contains(.syn), !seg.flags.contains(.fin),
              UInt32(seg.window) << UInt32(windowScalingEnabled ? snd.windowShift : 0) == windowBefore
                || seg.sackBlocks.count > 0
        else { return }
        duplicateAcks += 1
        if inRecovery {
            if !sackEnabled { congestion.onDuplicateAckInRecovery(mss: effectiveMSS) }
            return
        }
        let sackSaysLost = sackEnabled && lossBoundary().map { snd.una <= $0 } == true
        guard duplicateAcks >= duplicateThreshold || sackSaysLost else { return }
        // RFC 6582 §3.2 step 2: enter recovery only if the ACK covers more than "recover", so one
        // window of losses (or the aftermath of a timeout) reduces the window once.
        guard recover < snd.una else { return }
        enterRecovery(at: now)
    }

    /// DupThresh: 3 (RFC 5681 §3.2), lowered by early retransmit (RFC 5827 §3.1) to one less than the
    /// segments outstanding when fewer than four are and no new data can go out, so a loss at the tail
    /// of a small flight is repaired without waiting for the RTO.
    private var duplicateThreshold: Int {
        let mss = effectiveMSS
        let outstanding = ((snd.max - snd.una) + mss - 1) / mss
        let canSendNew = snd.max < dataEnd && snd.max < snd.una + Int(snd.wnd)
        guard outstanding < 4 && !canSendNew else { return 3 }
        return max(1, outstanding - 1)
    }

    func enterRecovery(at now: Instant) {
        let flight = snd.max - snd.una
        beginUndoEpisode()
        inRecovery = true
        lossProbePending = false
        timers.stop(.lossProbe)
        retransmissionLog.removeAll()
        recover = snd.max
        highRxt = snd.una
        congestion.onEnterRecovery(flightSize: flight, mss: effectiveMSS)
        // Karn: the timed segment may be retransmitted now.
        rttTimedSeq = nil
        if sackEnabled {
            // RFC 6675 §5 step 4.2: cwnd = ssthresh (no inflation; `pipe` does the accounting).
            congestion.onEnterSACKRecovery()
        }
        beginPRR()
        // RFC 5681 §3.2 step 3, RFC 6675 §5 step 4.3: retransmit the first lost segment at once,
        // whatever `pipe` says.
        retransmitAt = snd.una
        timers.set(.retransmit, at: now + rtt.rto)
    }

    /// Text that waited for ESTABLISHED (data on the SYN, RFC 9293 §3.10.7.2) moves to the receive buffer.
    private func deliverQueuedText(at now: Instant) {
        var delivered = false
        while let more = reassembly.takeInOrder(at: rcv.nxt) {
            let n = more.withUnsafeBytes { receiveBuffer.append($0) }
            rcv.nxt = rcv.nxt + n
            delivered = true
        }
        if delivered {
            signalReadable()
            ackNow = true
            rcv.wnd = receiveWindow
        }
        deliverQueuedFINIfReady(at: now)
    }

    /// RFC 9293 §3.10.7.4 "Seventh, process the segment text".
    func processText(_ seg: IncomingSegment, at now: Instant) {
        guard seg.payload.count > 0 else { return }
        if seg.seq < rcv.nxt {
            // Queued SYN data was delivered after this segment was trimmed: drop what is now old.
            let old = min(rcv.nxt - seg.seq, seg.payload.count)
            noteDuplicate(from: seg.seq, to: seg.seq + old)
            var rest = seg
            rest.payload = UnsafeRawBufferPointer(rebasing: seg.payload[old...])
            rest.seq = seg.seq + old
            processText(rest, at: now)
            return
        }
        switch state {
        case .established, .finWait1, .finWait2, .synReceived:
            break
        default:
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur since a FIN has been
            // received from the remote side. Ignore the segment text."
            return
        }
        if seg.seq == rcv.nxt {
            // In order: deliver to the receive buffer, then whatever the gap was holding. Bytes it
            // repeats from the out-of-order queue are duplicates (RFC 2883 §4.1.2: the first D-SACK).
            if let dup = reassembly.firstOverlap(start: seg.seq, end: seg.seq + seg.payload.count) {
                noteDuplicate(from: dup.left, to: dup.right)
            }
            let taken = receiveBuffer.append(seg.payload)
            rcv.nxt = rcv.nxt + taken
            var filledGap = false
            while let more = reassembly.takeInOrder(at: rcv.nxt) {
                let n = more.withUnsafeBytes { receiveBuffer.append($0) }
                rcv.nxt = rcv.nxt + n
                filledGap = true
            }
            signalReadable()
            if filledGap { deliverQueuedFINIfReady(at: now) }
            if filledGap || !reassembly.isEmpty {
                // RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap.
                ackNow = true
            } else {
                // "Full-sized" against the largest segment seen so far (Linux's rcv_mss estimate): with
                // timestamps the peer's full segments carry 12 bytes less than its MSS.
                receiveMSS = max(receiveMSS, min(seg.payload.count, Int(configuration.mss)))
                scheduleAck(fullSized: seg.payload.count >= receiveMSS, at: now)
            }
        } else {
            // Out of order (above RCV.NXT; trimming removed anything below): hold it, ACK at once
            // (RFC 5681 §4.2: "a TCP receiver SHOULD send an immediate duplicate ACK").
            if let dup = reassembly.firstOverlap(start: seg.seq, end: seg.seq + seg.payload.count) {
                noteDuplicate(from: dup.left, to: dup.right)
            }
            reassembly.insert(seg.payload, at: seg.seq)
            ackNow = true
        }
        rcv.wnd = receiveWindow
    }

    /// Delayed acknowledgment (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2): ACK every second full-sized
    /// segment at once; otherwise within the configured delay.
    private func scheduleAck(fullSized: Bool, at now: Instant) {
        guard configuration.delayedAck else { ackNow = true; return }
        if quickAcksLeft > 0 {
            // Quick-ACK mode at the start of the connection (Linux's tcp_in_quickack_mode).
            quickAcksLeft -= 1
            ackNow = true
            return
        }
        if fullSized { unackedSegments += 1 }
        if unackedSegments >= 2 {
            ackNow = true
        } else if !timers.isArmed(.delayedAck) {
            timers.set(.delayedAck, at: now + configuration.delayedAckTimeout)
        }
    }

    /// RFC 9293 §3.10.7.4 "Eighth, check the FIN bit".
    func processFIN(_ seg: IncomingSegment, at now: Instant) {
        guard seg.flags.contains(.fin) else { return }
        let finSeq = seg.seq + seg.payload.count
        if finSeq != rcv.nxt {
            // The FIN is beyond a gap: remember it until the data before it arrives.
            if rcv.nxt < finSeq { reassembly.finSequence = finSeq }
            ackNow = true
            return
        }
        acceptFIN(at: now)
    }

    /// The FIN is in order: advance RCV.NXT over it and move on in the diagram.
    func acceptFIN(at now: Instant) {
        reassembly.finSequence = nil
        if peerFinReceived {
            // A retransmitted FIN: ACK again.
            ackNow = true
            if state == .timeWait { restartTimeWait(at: now) }
            return
        }
        rcv.nxt = rcv.nxt + 1
        peerFinReceived = true
        ackNow = true
        emit(.peerClosed)
        signalReadable()
        switch state {
        case .synReceived, .established:
            transition(to: .closeWait)
        case .finWait1:
            // "If our FIN has been ACKed ... enter TIME-WAIT ...; otherwise, enter the CLOSING state."
            if finAcknowledged { enterTimeWait(at: now) } else { transition(to: .closing) }
        case .finWait2:
            enterTimeWait(at: now)
        case .timeWait:
            restartTimeWait(at: now)
        default:
            break
        }
    }

    /// Called after in-order data arrives: a FIN that was waiting beyond the gap may now apply.
    func deliverQueuedFINIfReady(at now: Instant) {
        if let f = reassembly.finSequence, f == rcv.nxt, reassembly.isEmpty { acceptFIN(at: now) }
    }
}
