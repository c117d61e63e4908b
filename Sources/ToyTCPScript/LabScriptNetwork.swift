#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine
import ToyTCPLink
import ToyTCPWire

/// The kernel lab for scripts and the shell: our stack on a raw socket inside a network namespace, in
/// wall-clock time, run by ToyTCPLink's `EventLoop` on its own thread all the time. While a person sits
/// at the prompt, handshakes complete, data is ACKed and timers fire; what happens is queued (a stage
/// on the loop's `PacketPort`, and its event observer) and the shell prints it as it comes.
///
/// The interpreter never touches the stack or the socket: `withStack` runs its call on the loop and
/// waits; `run(until:…)` sleeps on the observation queue's descriptor and re-checks its condition each
/// time something arrives. Every wait is bounded by its deadline.
public final class LabScriptNetwork: ScriptNetwork {
    public let namespace: String?
    public let localAddress: IPv4Address
    private let addresses: [IPv4Address]
    /// The namespace's IPv6 addresses (the lab's unique-local ones), served beside IPv4.
    private let ipv6Addresses: [IPv6Address]
    private let loop: EventLoop
    private let observations: WakeupQueue<Observation>
    /// CLOCK_REALTIME − CLOCK_MONOTONIC at start, for pcap timestamps that line up with tcpdump's.
    private let realtimeOffset: Int64
    /// Crafted packets sent without waiting since the last wait (a flood is paced by the loop).
    private var unconfirmed = 0

    /// Opens the lab network: enters `namespace` (if given) on the calling thread, then starts the event
    /// loop there. Errors say what to do (run as root, bring the lab up).
    public init(namespace: String?, configuration: StackConfiguration = StackConfiguration()) throws(ScriptError) {
        let loc = SourceLocation(file: "<lab>", line: 0, column: 0)
        self.namespace = namespace
        do throws(LinkError) {
            if let namespace { try NetworkNamespace.enter(namespace) }
            let usable = try InterfaceAddress.usable()
            guard let first = usable.first else {
                throw LinkError.addressNotOnInterface(.any, available: [])
            }
            addresses = usable
            localAddress = first
            observations = try WakeupQueue<Observation>()
            // The loop supplies a fresh secret, answers only for what it owns, and takes ephemeral
            // ports above the kernel's. Dual-stack when the namespace has IPv6 addresses; IPv4 alone
            // if the IPv6 sockets cannot be opened (IPv6 disabled).
            let usable6 = (try? InterfaceAddress.usableIPv6()) ?? []
            if !usable6.isEmpty, let dual = try? EventLoop(addresses: usable, configuration: configuration, ipv6Addresses: usable6) {
                loop = dual
                ipv6Addresses = usable6
            } else {
                loop = try EventLoop(addresses: usable, configuration: configuration)
                ipv6Addresses = []
            }
        } catch {
            throw ScriptError("\(error) (run as root with the lab up: scripts/lab-up.sh; or use --sim)", at: loc)
        }
        var real = timespec(), mono = timespec()
        clock_gettime(CLOCK_REALTIME, &real)
        clock_gettime(CLOCK_MONOTONIC, &mono)
        realtimeOffset = (Int64(real.tv_sec) - Int64(mono.tv_sec)) * 1_000_000_000 + Int64(real.tv_nsec) - Int64(mono.tv_nsec)
        let queue = observations
        // Queued quietly and signalled once the loop has sent what a packet caused: the shell's thread
        // wakes after our answer has left, not between the segment and the answer (README, benchmarks).
        loop.setEventObserver { event, time in queue.appendQuietly(.event(event, time)) }
        loop.setFlushObserver { queue.signal() }
        loop.withPort { port, _ in
            port.addStage(CraftedConversationStage(stack: port.stack), at: 0)
            port.addStage(PacketObserverStage { queue.appendQuietly(.packet($0)) })
        }
    }

    deinit { loop.stop() }

    /// The event loop's listen: the stack's, with the port held from the kernel (`PortReservation`)
    /// for as long as the loop runs.
    public func listen(address: IPAddress?, port: UInt16) throws -> ListenerID {
        try loop.listen(on: address, port: port).id
    }

    public func configureLoop(_ setting: LoopSetting?) throws -> String? {
        switch setting {
        case .wait(let policy)?: try loop.setWaitPolicy(policy)
        case .realTime(let priority)?: try loop.setRealTime(priority: priority)
        case nil: break
        }
        let priority = try loop.currentRealTimePriority().map { "realtime \($0)" } ?? "normal"
        return "loop=\(try loop.currentWaitPolicy()) loop-priority=\(priority)"
    }

