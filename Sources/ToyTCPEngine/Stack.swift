// Read first: RFC 9293 §3.10.7.1 (segments to a CLOSED port), §3.10.7.2 (LISTEN), §3.6.1 (TIME-WAIT
// reuse; RFC 6191), RFC 6056 §3.3.3 (ephemeral ports), RFC 6528 (ISNs), RFC 4987 (SYN floods), RFC 3493
// §5.3 (IPV6_V6ONLY: what a wildcard listener covers).
import ToyTCPWire

/// A TCP stack for one or more local addresses of either family (IPv4, IPv6, or both): demultiplexes
/// segments to connections by 4-tuple, owns listeners with bounded backlogs, picks ephemeral ports
/// (RFC 6056) and ISNs (RFC 6528), and answers stray segments with RST (RFC 9293 §3.10.7.1).
///
/// Families: a connection is IPv4 or IPv6 end to end, as its remote address says. Listeners are
/// dual-stack by default: `listen(port:)` with no address takes SYNs to every address of both families
/// (as a Linux `::` socket with `IPV6_V6ONLY` off, RFC 3493 §5.3, but without IPv4-mapped addresses:
/// an IPv4 peer's connection stays IPv4). `0.0.0.0` takes every IPv4 address only and `::` every IPv6
/// address only (as `IPV6_V6ONLY` on). Listeners whose addresses overlap on one port are refused as for
/// IPv4 (no `SO_REUSEADDR`), so `0.0.0.0` and `::` may share a port but a wildcard and an address of its
/// family may not. IPv6 connections announce an MSS 20 bytes below `configuration.mss` (the same link
/// MTU with a 40-byte header; never below 1220, RFC 8200 §5); see `MaximumSegmentSize` for Packet Too Big.
///
/// Sans-IO (see ../shared/STYLE.md): the stack owns no socket, thread or clock. Its methods fall into
/// four groups, used in this order by whoever drives it (the event loop, the simulated network, a test):
/// - **inputs**: `handle(packet:at:)`, `handleTimeout(at:)`;
/// - **user calls**: `listen`, `accept`, `connect`, `send`, `receive`, `shutdown`, `close`, `abort`;
/// - **outputs**, drained after every input or call until they return `nil`:
///   `pollTransmit(at:)` (segments to put on the wire), then `pollEvent()`;
/// - **the next wake-up**: `nextDeadline` — call `handleTimeout(at:)` when it passes (early or twice is harmless).
///
/// Events are edge-triggered: `.readable` comes once when data arrives to an empty receive queue (again
/// after `receive` if data remains), `.writable` once when space opens after `send` took less than asked.
///
/// Confined to one thread; not `Sendable`.
public final class Stack {
    // Run-time exclusivity checks are off (`@exclusivity(unchecked)`) for the state the per-packet path
    // touches: stdlib containers of identifiers and connections, and value types (`TimerHeap`, the
    // configuration) whose methods take no closure and hold no reference back to the stack, so no
    // access to one of them can begin while another is under way: the compiler's static checks cover
    // the rest. The check cost ~140 instructions an access, a quarter of a handshake's user-space
    // instructions (README, "The lab at kernel speed").
    @exclusivity(unchecked) public var configuration: StackConfiguration {
        didSet {
            isn = ISNGenerator(secret: configuration.secret)
            cookies = SynCookieCodec(secret: configuration.secret)
            context.challengeAckLimit = configuration.challengeAckLimit
        }
    }
    /// The addresses this stack answers for, both families.
    @exclusivity(unchecked) public private(set) var localAddresses: [IPAddress]
    /// The IPv4 ones among `localAddresses` (for IPv4-only callers).
    public var addresses: [IPv4Address] { localAddresses.compactMap(\.ipv4) }
    public var statistics: StackStatistics { context.statistics }
    /// Why the packet the last successful `pollTransmit` returned was sent.
    @exclusivity(unchecked) public private(set) var lastTransmitReason: SegmentReason = .newData

    let context: StackContext
    private var isn: ISNGenerator
    private var cookies: SynCookieCodec
    @exclusivity(unchecked) private var connectionsByTuple: [FourTuple: Connection] = [:]
    @exclusivity(unchecked) private var connectionsByID: [ConnectionID: Connection] = [:]
    @exclusivity(unchecked) private var listeners: [ListenerID: Listener] = [:]
    /// How many TCBs use each local port (for "does this stack own the port", `resetsUnownedPorts`).
    @exclusivity(unchecked) private var portUse: [UInt16: Int] = [:]
    private var nextConnectionID: UInt64 = 1
    private var nextListenerID: UInt64 = 1
    /// RFC 6056 Algorithm 3's `next_ephemeral`.
    private var nextEphemeral: UInt32 = 0
    /// Connections that may have something to send, in round-robin order.
    @exclusivity(unchecked) private var transmitQueue: [Connection] = []
    private var transmitHead = 0
    @exclusivity(unchecked) private var timerHeap = TimerHeap()
    private var ipIdentification: UInt16 = 0

