import ToyTCPEngine
import ToyTCPWire

/// Counters of the whole simulated network (per-link counters are in `SimulatedLink.statistics`).
public struct NetworkStatistics: Hashable, Sendable {
    /// Events processed by `step()` (deliveries, timers, scheduled actions).
    public var steps = 0
    public var deliveries = 0
    public var timers = 0
    /// Packets with no route to their destination.
    public var noRouteDrops = 0
    public init() {}
}

/// A network of toytcp hosts (and routers) joined by impaired links, run in virtual time.
///
/// The network owns a `VirtualClock` and an event queue of packet deliveries and scheduled actions;
/// each host's stack adds its `nextDeadline`. `step()` flushes what the stacks want to send, then jumps
/// the clock to the earliest of those and processes it, so timers of seconds cost no wall time. Runs
/// are deterministic for a given `seed` (every random choice comes from per-link `SeededGenerator`s).
///
/// ```swift
/// let net = SimulatedNetwork(seed: 7)
/// let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1), lossRate: 0.1))
/// try b.start(PeerApp.echo(port: 7))
/// let c = try a.stack.connect(to: b.address, port: 7, at: net.now)
/// try net.runUntil(timeout: .seconds(10)) { a.stack.snapshot(c)?.state == .established }
/// ```
///
/// Every run method takes a step bound and throws `SimulationError.stepLimitExceeded` past it.
public final class SimulatedNetwork {
    /// A thing to do at a virtual instant (change impairments, start a transfer, …).
    public typealias Action = (SimulatedNetwork) -> Void

    enum Event {
        /// A packet a link delayed: it goes on along the link's stages from `next` (then to the far node).
        case resume(link: Int, side: Int, next: Int, record: PacketRecord)
        /// A packet a host sent to its own address: straight back, no link.
        case deliver(to: Int, bytes: [UInt8])
        case action(Action)
    }

    public let seed: UInt64
    public private(set) var clock = VirtualClock()
    public var now: Instant { clock.now }
    public private(set) var statistics = NetworkStatistics()
    /// The bound used by the run methods when none is given.
    public var defaultStepLimit = 50_000_000

    public private(set) var hosts: [SimulatedHost] = []
    public private(set) var routers: [SimulatedRouter] = []
    public private(set) var links: [SimulatedLink] = []
    private var nodes: [any SimulatedNode] = []
    private var linksOfNode: [[Int]] = []
    private var addressOwner: [IPAddress: Int] = [:]
    /// node index → destination address → (link index, side): filled lazily, cleared on topology change.
    private var routeCache: [[IPAddress: (Int, Int)]] = []
    /// node index → the last route taken (destination, link, side); link -1 when none.
    private var lastRoute: [(destination: IPAddress, link: Int, side: Int)] = []
    private var events = EventQueue<Event>()
    /// Tap stages on every link (`link: nil`) or on one, and where on it.
    private var taps: [(stage: any PacketStage, point: TapPoint, link: String?)] = []

    public init(seed: UInt64 = 1) {
        self.seed = seed
    }

    // MARK: Topology

    /// Adds a host that owns `addresses` and runs a `Stack` with `configuration` (its `secret` is mixed
    /// with the network seed so each host picks different ISNs and ports, reproducibly).
    @discardableResult
    public func addHost(_ name: String, addresses: [IPv4Address],
                        configuration: StackConfiguration = StackConfiguration()) throws(SimulationError) -> SimulatedHost {
        try addHost(name, addresses: addresses.map { IPAddress.v4($0) }, configuration: configuration)
    }

    /// Adds a host with addresses of either family (a dual-stack host has both; its stack answers for all).
    @discardableResult
    public func addHost(_ name: String, addresses: [IPAddress],
                        configuration: StackConfiguration = StackConfiguration()) throws(SimulationError) -> SimulatedHost {
        try checkNew(name: name, addresses: addresses)
        var config = configuration
        var secretGenerator = SeededGenerator(seed: seed).derived(UInt64(nodes.count) &+ 0x5EC2E7)
        config.secret = configuration.secret ^ secretGenerator.next()
        let host = SimulatedHost(name: name, addresses: addresses, index: nodes.count, configuration: config, network: self)
        register(host)
        hosts.append(host)
        return host
    }

