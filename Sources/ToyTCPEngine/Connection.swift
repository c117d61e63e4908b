// Read first: RFC 9293 §3.3.1 (the TCB and its send/receive sequence variables), §3.3.2 (states),
// §3.10.1–§3.10.6 (user calls: OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS).
// The connection is split by concern: +Input (segment arrival, §3.10.7), +Output (what to send,
// §3.8, §3.9), +Timers (§3.8.1, RFC 6298, persist, delayed ACK, TIME-WAIT).
import ToyTCPWire

/// One TCP connection: its TCB (RFC 9293 §3.3.1) and the state machine around it.
///
/// Sans-IO: fed with segments and user calls (each with `now`), asked what to send
/// (`nextSegment(at:)`) and when to wake (`nextDeadline`). Confined to the stack's thread.
final class Connection {
    /// Send sequence variables (RFC 9293 §3.3.1), plus SND.MAX (the highest sequence number sent, as
    /// BSD keeps it) so a retransmission timeout can rewind SND.NXT.
    struct SendSequence {
        var una: SequenceNumber = 0
        var nxt: SequenceNumber = 0
        var max: SequenceNumber = 0
        /// The peer's window, scaled (bytes).
        var wnd: UInt32 = 0
        var wl1: SequenceNumber = 0
        var wl2: SequenceNumber = 0
        var up: SequenceNumber = 0
        var iss: SequenceNumber = 0
        /// The peer's window-scale shift (RFC 7323 §2.2: Snd.Wind.Shift).
        var windowShift: UInt8 = 0
    }

    /// Receive sequence variables (RFC 9293 §3.3.1).
    struct ReceiveSequence {
        var nxt: SequenceNumber = 0
        /// The window we offer (bytes).
        var wnd: UInt32 = 0
        var up: SequenceNumber = 0
        var irs: SequenceNumber = 0
        /// Our window-scale shift (RFC 7323 §2.2: Rcv.Wind.Shift).
        var windowShift: UInt8 = 0
        /// The right edge we last advertised (RCV.NXT + window sent); never moved left (RFC 9293 §3.8.6).
        var advertisedEdge: SequenceNumber = 0
    }

    let id: ConnectionID
    let tuple: FourTuple
    /// The IPv6 flow label of every packet of this connection (RFC 6437 §3; `ISNGenerator.flowLabel`).
    var flowLabel: UInt32 = 0
    let configuration: StackConfiguration
    unowned let context: StackContext
    /// The listener whose passive OPEN made this connection (it returns to LISTEN on RST, RFC 9293 §3.10.7.4).
    var listener: ListenerID?
    /// That listener, for its counters (SYN-ACK retransmissions); weak so a closed listener goes away.
    weak var origin: Listener?

    private(set) var state: TCPState = .closed
    var snd = SendSequence()
    var rcv = ReceiveSequence()

    // `@exclusivity(unchecked)` on the per-segment state below: self-contained value types, see `Stack`.
    /// Bytes accepted by `send` and not yet acknowledged; the first is at `sendBufferStart`.
    @exclusivity(unchecked) var sendBuffer: ByteRing
    var sendBufferStart: SequenceNumber = 0
    /// Nagle's algorithm (RFC 9293 §3.7.4), from the configuration until the application changes it.
    lazy var nagle = configuration.nagle
    /// The application holds partial segments back until it uncorks (TCP_CORK): RFC 9293 §3.7.4 lets a
    /// sender delay sending to fill segments; only full segments (or a FIN) go out.
    var corked = false
    /// The last SEND said more data follows (MSG_MORE): its partial segment waits like a corked one,
    /// until the next SEND without it or the next segment from the peer (Linux corks only that push).
    var moreToCome = false
    /// Whether the last SEND was such a one: its data is not pushed (no PSH), even once sent.
    var lastSendMoreToCome = false
    /// Data up to here goes out now even if partial, corked or held by Nagle (TCP_NODELAY's push).
    /// Corked data with nothing in flight waits at most for the persist timer, whose expiry sends what
    /// the window allows (`probeSegment`), as Linux's probe timer bounds TCP_CORK.
    var pushMark: SequenceNumber?
    /// In-order bytes the application has not read yet.
    @exclusivity(unchecked) var receiveBuffer: ByteRing
    @exclusivity(unchecked) var reassembly = ReassemblyQueue()
    @exclusivity(unchecked) var scoreboard = SACKScoreboard()