    public init(addresses: [IPAddress], configuration: StackConfiguration = StackConfiguration()) {
        self.localAddresses = addresses
        self.configuration = configuration
        self.context = StackContext(challengeAckLimit: configuration.challengeAckLimit)
        self.isn = ISNGenerator(secret: configuration.secret)
        self.cookies = SynCookieCodec(secret: configuration.secret)
    }

    /// An IPv4-only stack.
    public convenience init(addresses: [IPv4Address], configuration: StackConfiguration = StackConfiguration()) {
        self.init(addresses: addresses.map { .v4($0) }, configuration: configuration)
    }

    // MARK: Inputs

    /// Handles one received IPv4 or IPv6 packet (raw bytes, the version nibble says which): parsed,
    /// checksum verified, demultiplexed.
    /// Malformed packets and bad checksums are counted in `statistics` and dropped.
    public func handle(packet bytes: UnsafeRawBufferPointer, at now: Instant) {
        context.statistics.packetsReceived += 1
        switch RawSegmentParser.parse(bytes) {
        case .malformed:
            context.statistics.malformedDropped += 1
        case .badChecksum:
            context.statistics.badChecksumDropped += 1
        case .segment(let source, let destination, let sourcePort, let destinationPort, let seg):
            dispatch(seg, source: source, destination: destination, sourcePort: sourcePort,
                     destinationPort: destinationPort, at: now)
        }
    }

    /// Handles one received, already-parsed packet (its checksum is trusted).
    public func handle(_ packet: IPv4Packet, at now: Instant) {
        context.statistics.packetsReceived += 1
        let s = packet.segment
        guard packet.header.protocol == 6 else {
            context.statistics.malformedDropped += 1
            return
        }
        s.payload.withUnsafeBytes { payload in
            var seg = IncomingSegment(s, payload: payload)
            seg.ipECN = packet.header.tos & 0x3
            dispatch(seg, source: .v4(packet.header.source),
                     destination: .v4(packet.header.destination), sourcePort: s.sourcePort,
                     destinationPort: s.destinationPort, at: now)
        }
    }

    /// Handles one received, already-parsed IPv6 packet (its checksum is trusted).
    public func handle(_ packet: IPv6Packet, at now: Instant) {
        context.statistics.packetsReceived += 1
        let s = packet.segment
        guard packet.header.upperLayerProtocol == IPv6NextHeader.tcp else {
            context.statistics.malformedDropped += 1
            return
        }
        s.payload.withUnsafeBytes { payload in
            var seg = IncomingSegment(s, payload: payload)
            seg.ipECN = packet.header.ecn
            dispatch(seg, source: .v6(packet.header.source),
                     destination: .v6(packet.header.destination), sourcePort: s.sourcePort,
                     destinationPort: s.destinationPort, at: now)
        }
    }

    /// Handles one received, already-parsed packet of either family.
    public func handle(_ packet: IPPacket, at now: Instant) {
        switch packet {
        case .v4(let p): handle(p, at: now)
        case .v6(let p): handle(p, at: now)
        }
    }

    /// Runs every timer due at `now` (retransmission, persist, delayed ACK, TIME-WAIT, …).
    public func handleTimeout(at now: Instant) {
        while let top = timerHeap.top, top.deadline <= now {
            timerHeap.pop()
            guard let c = connectionsByID[top.id], c.scheduledDeadline == top.deadline else { continue }
            c.scheduledDeadline = nil
            c.handleTimeout(at: now)
            afterActivity(c)
        }
    }

    // MARK: Outputs

    /// The next packet to send, or `nil` when there is nothing to send now.
    ///
    /// The packet's TCP and IP checksum fields are left 0; `IPv4Packet.emit`/`bytes()` fill them in.
    /// IPv4 only: an IPv6 packet due now is skipped (lost); a stack with IPv6 addresses uses
    /// `pollTransmitPacket(at:)` or `pollTransmit(into:at:)`.
    public func pollTransmit(at now: Instant) -> IPv4Packet? {
        while let p = pollTransmitPacket(at: now) {
            if case .v4(let v4) = p { return v4 }
        }
        return nil
    }