    @discardableResult
    public func addHost(_ name: String, address: IPv4Address,
                        configuration: StackConfiguration = StackConfiguration()) throws(SimulationError) -> SimulatedHost {
        try addHost(name, addresses: [address], configuration: configuration)
    }

    /// Adds a router that owns `addresses` (one per subnet it joins).
    @discardableResult
    public func addRouter(_ name: String, addresses: [IPv4Address]) throws(SimulationError) -> SimulatedRouter {
        try addRouter(name, addresses: addresses.map { IPAddress.v4($0) })
    }

    /// Adds a router that owns `addresses` of either family (it forwards both).
    @discardableResult
    public func addRouter(_ name: String, addresses: [IPAddress]) throws(SimulationError) -> SimulatedRouter {
        try checkNew(name: name, addresses: addresses)
        let router = SimulatedRouter(name: name, addresses: addresses, index: nodes.count)
        register(router)
        routers.append(router)
        return router
    }

    /// Joins two nodes with a link; `impairments` apply to both directions (set each with
    /// `SimulatedLink.setImpairments(_:from:)`).
    @discardableResult
    public func connect(_ a: any SimulatedNode, _ b: any SimulatedNode, impairments: LinkImpairments = .none,
                        name: String? = nil) throws(SimulationError) -> SimulatedLink {
        try impairments.validate()
        let index = links.count
        let base = SeededGenerator(seed: seed).derived(0x11_4E_00 &+ UInt64(index))
        let link = SimulatedLink(name: name ?? "\(a.name)-\(b.name)", a: a, b: b, index: index,
                                 channels: [LinkChannel(impairments: impairments, generator: base.derived(0)),
                                            LinkChannel(impairments: impairments, generator: base.derived(1))])
        links.append(link)
        for t in taps where t.link == nil || t.link == link.name { link.addTap(t.stage, at: t.point) }
        linksOfNode[a.nodeIndex].append(index)
        linksOfNode[b.nodeIndex].append(index)
        invalidateRoutes()
        return link
    }

    /// Two dual-stack hosts on one link: `a` 10.0.0.1 and fd00:0:0:1::1, `b` 10.0.0.2 and fd00:0:0:1::2.
    public func addPair(impairments: LinkImpairments = .none,
                        configuration: StackConfiguration = StackConfiguration()) throws(SimulationError) -> (SimulatedHost, SimulatedHost) {
        let a = try addHost("a", addresses: [.v4(IPv4Address(10, 0, 0, 1)), .v6(Self.ipv6(1, 1))], configuration: configuration)
        let b = try addHost("b", addresses: [.v4(IPv4Address(10, 0, 0, 2)), .v6(Self.ipv6(1, 2))], configuration: configuration)
        try connect(a, b, impairments: impairments)
        return (a, b)
    }

    /// The lab's topology (scripts/lab-up.sh), dual-stack: `host1` 10.0.0.1 and fd00:0:0:1::1 —
    /// `router` (10.0.0.254, 10.0.1.254, fd00:0:0:1::fe, fd00:0:0:2::fe) — `host2` 10.0.1.1 and
    /// fd00:0:0:2::1. `impairments` apply to both directions of both links.
    public func addLabTopology(impairments: LinkImpairments = .none,
                               configuration: StackConfiguration = StackConfiguration()) throws(SimulationError)
        -> (host1: SimulatedHost, router: SimulatedRouter, host2: SimulatedHost) {
        let h1 = try addHost("host1", addresses: [.v4(IPv4Address(10, 0, 0, 1)), .v6(Self.ipv6(1, 1))],
                             configuration: configuration)
        let r = try addRouter("router", addresses: [.v4(IPv4Address(10, 0, 0, 254)), .v4(IPv4Address(10, 0, 1, 254)),
                                                    .v6(Self.ipv6(1, 0xFE)), .v6(Self.ipv6(2, 0xFE))])
        let h2 = try addHost("host2", addresses: [.v4(IPv4Address(10, 0, 1, 1)), .v6(Self.ipv6(2, 1))],
                             configuration: configuration)
        try connect(h1, r, impairments: impairments)
        try connect(r, h2, impairments: impairments)
        return (h1, r, h2)
    }