    var timers = TimerTable()
    @exclusivity(unchecked) var rtt: RTTEstimator
    @exclusivity(unchecked) var congestion: SelectedCongestionController

    // Negotiated options.
    /// Effective send MSS: the peer's announced MSS (536 if none, RFC 9293 §3.7.1), capped by ours.
    var sendMSS: Int
    var sackEnabled = false
    var timestampsEnabled = false
    var windowScalingEnabled = false
    /// RFC 7323 §4.3: TS.Recent and Last.ACK.sent.
    var tsRecent: UInt32 = 0
    /// When TS.Recent was last set (RFC 7323 §5.5 TS.Recent.Age: older than 24 days, it is invalid).
    var tsRecentTime = Instant.zero
    var lastAckSent: SequenceNumber = 0
    /// The receiver's estimate of the peer's full segment size: the largest payload seen (at least 536,
    /// RFC 9293 §3.7.1), used to ACK every second full-sized segment.
    var receiveMSS = 536
    /// When we last answered a repeated SYN with a SYN-ACK (one per 500 ms).
    var lastRepeatedSynAnswer: Instant?
    /// When we last answered an unacceptable zero-length segment (ACK-war rate limit).
    var lastInvalidAckTime: Instant?
    /// Largest window the peer has offered (RFC 5961 §5.2 MAX.SND.WND; RFC 9293 §3.8.6.2.1 max(SND.WND)).
    var maxSndWnd: UInt32 = 0

    // Output obligations.
    /// A SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) is due.
    var synPending = false
    /// An acknowledgment must go out now (not delayed).
    var ackNow = false
    /// Why the next pure ACK goes out (`SegmentReason`); back to `.immediateAck` once it is sent.
    var ackReason: SegmentReason = .immediateAck
    /// Why `retransmitAt` was set: the RTO or fast retransmit.
    var retransmitReason: SegmentReason = .fastRetransmit
    /// Full-size segments received since our last ACK (RFC 9293 §3.8.6.3: ACK at least every second one).
    var unackedSegments = 0
    /// Data segments still to be acknowledged at once (`StackConfiguration.quickAcks`).
    lazy var quickAcksLeft = configuration.quickAcks
    /// A zero-window probe is due (persist timer fired).
    var probePending = false
    /// NewReno (no SACK): retransmit one segment at this sequence number next (fast retransmit, partial ACK).
    var retransmitAt: SequenceNumber?

    // User-call state.
    /// CLOSE or shutdown was called: a FIN follows the queued data.
    var finQueued = false
    /// CLOSE (both directions) was called: the application reads no more.
    var userClosed = false
    /// The peer's FIN was processed (RCV.NXT is past it).
    var peerFinReceived = false
    /// The application saw end of stream.
    var eofDelivered = false
    /// `send` refused bytes for lack of space: signal `.writable` when space opens.
    var writeBlocked = false
    /// `.readable` was signalled and the application has not read since (edge-triggered events).
    var readableSignalled = false