    /// The next packet to send, of either family, as a value (checksum fields left 0, as above).
    public func pollTransmitPacket(at now: Instant) -> IPPacket? {
        guard let (tuple, seg, conn) = nextOutgoing(at: now) else { return nil }
        return makePacket(tuple, seg, conn)
    }

    /// The next packet to send, written as bytes (IPv4 or IPv6 header and TCP segment, checksums computed) at
    /// the end of `writer`; `false` when there is nothing to send. The fast path: no intermediate values.
    public func pollTransmit(into writer: inout ByteWriter, at now: Instant) -> Bool {
        guard let (tuple, seg, conn) = nextOutgoing(at: now) else { return false }
        emitPacket(tuple, seg, conn, into: &writer)
        return true
    }

    /// The next event, or `nil`.
    public func pollEvent() -> StackEvent? { context.events.pop() }

    /// When `handleTimeout` must next be called; `nil` when no timer is armed.
    public var nextDeadline: Instant? {
        // Entries are corrected lazily here: a connection whose deadline moved later keeps its old entry
        // until it reaches the top, so restarting a timer on every ACK costs no heap operation.
        while let top = timerHeap.top {
            timerHeap.pop()
            guard let c = connectionsByID[top.id], c.scheduledDeadline == top.deadline else { continue }
            guard let actual = c.nextDeadline else {
                c.scheduledDeadline = nil
                continue
            }
            timerHeap.push(.init(deadline: actual, id: c.id))
            c.scheduledDeadline = actual
            if actual == top.deadline { return actual }
        }
        return nil
    }

    // MARK: User calls (RFC 9293 §3.10.1–3.10.6)

    /// Passive OPEN: listen on `port` of `address`: one of the stack's addresses, `0.0.0.0` or `::` (every
    /// address of that family), or `nil` (every address of both families; see the type's doc).
    public func listen(address: IPAddress? = nil, port: UInt16, backlog: Int? = nil) throws(EngineError) -> ListenerID {
        if let address, !address.isUnspecified, !localAddresses.contains(address) { throw .addressNotAvailable }
        for l in listeners.values where l.port == port && l.overlaps(address) { throw .addressInUse }
        let id = ListenerID(rawValue: nextListenerID)
        nextListenerID += 1
        listeners[id] = Listener(id: id, address: address, port: port, backlog: backlog ?? configuration.backlog)
        return id
    }

    /// Passive OPEN on an IPv4 address (`nil`: every address of both families, as above).
    public func listen(address: IPv4Address?, port: UInt16, backlog: Int? = nil) throws(EngineError) -> ListenerID {
        try listen(address: address.map { IPAddress.v4($0) }, port: port, backlog: backlog)
    }

    /// Stops listening; connections not yet accepted are reset.
    public func closeListener(_ listener: ListenerID, at now: Instant) {
        guard let l = listeners.removeValue(forKey: listener) else { return }
        for id in Array(l.embryonic) + l.acceptQueue {
            guard let c = connectionsByID[id] else { continue }
            c.abort()
            afterActivity(c)
        }
    }

    /// A connection that completed its handshake on `listener`, or `nil` if none is waiting.
    ///
    /// A connection that was reset (or timed out) while it waited in the queue is still returned, as
    /// the sockets API's `accept` returns it (Linux, BSD): RFC 9293 §3.10.7.4 sends a passive connection
    /// back to LISTEN only while it is in SYN-RECEIVED; once ESTABLISHED, a RST means "the user should
    /// receive an unsolicited general 'connection reset' signal", and that user is whoever accepts it.
    /// Dropping it from the queue would leave the accepting application never learning that the peer
    /// connected and went away. Its `.failed` event is emitted again now, for its new owner, and the TCB
    /// is deleted.
    public func accept(_ listener: ListenerID) -> ConnectionID? {
        guard let l = listeners[listener], !l.acceptQueue.isEmpty else { return nil }
        let id = l.acceptQueue.removeFirst()
        guard let c = connectionsByID[id] else { return id }
        c.listener = nil
        if c.state == .closed {
            c.emit(.failed(c.failure ?? .connectionReset))
            afterActivity(c)
        }
        return id
    }