    /// `fd00:0:0:SUBNET::HOST`, the lab's unique-local addressing (RFC 4193).
    static func ipv6(_ subnet: UInt16, _ host: UInt16) -> IPv6Address {
        IPv6Address(0xfd00, 0, 0, subnet, 0, 0, 0, host)
    }

    public func node(named name: String) -> (any SimulatedNode)? { nodes.first { $0.name == name } }
    public func host(named name: String) -> SimulatedHost? { hosts.first { $0.name == name } }
    /// The host that owns `address`.
    public func host(for address: IPv4Address) -> SimulatedHost? { host(for: .v4(address)) }

    /// The host that owns `address` (either family).
    public func host(for address: IPAddress) -> SimulatedHost? {
        addressOwner[address].flatMap { nodes[$0] as? SimulatedHost }
    }
    /// The link called `name` (`host1-router`).
    public func link(named name: String) -> SimulatedLink? { links.first { $0.name == name } }
    /// The link joining two nodes.
    public func link(between a: any SimulatedNode, and b: any SimulatedNode) -> SimulatedLink? {
        links.first { ($0.a === a && $0.b === b) || ($0.a === b && $0.b === a) }
    }

    private func checkNew(name: String, addresses: [IPAddress]) throws(SimulationError) {
        if nodes.contains(where: { $0.name == name }) { throw .duplicateName(name) }
        for a in addresses where addressOwner[a] != nil { throw .duplicateAddress(a) }
        var seen = Set<IPAddress>()
        for a in addresses where !seen.insert(a).inserted { throw .duplicateAddress(a) }
    }

    private func register(_ node: any SimulatedNode) {
        nodes.append(node)
        linksOfNode.append([])
        for a in node.localAddresses { addressOwner[a] = node.nodeIndex }
        invalidateRoutes()
    }

    private func invalidateRoutes() {
        routeCache = Array(repeating: [:], count: nodes.count)
        lastRoute = Array(repeating: (.v4(.any), -1, 0), count: nodes.count)
    }

    // MARK: Taps and scheduled actions

    /// Puts a tap stage (a `PcapTap`, a `RecentPacketsTap`, an observer, …) on the packet path of
    /// every link, or of the link called `link` (links made later included), at `point`: it sees
    /// each packet there and passes it on. Every tap also hears, through `PacketStage.dropped`, of the
    /// packets the network drops (`fate == .lost`): lost or queue-dropped on its link, or dropped for
    /// want of a route or TTL anywhere.
    public func addTap(_ tap: any PacketStage, at point: TapPoint = .transmitted, link: String? = nil) {
        taps.append((tap, point, link))
        for l in links where link == nil || link == l.name { l.addTap(tap, at: point) }
    }

    public func removeTap(_ tap: any PacketStage) {
        taps.removeAll { $0.stage === tap }
        for l in links { for c in l.channels { c.removeTap(tap) } }
    }

    /// Runs `action` when virtual time reaches `time` (at once on the next step if it has passed):
    /// change a link's impairments, start a transfer, take a snapshot.
    public func schedule(at time: Instant, _ action: @escaping Action) {
        events.insert(.action(action), at: time < now ? now : time)
    }

    public func schedule(after delay: Duration, _ action: @escaping Action) {
        schedule(at: now + delay, action)
    }

    // MARK: Forwarding

    /// Puts a packet sent by `node` on the link towards its destination: through the link direction's
    /// stages (taps, impairments), then, when their delay is over, to the far node.
    func transmit(_ bytes: [UInt8], from node: any SimulatedNode) {
        let destination = Self.destination(of: bytes)
        // To itself: straight back, no link (a host connecting to its own address).
        if node.localAddresses.contains(destination), node is SimulatedHost {
            events.insert(.deliver(to: node.nodeIndex, bytes: bytes), at: now)
            return
        }
        guard let (linkIndex, side) = route(from: node.nodeIndex, to: destination) else {
            statistics.noRouteDrops += 1
            dropped(bytes)
            return
        }
        carry(PacketRecord(time: now, direction: .outbound, bytes: bytes), on: linkIndex, side: side, from: 0)
    }