    // Loss recovery (RFC 5681 §3.2, RFC 6582, RFC 6675).
    var duplicateAcks = 0
    var inRecovery = false
    /// RFC 6582 "recover": SND.MAX when recovery began.
    var recover: SequenceNumber = 0
    /// RFC 6675 HighRxt: the highest sequence number retransmitted in this recovery.
    var highRxt: SequenceNumber = 0
    /// Tail loss probe (RFC 8985 §7): a probe is due (the PTO fired) and not yet sent.
    var lossProbePending = false
    /// RFC 8985 §7.3 TLP.end_seq: SND.MAX after the outstanding probe, `nil` when none is out
    /// (one probe per flight). `lossProbeStart` is where the probe's data began.
    var lossProbeEnd: SequenceNumber?
    var lossProbeStart: SequenceNumber = 0
    /// Unsacked bytes below this are lost by time-order evidence (RFC 8985 §6.2: something sent later
    /// was delivered first): the ACK of a tail loss probe or the SACK that shows a retransmission lost.
    var markedLostBelow: SequenceNumber?
    /// Retransmissions of this recovery still unacknowledged, to detect one that was lost.
    @exclusivity(unchecked) var retransmissionLog = RetransmissionLog()
    /// Keep-alive settings (`nil`: off, the default, RFC 1122 §4.2.3.6), probes sent without an answer,
    /// when the last went out, and whether one is due.
    var keepalive: KeepaliveSettings?
    var keepaliveProbesSent = 0
    var lastKeepaliveProbe = Instant.zero
    var keepaliveProbePending = false
    /// Proportional rate reduction of the current SACK recovery (RFC 6937), if on.
    var prr: ProportionalRateReduction?
    /// Urgent data (RFC 9293 §3.9.1): whether SND.UP marks urgent data we send, and whether RCV.UP
    /// holds a mark the peer sent.
    var sendUrgent = false
    var receivedUrgent = false
    /// ECN (RFC 3168): negotiated on; ECE to set on ACKs until the peer's CWR; CWR to set on the next
    /// new data; the reduction covers data up to `ecnRecover` (once per window).
    var ecnEnabled = false
    var ecnEchoPending = false
    var cwrPending = false
    var ecnRecover: SequenceNumber = 0
    /// RACK (RFC 8985 §6), when `configuration.rack` is on.
    @exclusivity(unchecked) var rack = RACKState()
    /// A duplicate segment to report in the next ACK's first SACK block (RFC 2883 §4).
    var pendingDSACK: SACKBlock?
    /// The loss episode that may be undone if it proves spurious (RFC 3708), and undos so far.
    var undo: UndoEpisode?
    var spuriousUndos = 0
    /// Consecutive retransmission timeouts without progress (the retry limit counts these).
    var retries = 0
    /// Persist timer backoff (number of probes without the window opening).
    var persistBackoff = 0
    /// RTT timing of one segment when timestamps are off (Karn: cleared on retransmission).
    var rttTimedSeq: SequenceNumber?
    var rttTimedAt = Instant.zero
    /// When we last sent and last received anything (idle restart, RFC 5681 §4.1).
    var lastSendTime = Instant.zero
    var lastReceiveTime = Instant.zero
    /// Segments retransmitted over the connection's life.
    var retransmissionCount = 0
    /// Random offset of our timestamp clock (RFC 7323 §5.4: per-connection offsets).
    var tsOffset: UInt32 = 0
    /// When the connection was created (timestamps clock origin).
    let createdAt: Instant
    /// The error the connection ended with, if any.
    var failure: EngineError?

    // Stack bookkeeping (not TCB state).
    /// The deadline this connection has in the stack's timer heap, if any.
    var scheduledDeadline: Instant?
    /// Whether the connection sits in the stack's transmit queue.
    var isQueuedForTransmit = false
    /// Whether the stack has put this passively opened connection in its listener's accept queue.
    var announcedToListener = false
    /// Whether the stack has removed the connection from its 4-tuple table.
    var releasedTuple = false