    public var kind: NetworkKind { .lab(namespace: namespace) }
    public var label: String { namespace ?? "lab" }
    public var banner: String {
        "toytcp shell on the kernel lab\(namespace.map { " in namespace \($0)" } ?? ""), \((addresses.map(\.description) + ipv6Addresses.map(\.description)).joined(separator: ", ")) (wall-clock time); "
            + "for the simulated network run with --sim"
    }
    public var rawAddress: IPv4Address? { nil }

    /// Only the lab's subnets (and loopback): crafting never leaves the namespaces we made.
    public func mayCraft(to address: IPAddress) -> Bool { Self.isLabSubnet(address) }

    /// host2's addresses in the lab (scripts/lab-up.sh), then ours.
    public var knownAddresses: [IPAddress] {
        [.v4(IPv4Address(10, 0, 1, 1)), .v6(IPv6Address(0xfd00, 0, 0, 2, 0, 0, 0, 1))]
            + addresses.map { .v4($0) } + ipv6Addresses.map { .v6($0) }
    }

    /// The lab's subnets (scripts/lab-up.sh) and loopback: where crafted segments may go, and peers live.
    static func isLabSubnet(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let a):
            return a.isIn(network: IPv4Address(10, 0, 0, 0), prefixLength: 24)
                || a.isIn(network: IPv4Address(10, 0, 1, 0), prefixLength: 24)
                || a.isIn(network: IPv4Address(127, 0, 0, 0), prefixLength: 8)
        case .v6(let a):
            // The lab's unique-local subnets (scripts/lab-up.sh) and loopback.
            return a.isIn(network: IPv6Address(0xfd00, 0, 0, 1, 0, 0, 0, 0), prefixLength: 64)
                || a.isIn(network: IPv6Address(0xfd00, 0, 0, 2, 0, 0, 0, 0), prefixLength: 64)
                || a == .loopback
        }
    }

    public var now: Instant { monotonicNow() }

    public func withPort<T, E: Error>(_ body: (PacketPort, Instant) throws(E) -> T) throws(E) -> T {
        unconfirmed = 0
        return try loop.withPort(body)
    }

    public func observe(_ observation: Observation) { observations.append(observation) }

    /// The loop sends after every call it runs: nothing to do.
    public func flush() {}

    public func wallClock(_ instant: Instant) -> (seconds: Int64, nanoseconds: Int32) {
        let ns = instant.nanoseconds + realtimeOffset
        return (ns / 1_000_000_000, Int32(ns % 1_000_000_000))
    }

    public var observationDescriptor: Int32? { observations.descriptor }

    public func transmit(_ bytes: [UInt8], observe: Bool) throws(ScriptError) {
        // Through the port, so the recorder and the crafted-conversation rule see it. A flood does not
        // wait for each packet: one wait in 256 keeps the loop's inbox short.
        unconfirmed += 1
        if unconfirmed >= 256 {
            _ = withStack { _, _ in () }
        }
        loop.inject(bytes)
    }

    public func deliverLocally(_ bytes: [UInt8]) {
        _ = loop.withPort { port, now in port.receive(bytes, at: now, crafted: true) }
    }

    public func run(until deadline: Instant, interrupted: () -> Bool, _ condition: () -> Bool) -> WaitOutcome {
        while true {
            if condition() { return .satisfied }
            if interrupted() { return .interrupted }
            let t = now
            if t >= deadline { return .timedOut }
            // Sleep until the loop reports something, the deadline, or 50 ms (to notice Ctrl-C).
            let wake = min(deadline, t + .milliseconds(50))
            let ms = Int32((wake - t).nanosecondsClamped / 1_000_000)
            observations.wait(milliseconds: max(ms, 1))
        }
    }

    public func takeObservations() -> [Observation] { observations.take() }

    public func link(_ direction: Direction?, _ text: String) throws(ScriptError) -> String {
        throw ScriptError("link impairments exist on the simulated network only; in the lab use scripts/lab-up.sh --loss PCT, or intercept",
                          at: SourceLocation(file: "<lab>", line: 0, column: 0))
    }

    public func startPeer(_ kind: PeerKind, at endpoint: Endpoint, count: Int?, connectTo: Endpoint?) throws(ScriptError) -> String {
        throw ScriptError("peer runs on the simulated network only; in the lab start a real one, e.g. ip netns exec host2 nc -l \(endpoint.port)",
                          at: SourceLocation(file: "<lab>", line: 0, column: 0))
    }

    public func shutdown() {
        _ = withStack { stack, t in
            for id in stack.connectionIDs {
                if let s = stack.snapshot(id), s.state == .synSent || s.state == .synReceived { stack.abort(id, at: t) }
                else { try? stack.close(id, at: t) }
            }
        }
        _ = run(until: now + .seconds(2), interrupted: { false }) {
            self.withStack { stack, _ in
                stack.connectionIDs.allSatisfy {
                    let st = stack.snapshot($0)?.state
                    return st == nil || st == .timeWait || st == .finWait2 || st == .closed
                }
            }
        }
    }
}