    /// Runs a packet along link `linkIndex` in direction `side` from stage `next`.
    private func carry(_ record: PacketRecord, on linkIndex: Int, side: Int, from next: Int) {
        let link = links[linkIndex]
        link.channels[side].carry(record, from: next, at: now) { outcome in
            switch outcome {
            case .arrived(let r):
                deliver(r.bytes, to: link.far(from: side).nodeIndex)
            case let .delayed(r, until, next):
                events.insert(.resume(link: linkIndex, side: side, next: next, record: r), at: until)
            case .dropped(let r):
                for tap in link.channels[side].taps { tap.dropped(r, at: now) }
            }
        }
    }

    /// A packet the network dropped off any link (no route, TTL, addressed to a router): every tap
    /// hears of it.
    private func dropped(_ bytes: [UInt8]) {
        guard !taps.isEmpty else { return }
        let record = PacketRecord(time: now, direction: .outbound, bytes: bytes, fate: .lost)
        for t in taps { t.stage.dropped(record, at: now) }
    }

    /// The link and side towards `destination`: breadth-first over the topology to the node that owns
    /// it; an unknown destination goes out of the node's first link (a default route), as a host would.
    private func route(from node: Int, to destination: IPAddress) -> (Int, Int)? {
        // Most packets from a node go where its previous one went: skip the hash lookup for them.
        let last = lastRoute[node]
        if last.destination == destination && last.link >= 0 { return (last.link, last.side) }
        if let cached = routeCache[node][destination] {
            lastRoute[node] = (destination, cached.0, cached.1)
            return cached
        }
        var result: (Int, Int)?
        if let owner = addressOwner[destination] {
            // BFS remembering the first link taken from `node`.
            var firstLink = [Int?](repeating: nil, count: nodes.count)
            var visited = [Bool](repeating: false, count: nodes.count)
            visited[node] = true
            var queue = [node]
            var head = 0
            search: while head < queue.count {
                let current = queue[head]; head += 1
                for li in linksOfNode[current] {
                    let link = links[li]
                    let next = link.a.nodeIndex == current ? link.b.nodeIndex : link.a.nodeIndex
                    guard !visited[next] else { continue }
                    visited[next] = true
                    firstLink[next] = current == node ? li : firstLink[current]
                    if next == owner { break search }
                    queue.append(next)
                }
            }
            if let li = firstLink[owner] {
                result = (li, links[li].a.nodeIndex == node ? 0 : 1)
            }
        } else if nodes[node] is SimulatedHost, let li = linksOfNode[node].first {
            result = (li, links[li].a.nodeIndex == node ? 0 : 1)
        }
        if let result {
            routeCache[node][destination] = result
            lastRoute[node] = (destination, result.0, result.1)
        }
        return result
    }

    private func deliver(_ bytes: [UInt8], to nodeIndex: Int) {
        statistics.deliveries += 1
        let node = nodes[nodeIndex]
        if let host = node as? SimulatedHost {
            host.receive(bytes)
        } else if let router = node as? SimulatedRouter {
            forward(bytes, by: router)
        }
    }

    /// The destination address of an IPv4 or IPv6 packet (Wire reads it); `0.0.0.0` when too short.
    private static func destination(of bytes: [UInt8]) -> IPAddress {
        bytes.withUnsafeBytes { IPAddress.destination(ofPacket: $0) } ?? .v4(.any)
    }

    private func forward(_ bytes: [UInt8], by router: SimulatedRouter) {
        let destination = Self.destination(of: bytes)
        if router.localAddresses.contains(destination) {
            router.packetsAddressedToRouter += 1
            dropped(bytes)
            return
        }
        var copy = bytes
        guard SimulatedRouter.decrementHopCount(&copy) else {
            router.packetsTTLExpired += 1
            dropped(bytes)
            return
        }
        router.packetsForwarded += 1
        transmit(copy, from: router)
    }

    // MARK: Running

    /// Sends what every stack has pending at the current time onto the wire and hands out its events
    /// (apps react to them). The run methods do it before each step; call it after user calls on a
    /// stack to see their packets at once.
    public func flush() {
        for host in hosts { host.drain(pollApps: false) }
    }

    /// The earliest pending delivery, action or stack deadline (`nil`: nothing will ever happen).
    public var nextEventTime: Instant? {
        var next = events.nextTime
        for host in hosts {
            guard let d = host.port.nextDeadline else { continue }
            if let n = next, !(d < n) { continue }
            next = d
        }
        return next
    }