    init(id: ConnectionID, tuple: FourTuple, configuration: StackConfiguration, context: StackContext,
         iss: SequenceNumber, now: Instant) {
        self.id = id
        self.tuple = tuple
        self.configuration = configuration
        self.context = context
        self.createdAt = now
        sendBuffer = ByteRing(capacity: configuration.sendBufferSize)
        receiveBuffer = ByteRing(capacity: configuration.receiveBufferSize)
        rtt = RTTEstimator(initial: configuration.initialRTO, minimum: configuration.minimumRTO,
                           maximum: configuration.maximumRTO)
        // RFC 9293 §3.7.1 (MUST-15): without an MSS option the peer accepts 536 bytes (1220 over IPv6).
        let defaultMSS = Int(tuple.isIPv6 ? MaximumSegmentSize.ipv6Minimum : MaximumSegmentSize.ipv4Default)
        sendMSS = min(defaultMSS, Int(configuration.mss))
        receiveMSS = min(defaultMSS, Int(configuration.mss))
        congestion = SelectedCongestionController(configuration.congestionControl,
                                                  initialWindowSegments: configuration.initialWindowSegments,
                                                  mss: Int(configuration.mss))
        keepalive = configuration.keepalive
        snd.iss = iss
        snd.una = iss
        snd.nxt = iss
        snd.max = iss
        sendBufferStart = iss + 1
        recover = iss
        ecnRecover = iss
        tsOffset = Connection.timestampOffset(iss: iss)
        rcv.windowShift = configuration.windowScaling ? Connection.windowShift(for: configuration) : 0
        rcv.wnd = UInt32(min(configuration.receiveBufferSize, Int(UInt16.max) << Int(rcv.windowShift)))
    }

    /// The shift to announce (RFC 7323 §2.3): the smallest that lets the whole receive buffer be offered.
    static func windowShift(for c: StackConfiguration) -> UInt8 {
        if let s = c.windowScaleShift { return min(s, 14) }
        var shift: UInt8 = 0
        while shift < 14 && (c.receiveBufferSize >> Int(shift)) > Int(UInt16.max) { shift += 1 }
        return shift
    }

    // MARK: State

    /// Moves to `newState`, announcing the transition (the shell traces every one).
    func transition(to newState: TCPState) {
        guard newState != state else { return }
        let old = state
        state = newState
        if newState == .established && !old.isSynchronized && retransmissionCount > 0 {
            // RFC 6298 (5.7): the SYN (or SYN-ACK) timed out, so without a sample the RTO starts at 3 s.
            rtt.resetAfterSYNTimeout()
        }
        emit(.stateChanged(from: old, to: newState))
        if keepalive != nil { armKeepalive(at: lastReceiveTime) }
        if newState == .established && !old.isSynchronized { emit(.connected) }
    }

    func emit(_ e: ConnectionEvent) { context.events.append(.connection(id, e)) }

    /// Ends the connection with `error` (reset, refused, timed out): CLOSED, TCB to be deleted.
    func fail(_ error: EngineError) {
        failure = error
        timers.stopAll()
        transition(to: .closed)
        emit(.failed(error))
    }

    /// Normal end: CLOSED after LAST-ACK or TIME-WAIT.
    func finish() {
        timers.stopAll()
        transition(to: .closed)
        emit(.closed)
    }

    /// Our SYN has been sent (and maybe the peer's received) but not acknowledged yet: it may still need
    /// retransmitting even in FIN-WAIT-1 (CLOSE in SYN-RECEIVED).
    var synUnacknowledged: Bool { snd.una == snd.iss && state != .closed }

    /// Whether the stack may forget this TCB: CLOSED, and nothing left the application could still read.
    var isDeletable: Bool {
        state == .closed && (failure != nil || userClosed || (receiveBuffer.isEmpty))
    }

    // MARK: Opening (RFC 9293 §3.10.1)

    /// Active OPEN: CLOSED → SYN-SENT, SYN due.
    func open(at now: Instant) {
        transition(to: .synSent)
        synPending = true
    }

