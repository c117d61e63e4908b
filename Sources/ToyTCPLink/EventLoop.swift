#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import Synchronization
import ToyTCPEngine
import ToyTCPWire

/// The runtime around one `Stack` on a real network: one thread owns the stack and the raw socket and
/// sleeps in `epoll_wait` until a packet arrives, the engine's next timer is due (a `timerfd` armed at
/// exactly `Stack.nextDeadline`), or an application thread hands it a call (an `eventfd`).
///
/// It only moves bytes and time through the stack's `PacketPort` (the one packet path, shared with the
/// simulated host): each packet read goes to `port.receive` stamped with the time it was read, timers to
/// `port.handleTimeout`; after every input it drains `port.pollTransmit` to the socket and then
/// `port.pollEvent` to the operations waiting on those events. Trace, recording and intercept are
/// stages on that port (`withPort`, `observePackets`).
///
/// Output goes out through `SegmentRun`s: a run of consecutive segments of one flow is one GSO frame on
/// an AF_PACKET socket, the rest one `sendto` each on the raw socket. Input is read a batch at a time,
/// each packet stamped with the kernel's receive time.
///
/// On a shared host it answers only for what it owns (`StackConfiguration.resetsUnownedPorts` is
/// turned off): kernel sockets and other toytcp processes in the namespace are left alone.
/// Received packets are read with one reusable buffer, sent packets are emitted into another: nothing
/// is allocated per packet here.
///
/// The engine's types are not `Sendable` and are used by one thread at a time, the one holding the
/// loop (`ownership`): the loop's thread while it works, or, while the loop is idle, an application
/// thread that runs its own blocking call in the loop's place (`runInline`), as the kernel runs
/// `connect()` in the caller's context. Applications use the blocking and async API (`connect`,
/// `listen`, `TCPConnection`, `TCPListener`), or `execute` to run code with the stack in hand (what the
/// shell does). `EventLoop` itself is `Sendable`: the state shared between threads is the inbox of
/// calls, behind a `Mutex`, and the ownership lock.
public final class EventLoop: @unchecked Sendable {
    // MARK: Shared between threads (behind the mutex)

    struct Inbox {
        var commands: [@Sendable (EventLoop) -> Void] = []
        var wakePending = false
        /// The loop has decided to block in `epoll_wait` (with no command waiting): only then does a
        /// new command need the eventfd; an awake loop looks at the inbox before it sleeps.
        var sleeping = false
        var stopped = false
        var stopRequested = false
    }
    let inbox = Mutex(Inbox())
    /// Commands were queued without writing the eventfd (the loop was awake): a polling loop checks
    /// this flag instead of waiting for the eventfd.
    let commandsWaiting = Atomic<Bool>(false)
    /// A copy of `Inbox.sleeping` callers may read without the lock: a blocked caller spins while the
    /// loop works on its call and sleeps once the loop sleeps (`BlockingCall`, `CallerWait.adaptive`).
    let loopSleeping = Atomic<Bool>(false)
    /// How blocked callers wait for the loop (`setCallerWait`).
    let adaptiveCallerWait = Atomic<Bool>(false)
    /// Blocking calls whose caller went to sleep on its semaphore (`LinkStatistics.callerSleeps`).
    let callerSleeps = Atomic<Int>(0)
    /// Held by whoever runs the stack and the sockets: the loop thread from the moment `epoll_wait`
    /// returns until it waits again, or an application thread running its call inline. Everything
    /// under "Confined to the loop" is touched only with it held.
    let ownership = Mutex<Void>(())
    /// The thread holding `ownership` (0: nobody), for the "would wait for itself" checks.
    let ownerThread = Atomic<UInt>(0)
    /// The loop's thread woke while a caller held the loop and left what woke it to whoever holds the
    /// loop next (`sweepDeferredWork`), as the kernel leaves a segment for a socket its user holds to
    /// `release_sock`: it never sleeps on the lock, so the caller's unlock wakes nobody.
    let deferredWork = Atomic<Bool>(false)
    /// The timer fired while its expiry was deferred (the loop's thread read the timerfd).
    let deferredTimerExpiry = Atomic<Bool>(false)
    /// The network namespace of the loop's thread (`NetworkNamespace.currentID`). Only a caller in the same
    /// namespace may run its call inline: route lookups and port reservations are per namespace.
    let namespaceID: UInt64

    // MARK: Confined to the loop (touched only with `ownership` held)