    /// Flushes the hosts, then processes the earliest pending thing (a delivery, a scheduled action or
    /// every stack timer due), advancing the clock to it. Returns `false` if nothing is pending.
    @discardableResult
    public func step() -> Bool {
        flush()
        return stepFlushed()
    }

    /// `step()` once the hosts have been flushed at the current time (`next`: `nextEventTime` if the
    /// caller has it already).
    @discardableResult
    private func stepFlushed(next known: Instant? = nil) -> Bool {
        guard let next = known ?? nextEventTime else { return false }
        clock.advance(to: next)
        statistics.steps += 1
        if let t = events.nextTime, t <= now, let (_, event) = events.popFirst() {
            switch event {
            case let .resume(link, side, next, record):
                carry(record, on: link, side: side, from: next)
            case let .deliver(to, bytes):
                deliver(bytes, to: to)
            case let .action(action):
                action(self)
            }
            return true
        }
        // A stack timer is due (no delivery at this instant comes first).
        for host in hosts {
            if let d = host.port.nextDeadline, d <= now {
                statistics.timers += 1
                host.handleTimeout()
            }
        }
        return true
    }

    /// Processes everything up to `time`, then leaves the clock at `time`.
    public func run(until time: Instant, maxSteps: Int? = nil) throws(SimulationError) {
        let limit = maxSteps ?? defaultStepLimit
        var steps = 0
        while true {
            flush()
            guard let next = nextEventTime, next <= time else { break }
            guard steps < limit else { throw .stepLimitExceeded(steps: steps, at: now) }
            stepFlushed(next: next)
            steps += 1
        }
        clock.advance(to: time)
        flush()
    }

    /// Processes everything in the next `duration` of virtual time.
    public func run(for duration: Duration, maxSteps: Int? = nil) throws(SimulationError) {
        try run(until: now + duration, maxSteps: maxSteps)
    }

    /// Steps until `condition` holds (checked before each step) or `timeout` of virtual time passes.
    /// Returns whether the condition held; throws past the step bound.
    @discardableResult
    public func runUntil(timeout: Duration, maxSteps: Int? = nil,
                         _ condition: () -> Bool) throws(SimulationError) -> Bool {
        let limit = maxSteps ?? defaultStepLimit
        let deadline = now + timeout
        var steps = 0
        while true {
            flush()
            if condition() { return true }
            guard let next = nextEventTime, next <= deadline else {
                clock.advance(to: deadline)
                flush()
                return condition()
            }
            guard steps < limit else { throw .stepLimitExceeded(steps: steps, at: now) }
            stepFlushed(next: next)
            steps += 1
        }
    }

    /// Steps until nothing is pending at all (no delivery, action or timer) or `timeout` passes.
    /// Returns whether the network went idle.
    @discardableResult
    public func runUntilIdle(timeout: Duration, maxSteps: Int? = nil) throws(SimulationError) -> Bool {
        try runUntil(timeout: timeout, maxSteps: maxSteps) { self.nextEventTime == nil }
    }

    /// A few lines for the shell's `network` command: nodes, links with their impairments, counters.
    public var summary: String {
        var lines: [String] = ["simulated network (seed \(seed)) at \(now)"]
        for node in nodes {
            let kind = node is SimulatedRouter ? "router" : "host"
            lines.append("  \(kind) \(node)")
        }
        for link in links {
            lines.append("  link \(link)")
            for from in [link.a, link.b] {
                if let st = link.statistics(from: from) {
                    lines.append("    \(from.name)->: \(st.packetsOffered) offered, \(st.packetsDelivered) delivered, \(st.packetsLost) lost, \(st.packetsQueueDropped) queue-dropped, \(st.packetsDuplicated) duplicated, \(st.packetsReordered) reordered, \(st.packetsCorrupted) corrupted")
                }
            }
        }
        if statistics.noRouteDrops > 0 { lines.append("  \(statistics.noRouteDrops) packets had no route") }
        return lines.joined(separator: "\n")
    }

    /// Packets in flight on the links.
    public var packetsInFlight: Int { events.count }
}