    /// Active OPEN: sends a SYN to `remote:port` from `local` (default: the stack's first address of the
    /// remote's family) and `localPort` (default: an ephemeral port, RFC 6056). `local` must be one of the
    /// stack's addresses, of the remote's family.
    public func connect(to remote: IPAddress, port: UInt16, from local: IPAddress? = nil,
                        localPort: UInt16? = nil, at now: Instant) throws(EngineError) -> ConnectionID {
        guard let localAddress = local ?? localAddresses.first(where: { $0.isIPv6 == remote.isIPv6 }),
              localAddress.isIPv6 == remote.isIPv6, localAddresses.contains(localAddress) else {
            throw .addressNotAvailable
        }
        let tuple: FourTuple
        if let localPort {
            tuple = FourTuple(localAddress: localAddress, localPort: localPort, remoteAddress: remote, remotePort: port)
            if connectionsByTuple[tuple] != nil { throw .addressInUse }
        } else {
            tuple = try ephemeralTuple(local: localAddress, remote: remote, remotePort: port)
        }
        let c = makeConnection(tuple, at: now)
        c.open(at: now)
        afterActivity(c)
        return c.id
    }

    /// Active OPEN over IPv4 (see above).
    public func connect(to remote: IPv4Address, port: UInt16, from local: IPv4Address? = nil,
                        localPort: UInt16? = nil, at now: Instant) throws(EngineError) -> ConnectionID {
        try connect(to: .v4(remote), port: port, from: local.map { IPAddress.v4($0) }, localPort: localPort, at: now)
    }

    /// Queues bytes for sending; returns how many were accepted (limited by send-buffer space).
    /// `urgent`: the accepted bytes are urgent data (RFC 9293 §3.9.1): segments carry URG with the
    /// urgent pointer one past the last of them (RFC 6093 §3) until it is acknowledged.
    /// `moreToCome`: the application has more to send at once (MSG_MORE): a partial last segment waits
    /// for the next SEND, the peer's next segment or the persist timer (RFC 9293 §3.7.4).
    public func send(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, urgent: Bool = false,
                     moreToCome: Bool = false, at now: Instant) throws(EngineError) -> Int {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        let n = try c.send(bytes)
        c.moreToCome = moreToCome
        c.lastSendMoreToCome = moreToCome
        if urgent && n > 0 { c.markUrgent() }
        afterActivity(c)
        return n
    }

    /// Takes up to `maxLength` received bytes: `[]` when none are waiting yet, `nil` at end of stream
    /// (the peer's FIN has arrived and everything before it was read).
    public func receive(_ id: ConnectionID, maxLength: Int, at now: Instant) throws(EngineError) -> [UInt8]? {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        let r = try c.receive(maxLength: max(0, maxLength))
        afterActivity(c)
        return r
    }

    /// Reads received bytes into `buffer`: the count copied (0 when none are waiting), or `nil` at end
    /// of stream. The allocation-free form of `receive(_:maxLength:at:)`.
    public func receive(_ id: ConnectionID, into buffer: UnsafeMutableRawBufferPointer, at now: Instant) throws(EngineError) -> Int? {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        let r = try c.receive(into: buffer)
        afterActivity(c)
        return r
    }

    /// Half-close: a FIN follows the data already queued; receiving goes on (RFC 9293 §3.10.4).
    public func shutdown(_ id: ConnectionID, at now: Instant) throws(EngineError) {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        try c.shutdown(at: now)
        afterActivity(c)
    }

    /// Close both directions (RFC 9293 §3.10.4); data queued is still sent before the FIN.
    public func close(_ id: ConnectionID, at now: Instant) throws(EngineError) {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        try c.close(at: now)
        afterActivity(c)
    }

    /// ABORT: sends a RST and deletes the TCB at once (RFC 9293 §3.10.5).
    public func abort(_ id: ConnectionID, at now: Instant) {
        guard let c = connectionsByID[id] else { return }
        c.abort()
        afterActivity(c)
    }

    /// Changes how an open connection sends, as `setsockopt` does on a connected socket: the send
    /// buffer's size (SO_SNDBUF; a smaller one takes no more data until the queue drains below it),
    /// Nagle's algorithm (TCP_NODELAY) and corking (TCP_CORK, MSG_MORE: only full segments go out).
    /// Data held by Nagle or the cork is reconsidered at once (turning either off pushes it).
    /// `push`: what is queued goes out now even if corked (Linux's TCP_NODELAY sets TCP_NAGLE_PUSH).
    public func configureSending(_ id: ConnectionID, sendBufferSize: Int? = nil, nagle: Bool? = nil,
                                 corked: Bool? = nil, push: Bool = false, at now: Instant) throws(EngineError) {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        if let sendBufferSize { c.sendBuffer.capacity = sendBufferSize }
        if let nagle { c.nagle = nagle }
        if let corked { c.corked = corked }
        if push { c.pushMark = c.dataEnd; c.moreToCome = false }
        afterActivity(c)
    }