    /// Passive OPEN answered: a SYN arrived on a listener; LISTEN → SYN-RECEIVED (RFC 9293 §3.10.7.2).
    func acceptSYN(_ seg: IncomingSegment, at now: Instant) {
        transition(to: .listen)
        rcv.irs = seg.seq
        rcv.nxt = seg.seq + 1
        negotiateOptions(seg)
        negotiateECN(seg, passive: true)
        updateSendWindow(from: seg, windowIsScaled: false)
        snd.wl1 = seg.seq
        snd.wl2 = seg.ack
        if let ts = seg.timestamp { updateTSRecent(ts.value, at: now) }
        lastReceiveTime = now
        transition(to: .synReceived)
        synPending = true
        queueSYNText(seg)
    }

    /// RFC 9293 §3.10.7.2: data (and a FIN) on a SYN "should be queued for processing later", after the
    /// handshake: it waits above RCV.NXT in the reassembly queue, unacknowledged (the SYN-ACK acks the
    /// SYN only), and `deliverQueuedText` takes it when the connection is ESTABLISHED.
    private func queueSYNText(_ seg: IncomingSegment) {
        let take = min(seg.payload.count, Int(receiveWindow))
        if take > 0 {
            reassembly.insert(UnsafeRawBufferPointer(rebasing: seg.payload[..<take]), at: rcv.nxt)
            context.statistics.synDataQueued += 1
        }
        if seg.flags.contains(.fin) && take == seg.payload.count {
            reassembly.finSequence = rcv.nxt + take
        }
    }

    /// A SYN cookie came back (RFC 4987 §3.6): the SYN-ACK the stack sent for us counts as sent, with
    /// the unscaled window it offered.
    func synAckSentByCookie(at now: Instant) {
        synPending = false
        snd.nxt = snd.iss + 1
        snd.max = snd.nxt
        rcv.wnd = UInt32(min(configuration.receiveBufferSize, Int(UInt16.max)))
        rcv.advertisedEdge = rcv.nxt + Int(rcv.wnd)
        lastAckSent = rcv.nxt
        lastSendTime = now
    }

    /// A repeated SYN of the handshake in progress: answer with the SYN-ACK again, at most once per
    /// 500 ms (Linux tcp_check_req with tcp_invalid_ratelimit), so a stream of copies cannot turn the
    /// listener into an amplifier.
    func answerRepeatedSYN(at now: Instant) {
        if let t = lastRepeatedSynAnswer, now - t < .milliseconds(500), t <= now {
            context.statistics.duplicateSynsIgnored += 1
            return
        }
        lastRepeatedSynAnswer = now
        synPending = true
    }

    /// Records what the peer's SYN offers (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2 and §3.2, RFC 2018 §2).
    func negotiateOptions(_ seg: IncomingSegment) {
        // RFC 9293 §3.7.1 (MUST-15): without the option, 536 over IPv4 and 1220 over IPv6 (RFC 8200 §5).
        let defaultMSS = tuple.isIPv6 ? MaximumSegmentSize.ipv6Minimum : MaximumSegmentSize.ipv4Default
        sendMSS = min(Int(seg.mss ?? defaultMSS), Int(configuration.mss))
        sendMSS = max(sendMSS, 64)
        if configuration.windowScaling, let ws = seg.windowScale {
            windowScalingEnabled = true
            // RFC 7323 §2.3: a shift above 14 is used as 14.
            snd.windowShift = min(ws, 14)
        } else {
            windowScalingEnabled = false
            snd.windowShift = 0
            rcv.windowShift = 0
        }
        sackEnabled = configuration.sack && seg.sackPermitted
        timestampsEnabled = configuration.timestamps && seg.timestamp != nil
        congestion = SelectedCongestionController(configuration.congestionControl,
                                                  initialWindowSegments: configuration.initialWindowSegments,
                                                  mss: effectiveMSS)
        rcv.wnd = receiveWindow
    }

    // MARK: User calls (RFC 9293 §3.10.2–§3.10.5)

