import ToyTCPEngine
import ToyTCPSim
import ToyTCPWire

/// The simulated network for scripts and the shell: the lab's topology in virtual time.
///
/// `host1` 10.0.0.1 runs our stack; `router` joins 10.0.0.0/24 and 10.0.1.0/24; `host2` 10.0.1.1 runs the
/// peers `peer` starts (more hosts appear when a peer names a new address). `raw` 10.0.0.2 is a host
/// whose stack never sees what arrives (`deliversToStack = false`): segments crafted from it are not
/// reset by any stack, and the answers to it are observed as they arrive. Waits advance virtual time, so a 60 s persist timer takes no wall-clock time and
/// every run is the same run (seeded).
public final class SimulatedScriptNetwork: ScriptNetwork {
    public let simulation: SimulatedNetwork
    public let host: SimulatedHost
    public let router: SimulatedRouter
    public let peerHost: SimulatedHost
    public let rawHost: SimulatedHost
    private var observations: [Observation] = []
    private var peers: [PeerApp] = []

    public static let rawSourceAddress = IPv4Address(10, 0, 0, 2)
    /// The raw host's IPv6 address, beside host1's fd00:0:0:1::1.
    public static let rawSourceAddress6 = IPv6Address(0xfd00, 0, 0, 1, 0, 0, 0, 2)
    static let linkDelay = LinkImpairments(delay: .milliseconds(5))

    public init(seed: UInt64 = 1, configuration: StackConfiguration = StackConfiguration()) throws(ScriptError) {
        simulation = SimulatedNetwork(seed: seed)
        do {
            // 5 ms each way on each link: a 20 ms round trip, so traces show time passing and RTTs.
            (host, router, peerHost) = try simulation.addLabTopology(impairments: Self.linkDelay, configuration: configuration)
            rawHost = try simulation.addHost("raw", addresses: [.v4(Self.rawSourceAddress), .v6(Self.rawSourceAddress6)])
            rawHost.deliversToStack = false
            try simulation.connect(rawHost, router, impairments: Self.linkDelay)
        } catch {
            throw ScriptError("cannot build the simulated network: \(error)", at: SourceLocation(file: "<sim>", line: 0, column: 0))
        }
        // The same stages as on the lab: the crafted-conversation rule next to the stack, the
        // observer at the wire end.
        host.port.addStage(CraftedConversationStage(stack: host.stack), at: 0)
        host.observePackets { [unowned self] in observations.append(.packet($0)) }
        host.eventObserver = { [unowned self] event, time in observations.append(.event(event, time)) }
        rawHost.observePackets { [unowned self] in observations.append(.packet($0)) }
        // Packets the links lose anywhere (`link … loss`): the pictures draw them lost, `trace` says so.
        // Seen from our side: leaving it when sent from host1 or the raw address.
        simulation.addTap(LinkLossObserver { [unowned self] lost in
            var r = lost
            let source = lost.bytes.withUnsafeBytes { (try? IPv4HeaderView(validating: $0))?.source }
            r.direction = source == host.address || source == Self.rawSourceAddress ? .outbound : .inbound
            observations.append(.packet(r))
        })
    }

    /// The wall-clock time virtual time 0 stands for in a pcap: 2026-01-01 00:00:00 UTC. Fixed, so
    /// the same seed writes the same file.
    public static let epochSeconds: Int64 = 1_767_225_600

    public var kind: NetworkKind { .simulated }
    public var label: String { "sim" }
    public var banner: String {
        "toytcp shell on the simulated network (virtual time): you are host1 10.0.0.1 and fd00:0:0:1::1, peers go on host2 10.0.1.1 and fd00:0:0:2::1 (peer echo 10.0.1.1 7); "
            + "for the kernel lab run as root with the lab up (scripts/lab-up.sh) or pass --netns host1"
    }
    public func withPort<T, E: Error>(_ body: (PacketPort, Instant) throws(E) -> T) throws(E) -> T {
        try body(host.port, simulation.now)
    }

    public func observe(_ observation: Observation) { observations.append(observation) }

    public func wallClock(_ instant: Instant) -> (seconds: Int64, nanoseconds: Int32) {
        let ns = max(0, instant.nanoseconds)
        return (Self.epochSeconds + ns / 1_000_000_000, Int32(ns % 1_000_000_000))
    }

    public var observationDescriptor: Int32? { nil }
    public var localAddress: IPv4Address { host.address }
    public var rawAddress: IPv4Address? { Self.rawSourceAddress }
    public func mayCraft(to address: IPAddress) -> Bool { true }
    /// Every host's addresses, peers first (what `connect` and `inject` usually name).
    public var knownAddresses: [IPAddress] {
        simulation.hosts.filter { $0 !== host && $0 !== rawHost }.flatMap(\.localAddresses) + host.localAddresses
    }
    public var now: Instant { simulation.now }

    public func flush() { simulation.flush() }