    let port: PacketPort
    var stack: Stack { port.stack }
    let link: RawSocketLink
    /// The IPv6 sockets, open when the stack has IPv6 addresses (`RawIPv6Link`).
    let link6: RawIPv6Link?
    /// The stack's addresses, for the cheap "is this packet for us" check (loopback traffic of the
    /// kernel reaches a raw socket too).
    private let localAddresses: [IPv4Address]
    private let epollDescriptor: CInt
    private let timerDescriptor: CInt
    private let wakeDescriptor: CInt
    private var thread = pthread_t()
    var running = true
    private var armedDeadline: Instant? = nil
    /// Packets are read `receiveBatch.capacity` at a time (`recvmmsg`), with their kernel receive times.
    private let receiveBatch = ReceiveBatch(capacity: EventLoop.receiveBatchSize)
    /// The IPv6 socket's receive buffer (allocated when an IPv6 packet is first read).
    private var ipv6Buffer: [UInt8] = []
    /// Lent to the engine for each packet it writes (`pollTransmit(into:)`); the port's stages see
    /// copies, never the writer, so no access to it can nest: no run-time exclusivity check (see
    /// `Stack` in the engine).
    @exclusivity(unchecked) private var transmitWriter = ByteWriter(capacity: 65_536)
    /// Packets or frames a socket could not queue (EAGAIN), in order, sent when it becomes writable.
    // `@exclusivity(unchecked)` on the containers below, as on the engine's (see `Stack`): changed only
    // by stdlib methods.
    @exclusivity(unchecked) var blockedSends: [BlockedSend] = []
    private var watchingWritable = false
    /// The receive sockets' arrivals are hidden from the loop's thread: an inline call runs.
    private var socketsQuiet = false
    /// The segmentation-offload path (nil: off, or no AF_PACKET socket): runs of segments go out as
    /// one GSO frame each (`SegmentRun`, `PacketSocketLink`).
    let segmentLink: PacketSocketLink?
    let nextHops: NextHopTable?
    @exclusivity(unchecked) var segmentRun = SegmentRun()
    /// The next hop of the run being gathered.
    var currentHop: NextHop? = nil
    var eventObserver: (@Sendable (StackEvent, Instant) -> Void)? = nil
    /// Called at the end of every `flush`, once what the engine wanted to send has been sent.
    var flushObserver: (@Sendable () -> Void)? = nil
    var linkStatistics = LinkStatistics()
    /// How the loop waits when it has nothing to do (`setWaitPolicy`).
    var waitPolicy: WaitPolicy = .sleep
    /// The loop thread's SCHED_FIFO priority, nil: the normal scheduler (`setRealTime`).
    var realTimePriority: Int32? = nil
    /// Operations waiting for an event, by what they wait on.
    @exclusivity(unchecked) var parked: [WaitKey: [ParkedOperation]] = [:]
    var parkedWithDeadline = 0
    /// No later than the earliest deadline of the operations in `parked` (nil: none has one).
    var earliestOperationDeadline: Instant? = nil
    /// The call a thread running inline (`runInline`) waits for, kept out of `parked` while that thread
    /// holds the loop: the answer to a connect's SYN usually comes within the call, and finding the call
    /// here needs no hashing (parking, waking and resuming it in `parked` cost four hash-table
    /// operations and an array). `parkInlineWait` moves it to `parked` when the inline run ends.
    var inlineWait: (key: WaitKey, operation: ParkedOperation)? = nil
    /// An event came for `inlineWait`'s key.
    var inlineWoken = false
    /// A thread runs a call inline (between its first attempt and the end of its sweep).
    var runningInline = false
    /// Keys woken by the events of the current round, run again after the events are drained.
    @exclusivity(unchecked) var woken: Set<WaitKey> = []
    /// The keys `resumeWokenOperations` is working through (empty otherwise).
    @exclusivity(unchecked) var wokenInProgress: Set<WaitKey> = []
    /// How each connection ended, kept after the engine deletes the TCB so later calls can say why.
    @exclusivity(unchecked) var endings = ConnectionEndings()
    /// Source addresses by destination, from the routing table, with their expiry.
    @exclusivity(unchecked) var routeCache: [IPAddress: (source: IPAddress, expiry: Instant)] = [:]
    /// Kernel sockets holding the ports of toytcp listeners.
    var reservations: [ListenerID: PortReservation] = [:]
    /// What the raw socket lets in (nil: everything, the kernel's default).
    private(set) var receiveFilter: ReceiveFilter?
    /// The IPv6 receive socket's filter (nil: no IPv6 socket, or unfiltered).
    private(set) var receiveFilter6: ReceiveFilter?
    /// The last source port admitted, so sending a run of segments checks the set once.
    private var lastAdmittedPort: UInt16 = 0

    /// How many packets are read before the loop sends what they caused (ACKs, data): large enough to
    /// amortise a wake-up, small enough that answers go out within microseconds.
    private static let receiveBatchSize = 32
    /// Ephemeral ports of a stack on a shared host: above the kernel's default range.
    public static let ephemeralPorts: ClosedRange<UInt16> = 61000...65535
    private static let socketEvents = EPOLLIN.rawValue | EPOLLET.rawValue
    private static let socketToken: UInt64 = 1
    private static let timerToken: UInt64 = 2
    private static let wakeToken: UInt64 = 3
    private static let ipv6SocketToken: UInt64 = 4