    /// SEND: queues as much as fits; returns how many bytes were taken.
    func send(_ bytes: UnsafeRawBufferPointer) throws(EngineError) -> Int {
        switch state {
        case .closed, .listen: throw .notConnected
        case .finWait1, .finWait2, .closing, .lastAck, .timeWait: throw .connectionClosing
        case .synSent, .synReceived, .established, .closeWait:
            if finQueued { throw .connectionClosing }
        }
        let n = sendBuffer.append(bytes)
        if n < bytes.count { writeBlocked = true }
        return n
    }

    /// RECEIVE: up to `maxLength` bytes; `[]` if none yet, `nil` at end of stream.
    func receive(maxLength: Int) throws(EngineError) -> [UInt8]? {
        if state == .closed, let failure { throw failure }
        let n = min(maxLength, receiveBuffer.count)
        if n == 0 {
            readableSignalled = false
            if peerFinReceived {
                eofDelivered = true
                return nil
            }
            return []
        }
        let out = receiveBuffer.bytes(from: 0, count: n)
        receiveBuffer.removeFirst(n)
        readableSignalled = false
        if !receiveBuffer.isEmpty { signalReadable() }
        considerWindowUpdate()
        return out
    }

    /// RECEIVE into a caller's buffer: bytes copied, or `nil` at end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(EngineError) -> Int? {
        if state == .closed, let failure { throw failure }
        let n = min(buffer.count, receiveBuffer.count)
        if n == 0 {
            readableSignalled = false
            if peerFinReceived { eofDelivered = true; return nil }
            return 0
        }
        receiveBuffer.copy(from: 0, count: n, into: buffer.baseAddress!)
        receiveBuffer.removeFirst(n)
        readableSignalled = false
        if !receiveBuffer.isEmpty { signalReadable() }
        considerWindowUpdate()
        return n
    }

    /// The bytes just queued end urgent data: SND.UP = one past the last of them (RFC 6093 §3).
    func markUrgent() {
        snd.up = dataEnd
        sendUrgent = true
    }

    /// Received bytes up to the urgent mark the application has not read yet (0: none).
    var urgentUnread: Int {
        guard receivedUrgent else { return 0 }
        let readPosition = rcv.nxt - receiveBuffer.count
        return max(0, rcv.up - readPosition)
    }

    func signalReadable() {
        if !readableSignalled {
            readableSignalled = true
            emit(.readable)
        }
    }

    /// CLOSE of the sending direction (RFC 9293 §3.10.4): a FIN follows the queued data.
    func shutdown(at now: Instant) throws(EngineError) {
        switch state {
        case .closed: throw .notConnected
        case .synSent where !sendBuffer.isEmpty:
            // Deviation (RFC 9293 §3.10.4 says delete the TCB in SYN-SENT): with data already queued we
            // treat SYN-SENT like SYN-RECEIVED ("queue for processing after entering ESTABLISHED"), so
            // connect–send–close works without waiting for the handshake. Without data we follow the RFC.
            finQueued = true
        case .listen, .synSent:
            // RFC 9293 §3.10.4: delete the TCB.
            finQueued = true
            userClosed = true
            finish()
        case .synReceived where sendBuffer.isEmpty:
            // RFC 9293 §3.10.4: "If no SENDs have been issued and there is no pending data to send, then
            // form a FIN segment and send it, and enter FIN-WAIT-1 state" (the SYN-ACK is still
            // retransmitted until acknowledged).
            finQueued = true
            transition(to: .finWait1)
        case .synReceived, .established:
            // SYN-RECEIVED with data queued: "queue for processing after entering ESTABLISHED state".
            if !finQueued {
                finQueued = true
                if state == .established { transition(to: .finWait1) }
            }
        case .closeWait:
            if !finQueued {
                finQueued = true
                transition(to: .lastAck)
            }
        case .finWait1, .finWait2, .closing, .lastAck, .timeWait:
            break // RFC 9293 §3.10.4: "connection closing" — the FIN is already on its way.
        }
    }

    /// CLOSE (RFC 9293 §3.10.4): both directions; received data not read is discarded.
    func close(at now: Instant) throws(EngineError) {
        userClosed = true
        // RFC 9293 §3.10.4 / RFC 1122 §4.2.2.13: closing with unread data sends a RST.
        if !receiveBuffer.isEmpty && state.isSynchronized && state != .timeWait {
            abort()
            return
        }
        try shutdown(at: now)
        if state == .finWait2 { armFinWait2Limit(at: now) }
    }

    /// ABORT (RFC 9293 §3.10.5): RST in synchronized states, then delete the TCB.
    func abort() {
        switch state {
        case .synReceived, .established, .finWait1, .finWait2, .closeWait:
            context.queueReset(tuple, seq: snd.nxt, ack: nil)
            context.statistics.resetsSent += 1
        default:
            break
        }
        userClosed = true
        failure = .aborted
        timers.stopAll()
        transition(to: .closed)
        emit(.failed(.aborted))
    }

    // MARK: Windows

    /// The receive window: free space in the receive buffer (RFC 9293 §3.8.6), capped by what the
    /// window field can carry at our shift.
    var receiveWindow: UInt32 {
        let free = max(0, receiveBuffer.freeSpace)
        return UInt32(min(free, Int(UInt16.max) << Int(rcv.windowShift)))
    }

    /// Sequence number one past the last queued data byte.
    var dataEnd: SequenceNumber { sendBufferStart + sendBuffer.count }
    /// The FIN's sequence number, once CLOSE was called.
    var finSequence: SequenceNumber? { finQueued ? dataEnd : nil }
    /// Whether our FIN has been acknowledged.
    var finAcknowledged: Bool {
        guard let f = finSequence else { return false }
        return f < snd.una
    }

    /// Updates SND.WND from a segment's window field (RFC 7323 §2.2: not scaled on a SYN).
    func updateSendWindow(from seg: IncomingSegment, windowIsScaled: Bool) {
        let w = UInt32(seg.window) << UInt32(windowIsScaled ? snd.windowShift : 0)
        snd.wnd = w
        if w > maxSndWnd { maxSndWnd = w }
    }

    // MARK: Snapshot (RFC 9293 §3.10.6 STATUS)

    func snapshot() -> ConnectionSnapshot {
        var s = ConnectionSnapshot(
            id: id, tuple: tuple, state: state,
            snd: .init(una: snd.una, nxt: snd.nxt, wnd: snd.wnd, wl1: snd.wl1, wl2: snd.wl2, iss: snd.iss,
                       windowShift: snd.windowShift),
            rcv: .init(nxt: rcv.nxt, wnd: rcv.wnd, irs: rcv.irs, windowShift: rcv.windowShift),
            mss: sendMSS, cwnd: congestion.cwnd, ssthresh: congestion.ssthresh,
            srtt: rtt.srtt, rttvar: rtt.rttvar, rto: rtt.rto,
            sendQueued: sendBuffer.count, receiveQueued: receiveBuffer.count,
            outOfOrderQueued: reassembly.count, retransmissions: retransmissionCount,
            sackEnabled: sackEnabled, timestampsEnabled: timestampsEnabled)
        s.keepalive = keepalive
        s.keepaliveProbesSent = keepaliveProbesSent
        s.spuriousUndos = spuriousUndos
        s.congestionControl = configuration.congestionControl
        s.sendUrgentPointer = sendUrgent && snd.una < snd.up ? snd.up : nil
        s.receiveUrgentPointer = receivedUrgent ? rcv.up : nil
        s.urgentUnread = urgentUnread
        s.ecnEnabled = ecnEnabled
        s.ecnEchoing = ecnEchoPending
        return s
    }
}