    public func transmit(_ bytes: [UInt8], observe: Bool) throws(ScriptError) {
        do {
            // From the raw address: sent by the raw host, so it crosses the network like any packet.
            let source = bytes.withUnsafeBytes { IPAddress.source(ofPacket: $0) }
            let fromRaw = source.map { rawHost.localAddresses.contains($0) } ?? false
            try (fromRaw ? rawHost : host).inject(bytes)
            // A flood (`count=`) must not pile up millions of packets in flight: let virtual time
            // deliver them in batches.
            if simulation.packetsInFlight > 20_000 {
                _ = run(until: simulation.now + .milliseconds(10), interrupted: { false }) { self.simulation.packetsInFlight < 1_000 }
            }
        } catch {
            throw ScriptError("inject: \(error)", at: SourceLocation(file: "<sim>", line: 0, column: 0))
        }
    }

    public func deliverLocally(_ bytes: [UInt8]) {
        host.deliverLocally(bytes)
    }

    public func run(until deadline: Instant, interrupted: () -> Bool, _ condition: () -> Bool) -> WaitOutcome {
        var steps = 0
        while true {
            simulation.flush()
            if condition() { return .satisfied }
            if interrupted() { return .interrupted }
            // Virtual time stands still while intercept holds a segment: the next step, drop or
            // continue decides what happens next, as in a debugger.
            if !host.port.held.isEmpty { return .timedOut }
            guard let next = simulation.nextEventTime, next <= deadline, steps < 50_000_000 else {
                if deadline > simulation.now { try? simulation.run(until: deadline) }
                simulation.flush()
                return condition() ? .satisfied : .timedOut
            }
            _ = simulation.step()
            steps += 1
        }
    }

    public func takeObservations() -> [Observation] {
        defer { observations.removeAll(keepingCapacity: true) }
        return observations
    }

    public func link(_ direction: Direction?, _ text: String) throws(ScriptError) -> String {
        let loc = SourceLocation(file: "<sim>", line: 0, column: 0)
        guard let link = simulation.link(between: host, and: router) else { throw ScriptError("host1 has no link", at: loc) }
        if !text.isEmpty {
            do {
                switch direction {
                case .outbound?: try link.updateImpairments(parsing: text, from: host)
                case .inbound?: try link.updateImpairments(parsing: text, from: router)
                case nil: try link.updateImpairments(parsing: text)
                }
            } catch {
                throw ScriptError("link: \(error)", at: loc)
            }
        }
        let out = link.impairments(from: host).map { "\($0)" } ?? "?"
        let inbound = link.impairments(from: router).map { "\($0)" } ?? "?"
        return "link \(link.name): out \(out); in \(inbound)"
    }

    public func startPeer(_ kind: PeerKind, at endpoint: Endpoint, count: Int?, connectTo: Endpoint?) throws(ScriptError) -> String {
        let loc = SourceLocation(file: "<sim>", line: 0, column: 0)
        guard !host.localAddresses.contains(endpoint.ip), !rawHost.localAddresses.contains(endpoint.ip) else {
            throw ScriptError("\(endpoint.ip) is our own side; put peers on 10.0.1.0/24 (e.g. 10.0.1.1) or fd00:0:0:2::/64", at: loc)
        }
        var target = simulation.host(for: endpoint.ip)
        var created = ""
        if target == nil {
            guard LabScriptNetwork.isLabSubnet(endpoint.ip) else {
                throw ScriptError("peers live in 10.0.0.0/24, 10.0.1.0/24, fd00:0:0:1::/64 or fd00:0:0:2::/64, not \(endpoint.ip)", at: loc)
            }
            do {
                let h = try simulation.addHost("peer\(simulation.hosts.count)", addresses: [endpoint.ip])
                try simulation.connect(h, router, impairments: Self.linkDelay)
                target = h
                created = " (new host \(h.name))"
            } catch {
                throw ScriptError("cannot add a host at \(endpoint.ip): \(error)", at: loc)
            }
        }
        guard let target else { throw ScriptError("no host at \(endpoint.ip)", at: loc) }
        let app: PeerApp
        let behavior: PeerApp.Behavior
        switch kind {
        case .echo: behavior = .echo
        case .discard: behavior = .discard
        case .send: behavior = .source(bytes: count ?? 0)
        }
        if let connectTo {
            app = PeerApp(behavior, connectingTo: connectTo.ip, port: connectTo.port)
        } else {
            app = PeerApp(behavior, role: .listen(port: endpoint.port))
        }
        do {
            try target.start(app)
        } catch {
            throw ScriptError("peer \(kind.rawValue) \(endpoint): \(error)", at: loc)
        }
        peers.append(app)
        if let connectTo { return "peer \(kind.rawValue) on \(endpoint.ip) connecting to \(connectTo)\(created)" }
        return "peer \(kind.rawValue) listening on \(endpoint)\(created)"
    }

    public func shutdown() {
        for id in host.stack.connectionIDs { try? host.stack.close(id, at: simulation.now) }
        _ = run(until: simulation.now + .seconds(5), interrupted: { false }) { self.host.stack.connectionIDs.isEmpty }
    }
}

/// A tap on every simulated link that reports only the packets the network drops (`fate == .lost`).
private final class LinkLossObserver: PacketStage {
    let report: (PacketRecord) -> Void
    init(_ report: @escaping (PacketRecord) -> Void) { self.report = report }
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict { .pass }
    func dropped(_ packet: PacketRecord, at now: Instant) { report(packet) }
}