    /// Resizes an open connection's receive buffer, as SO_RCVBUF does on a connected socket. The window
    /// scale stays what the handshake fixed (RFC 7323 §2.2), and the offered right edge never moves left
    /// (RFC 9293 §3.8.6.2.2): a smaller buffer stops the window from growing until the data is read; a
    /// larger one may open it at once, with a window update.
    public func configureReceiving(_ id: ConnectionID, receiveBufferSize: Int, at now: Instant) throws(EngineError) {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        c.receiveBuffer.capacity = receiveBufferSize
        c.considerWindowUpdate()
        afterActivity(c)
    }

    /// Turns keep-alive probes on (with these settings) or off (`nil`) for one connection (RFC 9293 §3.8.4).
    public func setKeepalive(_ id: ConnectionID, _ settings: KeepaliveSettings?, at now: Instant) throws(EngineError) {
        guard let c = connectionsByID[id] else { throw .unknownConnection }
        c.keepalive = settings
        c.keepaliveProbesSent = 0
        c.timers.stop(.keepalive)
        c.armKeepalive(at: now)
        afterActivity(c)
    }

    // MARK: Getters

    /// A copy of a connection's variables, or `nil` if the id is unknown (or the TCB was deleted).
    public func snapshot(_ id: ConnectionID) -> ConnectionSnapshot? { connectionsByID[id]?.snapshot() }

    /// The live connections, oldest first.
    public var connectionIDs: [ConnectionID] { connectionsByID.keys.sorted() }

    /// A copy of a listener's queues and flood counters, or `nil` if the id is unknown.
    public func listenerSnapshot(_ id: ListenerID) -> ListenerSnapshot? { listeners[id]?.snapshot() }

