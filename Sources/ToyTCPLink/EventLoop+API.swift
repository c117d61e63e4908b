#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine
import ToyTCPWire

extension EventLoop {
    // MARK: Calls, blocking and async

    /// Runs `body` on the loop (again after each event for the key it waits on) and blocks the calling
    /// thread until it is done. On an idle loop the calling thread makes the first attempt itself
    /// (`runInline`), unless `onLoopThread` (a call about the loop's own thread: its scheduling, its
    /// wait policy).
    func blockingCall<T: Sendable>(timeout: Duration? = nil,
                                   onAbandon: (@Sendable (EventLoop) -> Void)? = nil,
                                   onLoopThread: Bool = false,
                                   _ body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>) throws -> T {
        precondition(!isHeldByCallingThread,
                     "a blocking toytcp call from code the event loop runs (its thread, a completion) would wait forever")
        let call = BlockingCall(timeout: timeout, onAbandon: onAbandon,
                                adaptive: adaptiveCallerWait.load(ordering: .relaxed), body: body)
        perform(call, inline: !onLoopThread)
        return try call.wait(on: self)
    }

    /// The async form of `blockingCall`: suspends instead of blocking a thread.
    func asyncCall<T: Sendable>(timeout: Duration? = nil,
                                onAbandon: (@Sendable (EventLoop) -> Void)? = nil,
                                _ body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            perform(CompletionCall(timeout: timeout, onAbandon: onAbandon, body: body,
                                   completion: { continuation.resume(with: $0) }))
        }
    }

    // MARK: Opening connections

    /// Active OPEN (RFC 9293 §3.10.1): a SYN to `remote:port`; returns once the connection is
    /// established.
    ///
    /// - Parameters:
    ///   - local: the source address; default: the one the routing table picks for `remote`.
    ///   - localPort: default: an ephemeral port (RFC 6056).
    ///   - timeout: a bound on the whole call; the SYN retries of `StackConfiguration` bound it anyway.
    /// - Throws: `EngineError.connectionRefused` (the peer answered RST), `.timedOut` (SYN retries ran
    ///   out, or `timeout`), `LinkError.noRoute`, `.addressNotOnInterface`.
    public func connect(to remote: IPv4Address, port: UInt16, from local: IPv4Address? = nil,
                        localPort: UInt16? = nil, timeout: Duration? = nil) throws -> TCPConnection {
        try connect(to: .v4(remote), port: port, from: local.map { .v4($0) }, localPort: localPort, timeout: timeout)
    }

    /// Active OPEN, async.
    public func connect(to remote: IPv4Address, port: UInt16, from local: IPv4Address? = nil,
                        localPort: UInt16? = nil, timeout: Duration? = nil) async throws -> TCPConnection {
        try await connect(to: .v4(remote), port: port, from: local.map { .v4($0) }, localPort: localPort, timeout: timeout)
    }

    /// Active OPEN whose `completion` runs on the loop thread as soon as the connection is established
    /// (or fails): no hand-off between threads, no wake-up of a waiting caller. For code that can live
    /// on the loop (a server's or benchmark's state machine): `completion` must be quick, must not call
    /// the blocking API (it would wait for itself), and may call this again and
    /// `TCPConnection.abortOnLoop()`.
    public func connect(to remote: IPv4Address, port: UInt16, from local: IPv4Address? = nil,
                        localPort: UInt16? = nil, timeout: Duration? = nil,
                        onLoop completion: @escaping @Sendable (Result<TCPConnection, any Error>) -> Void) {
        let attempt = ConnectAttempt(remote: .v4(remote), port: port, local: local.map { .v4($0) }, localPort: localPort)
        perform(CompletionCall(timeout: timeout, onAbandon: { attempt.abandon($0) }, body: { loop, now in try attempt.step(loop, now) },
                               completion: completion))
    }

    /// Active OPEN over IPv6 (or IPv4: `.v4`), blocking: as `connect(to:port:from:localPort:timeout:)`.
    /// The loop must have been opened with IPv6 addresses (`EventLoop(ipv6Addresses:)`).
    public func connect(to remote: IPAddress, port: UInt16, from local: IPAddress? = nil,
                        localPort: UInt16? = nil, timeout: Duration? = nil) throws -> TCPConnection {
        let attempt = ConnectAttempt(remote: remote, port: port, local: local, localPort: localPort)
        return try blockingCall(timeout: timeout, onAbandon: { attempt.abandon($0) }) { loop, now in try attempt.step(loop, now) }
    }

    /// `connect(to: IPAddress, …)`, async.
    public func connect(to remote: IPAddress, port: UInt16, from local: IPAddress? = nil,
                        localPort: UInt16? = nil, timeout: Duration? = nil) async throws -> TCPConnection {
        let attempt = ConnectAttempt(remote: remote, port: port, local: local, localPort: localPort)
        return try await asyncCall(timeout: timeout, onAbandon: { attempt.abandon($0) }) { loop, now in try attempt.step(loop, now) }
    }

    /// One attempt of an active OPEN: the SYN the first time (after checking the source address), then,
    /// after each event of the connection, whether it is established, failed or still waiting.
    fileprivate func connectStep(_ attempt: ConnectAttempt, at now: Instant) throws -> Step<TCPConnection> {
        let remote = attempt.remote
        guard let id = attempt.id else {
            let source = try attempt.local ?? sourceAddress(toward: remote)
            guard stack.localAddresses.contains(source) else {
                switch source {
                case .v4(let a): throw LinkError.addressNotOnInterface(a, available: stack.addresses)
                case .v6(let a): throw LinkError.ipv6AddressNotOnInterface(a, available: stack.localAddresses.compactMap {
                    if case .v6(let b) = $0 { return b } else { return nil } })
                }
            }
            let id = try stack.connect(to: remote, port: attempt.port, from: source, localPort: attempt.localPort, at: now)
            attempt.id = id
            // The SYN goes out in the flush after this call; the answer wakes us.
            return .wait(.connection(id))
        }
        if let ending = endings[id] {
            switch ending {
            case .failed(let error): throw error
            case .closed: throw EngineError.notConnected
            }
        }
        guard let (state, tuple) = stack.stateAndTuple(of: id) else { throw EngineError.connectionReset }
        if state.isSynchronized {
            return .done(TCPConnection(loop: self, id: id, tuple: tuple))
        }
        return .wait(.connection(id))
    }

    /// The source address for `remote`, from the kernel's routing table of the loop's namespace (the
    /// loop thread is in it even when the caller is not).
    ///
    /// The answer is cached for a second: the lookup costs four system calls (socket, connect,
    /// getsockname, close), a fifth of a handshake here, and routes rarely change faster than that.
    func sourceAddress(toward remote: IPAddress) throws(LinkError) -> IPAddress {
        let now = monotonicNow()
        if let cached = routeCache[remote], now < cached.expiry { return cached.source }
        let source: IPAddress
        switch remote {
        case .v4(let a): source = .v4(try RouteLookup.sourceAddress(toward: a))
        case .v6(let a): source = .v6(try RouteLookup.sourceAddress(toward: a))
        }
        if routeCache.count >= 1024 { routeCache.removeAll(keepingCapacity: true) }
        routeCache[remote] = (source, now + .seconds(1))
        return source
    }

    /// Passive OPEN (RFC 9293 §3.10.1): listens on `port` of `address` (`nil`: every address of the
    /// stack). The port is reserved in the kernel too, so "in use" means in use by anyone here.
    ///
    /// - Throws: `LinkError.portInUse`, `.addressNotOnInterface`, `EngineError.addressInUse`.
    public func listen(on address: IPv4Address? = nil, port: UInt16, backlog: Int? = nil) throws -> TCPListener {
        try blockingCall { loop, now in .done(try loop.listenNow(address: address.map { .v4($0) }, port: port, backlog: backlog)) }
    }

    /// Passive OPEN, async.
    public func listen(on address: IPv4Address? = nil, port: UInt16, backlog: Int? = nil) async throws -> TCPListener {
        try await asyncCall { loop, now in .done(try loop.listenNow(address: address.map { .v4($0) }, port: port, backlog: backlog)) }
    }

    /// Passive OPEN on an address of either family, `::` (every IPv6 address of the stack) or
    /// `0.0.0.0`, blocking; `listen(port:)` without an address covers both families (see `Stack`).
    public func listen(on address: IPAddress?, port: UInt16, backlog: Int? = nil) throws -> TCPListener {
        try blockingCall { loop, now in .done(try loop.listenNow(address: address, port: port, backlog: backlog)) }
    }

    /// A kernel socket holds the port (on the address, or the family's wildcard) so the kernel's own
    /// sockets cannot take it; a listener on no address takes both families (see `Stack.listen`), so it
    /// holds the port on `0.0.0.0` and, when the stack has IPv6 addresses, on `::` too.
    private func listenNow(address: IPAddress?, port: UInt16, backlog: Int?) throws -> TCPListener {
        if let address, !address.isUnspecified, !stack.localAddresses.contains(address) {
            switch address {
            case .v4(let a): throw LinkError.addressNotOnInterface(a, available: stack.addresses)
            case .v6(let a): throw LinkError.ipv6AddressNotOnInterface(a, available: (try? InterfaceAddress.usableIPv6()) ?? [])
            }
        }
        var reservation: PortReservation
        switch address {
        case .v6(let a)?: reservation = try PortReservation(address: a, port: port)
        case .v4(let a)?: reservation = try PortReservation(address: a, port: port)
        case nil:
            reservation = try PortReservation(address: IPv4Address.any, port: port)
            if stack.localAddresses.contains(where: \.isIPv6) {
                do { reservation.alsoHeld = try PortReservation(address: IPv6Address.any, port: port).descriptor }
                catch { reservation.release(); throw error }
            }
        }
        do {
            let id = try stack.listen(address: address, port: port, backlog: backlog)
            reservations[id] = reservation
            return TCPListener(loop: self, id: id, address: address, port: port)
        } catch {
            reservation.release()
            throw error
        }
    }

    /// Runs `body` on the loop thread, after what is queued, without waiting for it: how code that lives
    /// on the loop (see `connect(…onLoop:)`) starts, or continues after the loop has sent what the
    /// current round produced. `body` must be quick and must not call the blocking API.
    public func schedule(_ body: @escaping @Sendable () -> Void) {
        submit { _ in body() }
    }

    // MARK: The stack in hand

    /// Runs `body` on the loop thread with the stack and the current time, and returns its result.
    /// Whatever `body` makes the stack send goes out right after. For the shell and for tests; the
    /// stack must not escape `body`.
    public func execute<T: Sendable>(_ body: @escaping @Sendable (Stack, Instant) throws -> T) throws -> T {
        try blockingCall { loop, now in .done(try body(loop.stack, now)) }
    }

    /// `execute`, async.
    public func execute<T: Sendable>(_ body: @escaping @Sendable (Stack, Instant) throws -> T) async throws -> T {
        try await asyncCall { loop, now in .done(try body(loop.stack, now)) }
    }

    /// Installs (or with `nil` removes) an observer of every engine event, called on the loop thread
    /// with the loop's clock.
    public func setEventObserver(_ observer: (@Sendable (StackEvent, Instant) -> Void)?) {
        _ = try? blockingCall { loop, _ in loop.eventObserver = observer; return .done(()) }
    }

    /// Calls `observer` on the loop thread after every flush (the engine's output sent, its events
    /// handed out): where an observer that queued quietly wakes its reader (`WakeupQueue.signal`).
    public func setFlushObserver(_ observer: (@Sendable () -> Void)?) {
        _ = try? blockingCall { loop, _ in loop.flushObserver = observer; return .done(()) }
    }

    /// Calls `observe` on the loop thread for every packet in and out, as on the wire (a stage at the
    /// wire end of the port). It must be quick and must not call the blocking API of this loop.
    public func observePackets(_ observe: @escaping @Sendable (PacketRecord) -> Void) {
        withPort { port, _ in port.addStage(PacketObserverStage(observe)) }
    }

    /// Sends a whole IPv4 packet as it is, without the stack (the shell's crafted segments), through
    /// the port's stages (marked crafted). Checksums are the caller's: the kernel drops a wrong TCP
    /// checksum silently.
    public func inject(_ packet: [UInt8]) {
        withPort { port, now in port.transmit(crafted: packet, at: now) }
    }

    /// The loop's counters and the engine's.
    public func statistics() throws -> (link: LinkStatistics, stack: StackStatistics) {
        try blockingCall { loop, _ in
            var link = loop.linkStatistics
            link.sendDrops += loop.link.sendDrops
            link.callerSleeps = loop.callerSleeps.load(ordering: .relaxed)
            return .done((link, loop.stack.statistics))
        }
    }

    // MARK: Ending

    /// Closes every connection still open (FIN after the queued data), waits up to `gracePeriod` until
    /// the peers have acknowledged everything (each connection in FIN-WAIT-2, TIME-WAIT or gone), then
    /// stops the loop. What is left then is dropped, as when a process exits.
    public func shutdown(gracePeriod: Duration = .seconds(5)) {
        let closedAll = LoopConfined(false)
        _ = try? blockingCall(timeout: gracePeriod) { loop, now -> Step<Void> in
            if !closedAll.value {
                closedAll.value = true
                for id in loop.stack.connectionIDs {
                    guard let state = loop.stack.snapshot(id)?.state else { continue }
                    switch state {
                    case .synSent, .synReceived: loop.stack.abort(id, at: now)
                    case .established, .closeWait: try? loop.stack.close(id, at: now)
                    default: break
                    }
                }
                // The FINs go out in the flush after this attempt; their ACKs wake it again.
            }
            let busy = loop.stack.connectionIDs.contains { id in
                switch loop.stack.snapshot(id)?.state {
                case .finWait1?, .closing?, .lastAck?, .established?, .closeWait?: return true
                default: return false
                }
            }
            return busy ? .wait(.anyEvent) : .done(())
        }
        stop()
    }
}

/// One active OPEN in progress: what it connects to, and its connection once the SYN is out, so that a
/// call that fails (its deadline, the loop's stop) aborts the half-open TCB. One object that both of
/// the call's closures capture alone: they need no context of their own. Touched only with the loop
/// held.
final class ConnectAttempt: @unchecked Sendable {
    let remote: IPAddress
    let port: UInt16
    let local: IPAddress?
    let localPort: UInt16?
    @exclusivity(unchecked) var id: ConnectionID? = nil

    init(remote: IPAddress, port: UInt16, local: IPAddress?, localPort: UInt16?) {
        self.remote = remote
        self.port = port
        self.local = local
        self.localPort = localPort
    }

    func step(_ loop: EventLoop, _ now: Instant) throws -> Step<TCPConnection> { try loop.connectStep(self, at: now) }

    func abandon(_ loop: EventLoop) {
        if let id, loop.stack.state(of: id) != nil { loop.stack.abort(id, at: monotonicNow()) }
    }
}