    /// Opens a raw socket in the namespace of the calling thread and starts the loop's thread (which
    /// inherits that namespace).
    ///
    /// - Parameters:
    ///   - addresses: the addresses the stack answers for; default: every non-loopback IPv4 address of
    ///     this namespace (`getifaddrs`). Each must be on an interface here.
    ///   - configuration: the engine's options.
    ///   - filtersReceivedPackets: attach `ReceiveFilter` to the raw socket, so segments for other
    ///     addresses and ports never reach the loop (off: the socket sees every local TCP segment).
    ///   - offloadsSegmentation: send runs of consecutive segments of a flow as one GSO frame through an
    ///     AF_PACKET socket (`SegmentRun`); the wire carries the same segments. Off: every packet goes
    ///     through the raw IP socket. The environment variable `TOYTCP_GSO=0` turns it off too.
    ///   - ipv6Addresses: IPv6 addresses the stack answers for too (default none: no IPv6 sockets are
    ///     opened); each must be on an interface here (`InterfaceAddress.usableIPv6()` lists them).
    /// - Throws: `LinkError` (`.notRoot`, `.addressNotOnInterface`, a failed system call).
    public init(addresses: [IPv4Address]? = nil, configuration: StackConfiguration = StackConfiguration(),
                receiveBufferSize: Int = 8 << 20, filtersReceivedPackets: Bool = true,
                offloadsSegmentation: Bool = true, ipv6Addresses: [IPv6Address] = []) throws(LinkError) {
        let available = try InterfaceAddress.usable()
        // IPv6 only (`addresses: []` with IPv6 addresses) is allowed; no address at all is not.
        let chosen = addresses ?? (ipv6Addresses.isEmpty ? available : [])
        for address in chosen where !available.contains(address) {
            throw .addressNotOnInterface(address, available: available)
        }
        guard !chosen.isEmpty || !ipv6Addresses.isEmpty else { throw .addressNotOnInterface(.any, available: available) }
        if !ipv6Addresses.isEmpty {
            let available6 = try InterfaceAddress.usableIPv6()
            for address in ipv6Addresses where !available6.contains(address) {
                throw .ipv6AddressNotOnInterface(address, available: available6)
            }
        }
        link = try RawSocketLink(receiveBufferSize: receiveBufferSize)
        link6 = ipv6Addresses.isEmpty ? nil : try RawIPv6Link(receiveBufferSize: receiveBufferSize)
        localAddresses = chosen
        if offloadsSegmentation && SegmentOffloadSwitch.enabled,
           let packetLink = try? PacketSocketLink(), let table = try? NextHopTable() {
            segmentLink = packetLink
            nextHops = table
        } else {
            segmentLink = nil
            nextHops = nil
        }

        // The loop's thread inherits this thread's namespace.
        namespaceID = NetworkNamespace.currentID
        epollDescriptor = try syscallOrThrow("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        timerDescriptor = try syscallOrThrow("timerfd_create") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        }
        wakeDescriptor = try syscallOrThrow("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        // The kernel stamps each packet as it reaches the socket (SO_TIMESTAMPNS); without it (an old
        // kernel) packets are stamped when read.
        _ = ctoytcp_enable_receive_timestamps(link.descriptor)

        var configuration = configuration
        // The driver supplies the randomness (the engine stays deterministic): a fresh secret per run
        // keeps ISNs (RFC 6528) and ephemeral ports (RFC 6056) unpredictable across runs.
        var secret: UInt64 = 0
        if getrandom(&secret, 8, 0) == 8 { configuration.secret = secret }
        // The namespace is shared with the kernel and other processes: answer only for our own ports,
        // and take ephemeral ports above the kernel's range (Linux: 32768-60999) so the two never pick
        // the same one.
        configuration.resetsUnownedPorts = false
        if configuration.ephemeralPorts == StackConfiguration().ephemeralPorts {
            configuration.ephemeralPorts = EventLoop.ephemeralPorts
        }
        port = PacketPort(stack: Stack(addresses: chosen.map { .v4($0) } + ipv6Addresses.map { .v6($0) },
                                       configuration: configuration))
        if filtersReceivedPackets {
            let filter = ReceiveFilter(addresses: chosen, portRange: configuration.ephemeralPorts)
            try filter.attach(to: link.descriptor)
            receiveFilter = filter
            if let link6 {
                let filter6 = ReceiveFilter(ipv6Addresses: ipv6Addresses, portRange: configuration.ephemeralPorts)
                try filter6.attach(to: link6.receiveDescriptor)
                receiveFilter6 = filter6
            }
        }

        // The sockets edge-triggered: a loop's thread that finds a caller running inline leaves their
        // packets to it (`deferWakeup`) and must not be woken again and again until they are read.
        try watch(link.descriptor, token: Self.socketToken, events: Self.socketEvents, op: EPOLL_CTL_ADD)
        try watch(timerDescriptor, token: Self.timerToken, events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)
        try watch(wakeDescriptor, token: Self.wakeToken, events: EPOLLIN.rawValue, op: EPOLL_CTL_ADD)
        if let link6 {
            try watch(link6.receiveDescriptor, token: Self.ipv6SocketToken, events: Self.socketEvents, op: EPOLL_CTL_ADD)
        }

        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, box)
        if created != 0 {
            Unmanaged<EventLoop>.fromOpaque(box).release()
            throw .system(call: "pthread_create", errno: .init(rawValue: created))
        }
    }

    private func watch(_ fd: CInt, token: UInt64, events: UInt32, op: Int32) throws(LinkError) {
        var event = ctoytcp_epoll_event(events, token)
        _ = try syscallOrThrow("epoll_ctl") { epoll_ctl(epollDescriptor, op, fd, &event) }
    }

    // MARK: Handing work to the loop

    /// Queues `command` to run on the loop thread and wakes the loop. Returns false if the loop has
    /// stopped (the command will never run).
    @discardableResult
    func submit(_ command: @escaping @Sendable (EventLoop) -> Void) -> Bool {
        let mustWake = inbox.withLock { inbox -> Bool? in
            if inbox.stopped { return nil }
            inbox.commands.append(command)
            // An awake loop takes the command before it sleeps: no eventfd write, no epoll wake-up.
            guard inbox.sleeping, !inbox.wakePending else { return false }
            inbox.wakePending = true
            return true
        }
        guard let mustWake else { return false }
        if !mustWake { commandsWaiting.store(true, ordering: .releasing) }
        if mustWake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeDescriptor, &one, 8)
        }
        return true
    }

    // MARK: The loop

    private func run() {
        // timerfd expiries are otherwise delayed by the default 50 µs timer slack.
        _ = ctoytcp_set_timer_slack(1)
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        var policy = owning { waitPolicy }
        // Counted while the loop did not hold itself; added once it does.
        var counts = WaitCounts()
        var idle: Int64 = 0
        while true {
            // Waiting, the loop does not hold itself: an idle loop lets a caller run its call inline.
            let sleepStart = monotonicNow()
            let count = events.withUnsafeMutableBufferPointer { waitForEvents(epollDescriptor, into: $0, policy: policy, counts: &counts) }
            idle += monotonicNow().nanoseconds - sleepStart.nanoseconds
            if count < 0 { fatalError("epoll_wait: \(errno)") }
            let goOn = tryOwning {
                linkStatistics.idleNanoseconds += idle
                linkStatistics.emptyPolls += counts.emptyPolls
                linkStatistics.blockingWaits += counts.blockingWaits
                linkStatistics.deferredWakeups += counts.deferredWakeups
                idle = 0
                counts = WaitCounts()
                let written = linkStatistics.packetsWritten
                handle(&events, count: Int(count))
                sweepDeferredWork()
                readAnswersBeforeSleeping(sentSince: written)
                policy = waitPolicy
                return running
            }
            if let goOn {
                if !goOn { break }
                continue
            }
            // A caller runs a call inline: leave this wake-up's work to it.
            counts.deferredWakeups += 1
            deferWakeup(&events, count: Int(count))
            if let goOn = tryOwning({ () -> Bool in sweepDeferredWork(); return running }) {
                if !goOn { break }
            } else if inbox.withLock({ !$0.commands.isEmpty }) {
                // Calls wait in the inbox: the next wait returns at once, so give the holder the CPU.
                sched_yield()
            }
        }
        owning { finish() }
    }

    /// After a wake-up that sent packets, reads the sockets again before going back to `epoll_wait`, a
    /// few rounds at most: on veth (and loopback) a kernel peer answers inside our `sendto`, so its
    /// answer (the SYN-ACK to a SYN the loop sent for `connect(…onLoop:)`) is already queued, and is
    /// handled now rather than after a trip through `epoll_wait` (which still reports that arrival
    /// afterwards, edge-triggered: that drain finds nothing). What an inline call does by sweeping after
    /// its flush. Over a real network it costs one `recvmmsg` that finds nothing.
    private func readAnswersBeforeSleeping(sentSince written: Int) {
        var written = written
        for _ in 0..<4 where running && linkStatistics.packetsWritten != written {
            written = linkStatistics.packetsWritten
            drainSocket()
            if link6 != nil { drainIPv6Socket() }
        }
    }

    /// Notes what woke the loop's thread while a caller held the loop: the timer's and the eventfd's
    /// readiness are consumed here (they are level-triggered), the sockets' need no reading (their
    /// events are edge-triggered); then `deferredWork` tells whoever holds the loop next to sweep.
    private func deferWakeup(_ events: inout [epoll_event], count: Int) {
        for i in 0..<count {
            let token = withUnsafePointer(to: &events[i]) { ctoytcp_epoll_event_data($0) }
            var value: UInt64 = 0
            switch token {
            case Self.timerToken:
                if read(timerDescriptor, &value, 8) == 8 { deferredTimerExpiry.store(true, ordering: .sequentiallyConsistent) }
            case Self.wakeToken:
                _ = read(wakeDescriptor, &value, 8)
            default:
                break
            }
        }
        deferredWork.store(true, ordering: .sequentiallyConsistent)
    }

    /// What the loop's thread left while a caller held the loop (`deferWakeup`): done by whoever holds
    /// it now. Every source is looked at: the sockets drained, blocked packets retried, queued calls
    /// run, timers serviced.
    func sweepDeferredWork() {
        guard deferredWork.exchange(false, ordering: .sequentiallyConsistent) else { return }
        sweep()
    }

    private func sweep() {
        if deferredTimerExpiry.exchange(false, ordering: .sequentiallyConsistent) { armedDeadline = nil }
        if !blockedSends.isEmpty { sendBlockedPacket(at: monotonicNow()) }
        drainSocket()
        if link6 != nil { drainIPv6Socket() }
        if inbox.withLock({ !$0.commands.isEmpty }) { runCommands() }
        serviceTimers()
        // A call run here may have been the stop: the loop's thread, asleep, must see it.
        if !running && pthread_equal(pthread_self(), thread) == 0 {
            var one: UInt64 = 1
            _ = Glibc.write(wakeDescriptor, &one, 8)
        }
    }

    /// Runs `body` holding the loop (`ownership`), as the thread that owns it.
    @inline(__always)
    func owning<T>(_ body: () -> T) -> T {
        ownership.withLock { _ in
            ownerThread.store(pthread_self(), ordering: .relaxed)
            defer { ownerThread.store(0, ordering: .sequentiallyConsistent) }
            return body()
        }
    }

    /// Runs `body` holding the loop if nobody does; nil if somebody does. Looks at `ownerThread` first:
    /// a failed `tryLock` of the (priority-inheriting) mutex asks the kernel, and marks the lock so that
    /// its holder's unlock asks the kernel too.
    @inline(__always)
    private func tryOwning<T>(_ body: () -> T) -> T? {
        guard ownerThread.load(ordering: .sequentiallyConsistent) == 0 else { return nil }
        return ownership.withLockIfAvailable { _ -> T in
            ownerThread.store(pthread_self(), ordering: .relaxed)
            defer { ownerThread.store(0, ordering: .sequentiallyConsistent) }
            return body()
        }
    }

    /// Whether the calling thread holds the loop (the loop's thread at work, or a caller running its
    /// call inline): a blocking call made there would wait for itself.
    var isHeldByCallingThread: Bool { ownerThread.load(ordering: .relaxed) == pthread_self() }

    /// What one wake-up brought: packets, a timer, calls; then the timers that are due.
    private func handle(_ events: inout [epoll_event], count: Int) {
        linkStatistics.wakeups += 1
        for i in 0..<count {
            let token = withUnsafePointer(to: &events[i]) { ctoytcp_epoll_event_data($0) }
            let flags = withUnsafePointer(to: &events[i]) { ctoytcp_epoll_event_events($0) }
            switch token {
            case Self.socketToken:
                if flags & EPOLLOUT.rawValue != 0 { sendBlockedPacket(at: monotonicNow()) }
                if flags & (EPOLLIN.rawValue | EPOLLERR.rawValue) != 0 { drainSocket() }
            case Self.ipv6SocketToken:
                drainIPv6Socket()
            case Self.timerToken:
                var expirations: UInt64 = 0
                _ = read(timerDescriptor, &expirations, 8)
                armedDeadline = nil
            case Self.wakeToken:
                var value: UInt64 = 0
                _ = read(wakeDescriptor, &value, 8)
                runCommands()
            default:
                break
            }
        }
        if commandsWaiting.load(ordering: .acquiring) { runCommands() }
        serviceTimers()
    }

    /// Runs `command` (a call's first attempt) on the calling thread in the loop's place, when the
    /// loop is idle: then reads what the call's packets brought back (on veth the peer's answer to a
    /// SYN is queued before the SYN's `sendto` returns) and arms the timer, as the loop would. This is
    /// what the kernel does for `connect()` and `send()`, in the caller's context: no hand-off to the
    /// loop's thread and back, which on this lab's KVM guest costs two wake-ups of tens of µs each
    /// (README, lab benchmark). A call still waiting afterwards is finished by the loop's thread.
    ///
    /// A loop at work is waited for (it holds itself only while it works, never while it waits for
    /// events): that costs less than handing the call over and sleeping until it is done. Returns
    /// false, having run nothing, when the loop has calls queued (they go first, in order), is
    /// stopping, or the calling thread is in another network namespace (or `TOYTCP_INLINE=0` is set:
    /// `InlineCallSwitch`); the caller then submits the call as usual.
    func runInline(_ command: (EventLoop, Instant) -> Void) -> Bool {
        let namespace = NetworkNamespace.currentID
        guard namespace != 0, namespace == namespaceID, InlineCallSwitch.enabled else { return false }
        let ran = owning { () -> Bool in
            guard running, inbox.withLock({ !$0.stopRequested && !$0.stopped && $0.commands.isEmpty }) else { return false }
            linkStatistics.inlineCalls += 1
            runningInline = true
            let now = monotonicNow()
            command(self, now)
            flush(at: now)
            // What the call's packets brought back, and whatever the loop's thread left meanwhile.
            deferredWork.store(false, ordering: .sequentiallyConsistent)
            sweep()
            parkInlineWait()
            if socketsQuiet { setSocketsQuiet(false) }
            return true
        }
        // The loop's thread may have left work after the sweep above, and then found the loop still
        // held: look once the lock is free (it takes it itself if it is quicker).
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        while deferredWork.load(ordering: .sequentiallyConsistent) {
            guard tryOwning({ sweepDeferredWork() }) != nil else { break }
        }
        return ran
    }

    /// Reads every waiting packet, a batch (`recvmmsg`) at a time; after each batch, sends what the
    /// batch caused. Each packet reaches the port stamped with the kernel's receive time (what `trace`
    /// and `record` show: a loop held busy does not move it later); the stack handles the batch at the
    /// time it was read, so its clock never goes back.
    private func drainSocket() {
        while true {
            let result: IOResult<Int>
            do {
                result = try receiveBatch.receive(from: link.descriptor)
            } catch {
                // ENOMEM and the like: nothing to read now. The socket is edge-triggered: the next packet to
                // arrive wakes the loop and this reads again (what is queued meanwhile waits for it).
                break
            }
            guard case .done(let count) = result, count > 0 else { break }
            let now = monotonicNow()
            let wall = WallClockTime.now()
            let wallToMonotonic = wall.seconds &* 1_000_000_000 &+ Int64(wall.nanoseconds) &- now.nanoseconds
            var delivered = 0
            for i in 0..<count {
                linkStatistics.packetsRead += 1
                let length = receiveBatch.length(i)
                guard length >= 20, length <= ReceiveBatch.slotSize else {
                    linkStatistics.packetsTruncated += 1
                    continue
                }
                let packet = receiveBatch.packet(i)
                guard let header = try? IPv4HeaderView(validating: packet), localAddresses.contains(header.destination) else {
                    linkStatistics.packetsNotForUs += 1
                    continue
                }
                linkStatistics.packetsDelivered += 1
                delivered += 1
                let arrival = receiveBatch.arrival(i, wallToMonotonic: wallToMonotonic, latest: now) ?? now
                port.receive(packet, arrivedAt: arrival, at: now)
            }
            if delivered > 0 { flush(at: now) }
            // A short batch emptied the queue; epoll wakes the loop for what comes next.
            if count < receiveBatch.capacity { break }
        }
    }

    /// Reads every waiting packet of the IPv6 socket, one `recvmsg` each (the kernel strips the IPv6
    /// header; `RawIPv6Link` rebuilds it from the ancillary data, which `recvmmsg` slots do not carry);
    /// sends what each batch of `receiveBatchSize` caused. Stamped when read.
    private func drainIPv6Socket() {
        guard let link6 else { return }
        if ipv6Buffer.isEmpty { ipv6Buffer = [UInt8](repeating: 0, count: 65_536 + 1) }
        var inBatch = 0
        var now = monotonicNow()
        while true {
            let arrival = monotonicNow()
            let result: IOResult<Int>
            do {
                result = try ipv6Buffer.withUnsafeMutableBytes { buffer in
                    try link6.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<65_536]))
                }
            } catch {
                // ENOMEM and the like: nothing to read now. The socket is edge-triggered: the next packet to
                // arrive wakes the loop and this reads again (what is queued meanwhile waits for it).
                break
            }
            guard case .done(let length) = result else { break }
            linkStatistics.packetsRead += 1
            guard length >= 40, length <= 65_536 else {
                linkStatistics.packetsTruncated += 1
                continue
            }
            // The kernel delivered it to this namespace; the stack checks the address.
            linkStatistics.packetsDelivered += 1
            now = arrival
            ipv6Buffer.withUnsafeBytes { port.receive(UnsafeRawBufferPointer(rebasing: $0[0..<length]), at: arrival) }
            inBatch += 1
            if inBatch == Self.receiveBatchSize {
                flush(at: now)
                inBatch = 0
                now = monotonicNow()
            }
        }
        if inBatch > 0 { flush(at: now) }
    }

    private func runCommands() {
        commandsWaiting.store(false, ordering: .relaxed)
        let commands = inbox.withLock { inbox -> [@Sendable (EventLoop) -> Void] in
            inbox.wakePending = false
            let taken = inbox.commands
            inbox.commands.removeAll(keepingCapacity: true)
            return taken
        }
        for command in commands { command(self) }
        flush(at: monotonicNow())
    }

    /// Runs the engine's timers and the operations' deadlines that are due, then arms the timerfd for
    /// the next one. Loops (boundedly) when handling a timer makes another one due at once.
    private func serviceTimers() {
        var rounds = 0
        while rounds < 16 {
            rounds += 1
            let now = monotonicNow()
            var next = port.nextDeadline
            if let due = next, due <= now {
                linkStatistics.timerExpiries += 1
                port.handleTimeout(at: now)
                flush(at: now)
                continue
            }
            if parkedWithDeadline > 0 {
                // The earliest deadline of a waiting call: scanned for only once one may have passed
                // (calls that finished first leave it early, never late).
                if let due = earliestOperationDeadline, due <= now {
                    earliestOperationDeadline = expireOperations(at: now)
                }
                if let opDeadline = earliestOperationDeadline {
                    next = next.map { min($0, opDeadline) } ?? opDeadline
                }
            }
            arm(next)
            return
        }
        arm(monotonicNow())
    }

    /// Arms the timerfd for `deadline`, lazily: a timer already armed to fire before it is left alone
    /// (it wakes the loop once, early, and is re-armed then), and so is one with nothing left to wait
    /// for. Only an earlier deadline costs a `timerfd_settime`: a handshake's SYN and its answer would
    /// otherwise arm and disarm it, two system calls in the middle of every connect.
    private func arm(_ deadline: Instant?) {
        guard let deadline else { return }
        if let armed = armedDeadline, armed <= deadline { return }
        armedDeadline = deadline
        var spec = itimerspec()
        // A zero it_value would disarm; a deadline in the past fires at once.
        let ns = max(deadline.nanoseconds, 1)
        spec.it_value.tv_sec = Int(ns / 1_000_000_000)
        spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        _ = timerfd_settime(timerDescriptor, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    /// Drains the engine's output: packets to the socket, then events to the waiting operations; then
    /// runs the operations those events woke, whose calls (more data queued, a window opened) may
    /// produce output in turn. Bounded: a few rounds settle it.
    func flush(at now: Instant) {
        defer { flushObserver?() }
        for _ in 0..<8 {
            // The engine writes each packet (checksums included) straight into our reusable buffer.
            while blockedSends.isEmpty {
                transmitWriter.bytes.removeAll(keepingCapacity: true)
                guard port.pollTransmit(into: &transmitWriter, at: now) else { break }
                // An inline call's first packet out: its answers are the caller's to read from now on.
                if runningInline && !socketsQuiet { setSocketsQuiet(true) }
                transmitWriter.bytes.withUnsafeBytes { transmit(packet: $0, at: now) }
            }
            sendSegmentRun(at: now)
            recordEvents(at: now)
            if woken.isEmpty && !inlineWoken { return }
            resumeWokenOperations(at: now)
        }
    }

    /// Writes one packet to the raw socket (what the port let out).
    func write(packet: UnsafeRawBufferPointer, at now: Instant) {
        if packet.first.map({ $0 >> 4 }) == 6 {
            admitSourcePort(of: packet)
            // IPv6: a full send queue (EAGAIN) counts as loss, which TCP recovers from.
            if case .done? = try? link6?.send(packet) { linkStatistics.packetsWritten += 1 } else { linkStatistics.sendDrops += 1 }
            return
        }
        admitSourcePort(of: packet)
        guard blockedSends.isEmpty else {
            // Behind what is already waiting, to keep the order.
            blockedSends.append(.packet(Array(packet)))
            return
        }
        do {
            switch try link.send(packet) {
            case .done:
                linkStatistics.packetsWritten += 1
            case .wouldBlock:
                linkStatistics.sendBlocked += 1
                blockedSends.append(.packet(Array(packet)))
                setWatchingWritable(true)
            }
        } catch {
            // Only errors no retry can fix reach here (EBADF/EFAULT trap earlier); count and go on.
            linkStatistics.sendDrops += 1
        }
    }

    // MARK: The receive filter

    /// Lets answers to `packet` in: its TCP source port becomes one of ours (a connection from a
    /// chosen port, a crafted segment).
    func admitSourcePort(of packet: UnsafeRawBufferPointer) {
        // The two-byte read first; the full gates only for what it cannot read (IPv6 extension headers).
        guard let filter = receiveFilter,
              let port = IPPacketView.tcpSourcePort(of: packet) ?? (try? IPPacketView(validating: packet))?.tcp.sourcePort,
              port != lastAdmittedPort else { return }
        lastAdmittedPort = port
        if !filter.admits(port: port) { admit([port]) }
    }

    /// Lets segments for the stack's listeners in (a listen made by any call on the loop). Runs before
    /// the call's caller is woken, so a peer told "it listens" never races the filter.
    func admitListenerPorts() {
        guard receiveFilter != nil else { return }
        admit(stack.listenerPorts)
    }

    private func admit(_ ports: [UInt16]) {
        if let filter = receiveFilter, let wider = filter.admitting(ports) {
            receiveFilter = wider
            do { try wider.attach(to: link.descriptor) } catch { linkStatistics.filterFailures += 1 }
        }
        if let filter = receiveFilter6, let link6, let wider = filter.admitting(ports) {
            receiveFilter6 = wider
            do { try wider.attach(to: link6.receiveDescriptor) } catch { linkStatistics.filterFailures += 1 }
        }
    }

    private func sendBlockedPacket(at now: Instant) {
        while let blocked = blockedSends.first {
            let result: IOResult<Void>?
            switch blocked {
            case .packet(let packet):
                result = packet.withUnsafeBytes { try? link.send($0) }
            case .frame(let frame, let interfaceIndex, _):
                result = frame.withUnsafeBytes { try? segmentLink?.send($0, interfaceIndex: interfaceIndex) }
            }
            if case .wouldBlock? = result {
                // Now blocked on this one's socket (maybe the other one than before).
                setWatchingWritable(false)
                setWatchingWritable(true)
                return
            }
            if result == nil { linkStatistics.sendDrops += blocked.segments } else { linkStatistics.packetsWritten += blocked.segments }
            setWatchingWritable(false)
            blockedSends.removeFirst()
        }
        flush(at: now)
    }

    /// Watches (or stops watching) for the socket that refused the first of `blockedSends` to become
    /// writable: the raw socket for a packet, the AF_PACKET socket for a frame (under the raw socket's
    /// token, so either wakes `sendBlockedPacket`).
    func setWatchingWritable(_ on: Bool) {
        guard on != watchingWritable else { return }
        watchingWritable = on
        if case .frame? = blockedSends.first, let segmentLink {
            try? watch(segmentLink.descriptor, token: Self.socketToken, events: on ? EPOLLOUT.rawValue | EPOLLET.rawValue : 0,
                       op: on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL)
            return
        }
        watchLinkSocket()
    }

    /// Sets what the raw socket reports to the loop's thread: arrivals unless an inline call runs
    /// (`socketsQuiet`), room to write while a packet waits for it.
    private func watchLinkSocket() {
        let events = (socketsQuiet ? 0 : Self.socketEvents) | (watchingWritable ? EPOLLOUT.rawValue | EPOLLET.rawValue : 0)
        try? watch(link.descriptor, token: Self.socketToken, events: events, op: EPOLL_CTL_MOD)
    }

    /// Hides the receive sockets' arrivals from the loop's thread while a caller runs a call inline
    /// (`runInline`), from the call's first packet out (`flush`: a call that sends nothing, a `status`,
    /// costs no system call for it), and shows them again after. The caller reads what its call's
    /// packets bring back itself; a loop's thread woken for them (on veth the answer to a SYN arrives
    /// inside the SYN's `sendto`) costs that `sendto` a cross-CPU wake-up and the caller a second sweep
    /// for the work the woken thread leaves it (`deferWakeup`). Two `epoll_ctl`s a socket cost less (README, the lab at
    /// kernel speed). Showing them again reports what arrived after the caller's last read: epoll looks
    /// at the socket's readiness when an item is modified.
    private func setSocketsQuiet(_ quiet: Bool) {
        socketsQuiet = quiet
        watchLinkSocket()
        if let link6 {
            try? watch(link6.receiveDescriptor, token: Self.ipv6SocketToken, events: quiet ? 0 : Self.socketEvents, op: EPOLL_CTL_MOD)
        }
    }

    // MARK: Stopping

    /// Asks the loop to stop after the calls already queued, and waits for its thread to end.
    /// Operations still waiting fail with `EngineError.aborted`. Idempotent.
    public func stop() {
        precondition(pthread_equal(pthread_self(), thread) == 0 && !isHeldByCallingThread,
                     "EventLoop.stop() called on the loop's own thread (or from code the loop runs)")
        let first = inbox.withLock { inbox -> Bool in
            defer { inbox.stopRequested = true }
            return !inbox.stopRequested
        }
        guard first else { return }
        submit { loop in loop.running = false }
        pthread_join(thread, nil)
    }

    /// Runs on the loop thread as it ends: fails the waiting operations, releases the descriptors.
    private func finish() {
        let remaining = inbox.withLock { inbox -> [@Sendable (EventLoop) -> Void] in
            inbox.stopped = true
            return inbox.commands
        }
        // Calls that arrived after the stop see a stopped loop.
        for command in remaining { command(self) }
        let operations = parked.values.flatMap { $0 }
        parked.removeAll()
        for operation in operations { operation.fail(EngineError.aborted, on: self) }
        for reservation in reservations.values { reservation.release() }
        reservations.removeAll()
        link.close()
        segmentLink?.close()
        link6?.close()
        close(epollDescriptor)
        close(timerDescriptor)
        close(wakeDescriptor)
    }
}

/// `TOYTCP_INLINE=0` turns `EventLoop.runInline` off for every loop of the process: each blocking call
/// is handed to the loop's thread (a benchmark's A/B runs the same binary both ways).
enum InlineCallSwitch {
    static let enabled: Bool = {
        guard let value = getenv("TOYTCP_INLINE") else { return true }
        return String(cString: value) != "0"
    }()
}