    /// The listeners, oldest first.
    public var listenerIDs: [ListenerID] { listeners.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The ports the listeners use (a driver's receive filter lets segments for them through).
    public var listenerPorts: [UInt16] { listeners.values.map(\.port) }

    /// A connection's state, or `nil` if the id is unknown.
    public func state(of id: ConnectionID) -> TCPState? { connectionsByID[id]?.state }

    /// A connection's state with its addresses and ports (one lookup), or `nil` if the id is unknown.
    public func stateAndTuple(of id: ConnectionID) -> (state: TCPState, tuple: FourTuple)? {
        guard let c = connectionsByID[id] else { return nil }
        return (c.state, c.tuple)
    }

    // MARK: Demultiplexing

    private func dispatch(_ seg: IncomingSegment, source: IPAddress, destination: IPAddress,
                          sourcePort: UInt16, destinationPort: UInt16, at now: Instant) {
        guard localAddresses.contains(destination) else {
            // Not ours (a link delivering everything it sees): neither answered nor counted as a stray.
            return
        }
        let tuple = FourTuple(localAddress: destination, localPort: destinationPort,
                              remoteAddress: source, remotePort: sourcePort)
        if let c = connectionsByTuple[tuple] {
            if c.state == .timeWait && isAcceptableReuse(of: c, by: seg) {
                // RFC 9293 §3.6.1 / RFC 6191: a new SYN in TIME-WAIT whose sequence number (or timestamp)
                // is above the old incarnation's ends TIME-WAIT and opens a new connection.
                c.finish()
                afterActivity(c)
            } else {
                c.handle(seg, at: now)
                afterActivity(c)
                return
            }
        }
        if let l = listener(for: destination, destinationPort) {
            handleInListen(l, seg, tuple, at: now)
            return
        }
        handleInClosed(seg, tuple)
    }

    /// RFC 6191 §2: reuse is safe if the SYN's timestamp exceeds the last one seen, or (without
    /// timestamps) its sequence number is above RCV.NXT of the old incarnation.
    private func isAcceptableReuse(of c: Connection, by seg: IncomingSegment) -> Bool {
        guard seg.flags.contains(.syn), !seg.flags.contains(.ack), !seg.flags.contains(.rst) else { return false }
        if c.timestampsEnabled, let ts = seg.timestamp {
            return Int32(bitPattern: ts.value &- c.tsRecent) > 0
        }
        return c.rcv.nxt < seg.seq
    }

    /// True if a listener or a TCB (TIME-WAIT included) of this stack uses `port`.
    public func ownsPort(_ port: UInt16) -> Bool {
        if portUse[port, default: 0] > 0 { return true }
        return listeners.values.contains { $0.port == port }
    }

    /// The listener that takes a SYN to `address:port` (at most one covers it: see `listen`).
    private func listener(for address: IPAddress, _ port: UInt16) -> Listener? {
        listeners.values.first { $0.covers(address, port) }
    }

    /// RFC 9293 §3.10.7.1: no TCB. A RST is dropped; anything else draws a RST.
    private func handleInClosed(_ seg: IncomingSegment, _ tuple: FourTuple) {
        // Not ours to answer on a shared host: a kernel socket's or another process's port.
        if !configuration.resetsUnownedPorts && !ownsPort(tuple.localPort) { return }
        context.statistics.noConnectionSegments += 1
        replyWithReset(to: seg, tuple)
    }

    /// The RST of RFC 9293 §3.10.7.1: `<SEQ=SEG.ACK><CTL=RST>` if the segment had an ACK, else
    /// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
    private func replyWithReset(to seg: IncomingSegment, _ tuple: FourTuple) {
        guard !seg.flags.contains(.rst) else { return }
        if seg.flags.contains(.ack) {
            context.queueReset(tuple, seq: seg.ack, ack: nil)
        } else {
            context.queueReset(tuple, seq: 0, ack: seg.seq + seg.len)
        }
        context.statistics.resetsSent += 1
    }

    /// RFC 9293 §3.10.7.2: RST ignored; ACK answered by RST (unless it returns a SYN cookie); SYN opens
    /// an embryonic connection if the backlog has room, otherwise `configuration.synFloodDefense` decides.
    private func handleInListen(_ l: Listener, _ seg: IncomingSegment, _ tuple: FourTuple, at now: Instant) {
        if seg.flags.contains(.rst) { return }
        if seg.flags.contains(.ack) {
            if !seg.flags.contains(.syn), l.cookiesRecentlySent(at: now) {
                if acceptCookie(l, seg, tuple, at: now) { return }
                context.statistics.synCookiesRejected += 1
            }
            context.queueReset(tuple, seq: seg.ack, ack: nil)
            context.statistics.resetsSent += 1
            return
        }
        guard seg.flags.contains(.syn) else { return }
        if l.isFull {
            switch configuration.synFloodDefense {
            case .cookies where l.acceptQueue.count < l.backlog:
                sendCookie(l, seg, tuple, at: now)
                return
            case .recycleOldest where !l.embryonic.isEmpty:
                // RFC 4987 §3.4: the oldest half-open TCB (lowest id: ids grow with time) makes room,
                // deleted silently (its peer, most likely spoofed, gets no RST).
                if let oldest = l.embryonic.min(), let c = connectionsByID[oldest] {
                    context.statistics.halfOpenRecycled += 1
                    c.finish()
                    afterActivity(c)
                }
            default:
                context.statistics.synBacklogDrops += 1
                l.synsDropped += 1
                return
            }
        }
        let c = makeConnection(tuple, at: now)
        c.listener = l.id
        c.origin = l
        l.embryonic.insert(c.id)
        c.acceptSYN(seg, at: now)
        afterActivity(c)
    }

    /// RFC 4987 §3.6: answers a SYN with a SYN-ACK whose ISN is a cookie, keeping no state. Data on the
    /// SYN is not acknowledged (nothing could hold it); the peer sends it again after the handshake.
    private func sendCookie(_ l: Listener, _ seg: IncomingSegment, _ tuple: FourTuple, at now: Instant) {
        let mssIndex = SynCookieCodec.mssIndex(for: seg.mss ?? 536)
        let cookie = cookies.encode(tuple, peerISN: seg.seq, mssIndex: mssIndex, at: now)
        var s = OutgoingSegment(seq: cookie, ack: seg.seq + 1, flags: [.syn, .ack],
                                window: UInt16(min(configuration.receiveBufferSize, Int(UInt16.max))))
        s.mss = configuration(for: tuple).mss
        if configuration.timestamps, let ts = seg.timestamp {
            // Options beyond the MSS survive only in the timestamp the peer echoes.
            // The peer's shift goes into TSval; ours is derived from the configuration again later.
            let peerShift = configuration.windowScaling ? seg.windowScale.map { min($0, 14) } : nil
            let sack = configuration.sack && seg.sackPermitted
            let clock = Connection.timestampClock(now, offset: Connection.timestampOffset(iss: cookie))
            s.timestamp = (SynCookieCodec.timestampValue(clock: clock, windowShift: peerShift, sack: sack), ts.value)
            s.windowScale = peerShift == nil ? nil : Connection.windowShift(for: configuration)
            s.sackPermitted = sack
        }
        s.payloadLength = 0
        context.replies.append((tuple, s))
        context.statistics.synCookiesSent += 1
        l.cookiesSent += 1
        l.lastCookieSent = now
    }

    /// RFC 4987 §3.6: an ACK whose SEG.ACK − 1 is a valid cookie rebuilds the connection the SYN would
    /// have made (ISS = cookie, IRS = SEG.SEQ − 1, the MSS and, from TSecr, window scale and SACK), and
    /// then takes the ACK (and any data on it) as SYN-RECEIVED would. `false` if the cookie is invalid.
    private func acceptCookie(_ l: Listener, _ seg: IncomingSegment, _ tuple: FourTuple, at now: Instant) -> Bool {
        let cookie = seg.ack - 1
        let peerISN = seg.seq - 1
        guard let index = cookies.decode(tuple, peerISN: peerISN, cookie: cookie, at: now) else { return false }
        guard l.acceptQueue.count < l.backlog else {
            // Like Linux: a full accept queue drops the ACK; the peer's retransmission may find room.
            context.statistics.synBacklogDrops += 1
            l.synsDropped += 1
            return true
        }
        var syn = IncomingSegment(seq: peerISN, ack: 0, flags: .syn, window: seg.window, urgentPointer: 0,
                                  payload: UnsafeRawBufferPointer(start: nil, count: 0))
        syn.mss = SynCookieCodec.mssTable[Int(index)]
        if let ts = seg.timestamp, configuration.timestamps {
            let options = SynCookieCodec.options(fromEcho: ts.echoReply)
            syn.timestamp = (ts.value, 0)
            syn.windowScale = options.windowShift
            syn.sackPermitted = options.sack
        }
        let c = makeConnection(tuple, at: now, iss: cookie)
        c.listener = l.id
        c.origin = l
        l.embryonic.insert(c.id)
        c.acceptSYN(syn, at: now)
        c.synAckSentByCookie(at: now)
        context.statistics.synCookiesValidated += 1
        l.cookiesValidated += 1
        c.handle(seg, at: now)
        if c.state == .synReceived {
            // The ACK was refused after all: with no SYN-ACK of its own to retransmit, the TCB would
            // hold a backlog slot for ever; drop it (the peer's next ACK draws a RST).
            c.finish()
        }
        afterActivity(c)
        return true
    }

    private func makeConnection(_ tuple: FourTuple, at now: Instant, iss: SequenceNumber? = nil) -> Connection {
        let id = ConnectionID(rawValue: nextConnectionID)
        nextConnectionID += 1
        let c = Connection(id: id, tuple: tuple, configuration: configuration(for: tuple), context: context,
                           iss: iss ?? isn.isn(for: tuple, at: now), now: now)
        if tuple.isIPv6 { c.flowLabel = isn.flowLabel(for: tuple) }
        connectionsByTuple[tuple] = c
        connectionsByID[id] = c
        portUse[tuple.localPort, default: 0] += 1
        return c
    }

    /// The configuration a connection on `tuple` runs with: the stack's, with an IPv6 connection's MSS
    /// lowered for the 20 more bytes of IPv6 header (`configuration.mss` is the IPv4 one: link MTU − 40).
    private func configuration(for tuple: FourTuple) -> StackConfiguration {
        guard tuple.isIPv6 else { return configuration }
        var c = configuration
        c.mss = MaximumSegmentSize.forLink(mtu: Int(configuration.mss) + 40, ipv6: true)
        return c
    }

    /// RFC 6056 §3.3.3 (Algorithm 3): port = min + (next_ephemeral + F(addresses, remote port, key)) mod num,
    /// trying successive ports until the 4-tuple is free.
    private func ephemeralTuple(local: IPAddress, remote: IPAddress, remotePort: UInt16) throws(EngineError) -> FourTuple {
        let range = configuration.ephemeralPorts
        let count = UInt32(range.upperBound) - UInt32(range.lowerBound) + 1
        let offset = isn.portOffset(local: local, remote: remote, remotePort: remotePort)
        var tries: UInt32 = 0
        while tries < count {
            let port = UInt16(UInt32(range.lowerBound) + (nextEphemeral &+ offset) % count)
            nextEphemeral &+= 1
            tries += 1
            let tuple = FourTuple(localAddress: local, localPort: port, remoteAddress: remote, remotePort: remotePort)
            if connectionsByTuple[tuple] == nil && listener(for: local, port) == nil { return tuple }
        }
        throw .noEphemeralPort
    }

    // MARK: Bookkeeping after every input, call and timer

    /// Listener queues, deletion of closed TCBs, the transmit queue and the timer heap.
    private func afterActivity(_ c: Connection) {
        if let lid = c.listener, let l = listeners[lid] {
            if c.state == .closed {
                // An embryonic connection is forgotten (RFC 9293 §3.10.7.4: back to LISTEN); one already
                // in the accept queue stays there for `accept` to report.
                l.embryonic.remove(c.id)
            } else if c.state.isSynchronized && !c.announcedToListener {
                c.announcedToListener = true
                l.embryonic.remove(c.id)
                l.acceptQueue.append(c.id)
                context.events.append(.incoming(lid))
            }
        }
        if c.state == .closed {
            if !c.releasedTuple {
                c.releasedTuple = true
                if connectionsByTuple[c.tuple] === c { connectionsByTuple[c.tuple] = nil }
                let left = portUse[c.tuple.localPort, default: 1] - 1
                portUse[c.tuple.localPort] = left > 0 ? left : nil
            }
            let awaitsAccept = c.listener.map { listeners[$0] != nil } == true && c.announcedToListener
            if (c.isDeletable && !awaitsAccept) || (c.listener != nil && !c.announcedToListener) {
                connectionsByID[c.id] = nil
            }
            c.scheduledDeadline = nil
            return
        }
        if !c.isQueuedForTransmit {
            c.isQueuedForTransmit = true
            transmitQueue.append(c)
        }
        reschedule(c)
    }

    private func reschedule(_ c: Connection) {
        guard let d = c.nextDeadline else { return }
        if let s = c.scheduledDeadline, s <= d { return }
        c.scheduledDeadline = d
        timerHeap.push(.init(deadline: d, id: c.id))
    }

    /// The next segment from replies first, then connections in round-robin order.
    private func nextOutgoing(at now: Instant) -> (FourTuple, OutgoingSegment, Connection?)? {
        if !context.replies.isEmpty {
            let (tuple, seg) = context.replies.removeFirst()
            context.statistics.packetsSent += 1
            lastTransmitReason = seg.reason
            return (tuple, seg, nil)
        }
        while transmitHead < transmitQueue.count {
            let c = transmitQueue[transmitHead]
            if c.state != .closed, let seg = c.nextSegment(at: now) {
                reschedule(c)
                context.statistics.packetsSent += 1
                lastTransmitReason = seg.reason
                return (c.tuple, seg, c)
            }
            transmitHead += 1
            c.isQueuedForTransmit = false
            if c.state != .closed { reschedule(c) }
            if transmitHead == transmitQueue.count {
                transmitQueue.removeAll(keepingCapacity: true)
                transmitHead = 0
                break
            }
        }
        return nil
    }

    // MARK: Packets

    private func makePacket(_ tuple: FourTuple, _ s: OutgoingSegment, _ c: Connection?) -> IPPacket {
        ipIdentification &+= 1
        let payload = c.map { $0.sendBuffer.bytes(from: s.payloadOffset, count: s.payloadLength) } ?? []
        let segment = TCPSegment(sourcePort: tuple.localPort, destinationPort: tuple.remotePort,
                                 sequenceNumber: s.seq, acknowledgmentNumber: s.ack, flags: s.flags,
                                 window: s.window, urgentPointer: s.urgentPointer, options: s.options, payload: payload)
        switch (tuple.local.address, tuple.remote.address) {
        case (.v4(let local), .v4(let remote)):
            let header = IPv4Header(source: local, destination: remote, tos: s.ipECN, identification: ipIdentification)
            return .v4(IPv4Packet(header: header, segment: segment))
        default:
            let local = tuple.local.address.bits128, remote = tuple.remote.address.bits128
            var header = IPv6Header(source: IPv6Address(high: local.high, low: local.low),
                                    destination: IPv6Address(high: remote.high, low: remote.low))
            header.trafficClass = s.ipECN
            header.flowLabel = flowLabel(tuple, c)
            header.hopLimit = PacketEmitter.hopLimit
            return .v6(IPv6Packet(header: header, segment: segment))
        }
    }

    private func emitPacket(_ tuple: FourTuple, _ s: OutgoingSegment, _ c: Connection?, into w: inout ByteWriter) {
        ipIdentification &+= 1
        PacketEmitter.emit(tuple: tuple, segment: s, payloadFrom: c?.sendBuffer, identification: ipIdentification,
                           flowLabel: flowLabel(tuple, c), into: &w)
    }

    /// The IPv6 flow label of a packet on `tuple` (RFC 6437 §3): the connection's, computed once when
    /// it was made; hashed here only for a reply that has no connection (a RST). 0 for IPv4.
    private func flowLabel(_ tuple: FourTuple, _ c: Connection?) -> UInt32 {
        guard tuple.isIPv6 else { return 0 }
        return c?.flowLabel ?? isn.flowLabel(for: tuple)
    }
}
