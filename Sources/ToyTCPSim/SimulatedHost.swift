import ToyTCPEngine
import ToyTCPWire

/// Which way a packet went, seen from a host.
public enum PacketDirection: String, Hashable, Sendable {
    /// The host put it on the wire (from its stack, or injected).
    case sent
    /// The network delivered it to the host (before its stack handled it).
    case received
}

/// One packet a host sent or received, for `SimulatedHost.packetObserver`.
public struct PacketObservation {
    public var time: Instant
    public var direction: PacketDirection
    /// The whole IPv4 packet.
    public var bytes: [UInt8]
    /// `true` for packets put on the wire with `inject`, bypassing the host's stack.
    public var injected: Bool
}

/// A host of the simulated network: a name, its addresses, and the toytcp `Stack` that answers for them.
///
/// Use it like a machine: make user calls on `stack` (`listen`, `connect`, `send`, …) with `now` as the
/// time; the network picks up what the stack wants to send at its next step (or call
/// `network.flush()`). `inject` puts a hand-crafted packet on the wire as if this host had sent it,
/// bypassing the stack (the stack will see the peer's answer). Apps (`PeerApp`: echo, discard, send N
/// bytes) run on a host with `start(_:)`.
///
/// The network drives the stack per its contract: after every delivery, timer or flush it calls
/// `handle` or `handleTimeout`, then drains `pollTransmit` onto the wire and `pollEvent` to the
/// observers and apps, until both are empty.
public final class SimulatedHost: SimulatedNode {
    public let name: String
    public let addresses: [IPv4Address]
    public let nodeIndex: Int
    /// This host's TCP: make user calls on it directly.
    public let stack: Stack
    public unowned let network: SimulatedNetwork

    /// Called for every packet the host sends or receives (direction, bytes, virtual time).
    public var packetObserver: ((PacketObservation) -> Void)?
    /// Called for every event the stack reports, before the apps see it.
    public var eventObserver: ((StackEvent, Instant) -> Void)?
    /// When `false`, packets delivered to this host go to `packetObserver` only and the stack never sees
    /// them: a "raw" host from which the shell crafts a peer's segments by hand with `inject`, without
    /// its own stack answering the other side's segments with RSTs (the problem LAB-NOTES.md describes
    /// for the kernel). Timers and user calls on the stack still work.
    public var deliversToStack = true
    /// The apps running on this host, in start order.
    public private(set) var apps: [any SimulatedApp] = []

    /// Segments this host's stack put on the wire, and packets injected.
    public internal(set) var packetsSent = 0
    public internal(set) var packetsInjected = 0
    public internal(set) var packetsReceived = 0

    private var isDraining = false

    init(name: String, addresses: [IPv4Address], index: Int, configuration: StackConfiguration,
         network: SimulatedNetwork) {
        self.name = name; self.addresses = addresses; nodeIndex = index; self.network = network
        stack = Stack(addresses: addresses, configuration: configuration)
    }

    /// The network's virtual time: pass it to every stack call.
    public var now: Instant { network.now }

    /// The first address (what `connect` uses by default).
    public var address: IPv4Address { addresses[0] }

    // MARK: Injection

    /// Puts a raw IPv4 packet on the wire as if this host had sent it, bypassing its stack: routed by its
    /// destination address, impaired by the links like any other packet. Bytes are sent as given (a
    /// wrong checksum stays wrong).
    public func inject(_ bytes: [UInt8]) throws(SimulationError) {
        guard bytes.count >= 20 else { throw .notIPv4(length: bytes.count) }
        packetsInjected += 1
        packetObserver?(PacketObservation(time: now, direction: .sent, bytes: bytes, injected: true))
        network.transmit(bytes, from: self)
    }

    /// Injects a crafted packet; checksums are computed unless `tcpChecksum` says `.keep`.
    public func inject(_ packet: IPv4Packet, tcpChecksum: TCPSegment.ChecksumMode = .compute) throws(SimulationError) {
        try inject(packet.bytes(tcpChecksum: tcpChecksum))
    }

    // MARK: Apps

    /// Starts an app (its `listen` or `connect`) on this host.
    public func start(_ app: any SimulatedApp) throws(SimulationError) {
        do {
            try app.start(on: self, at: now)
        } catch {
            throw .appFailed(app.description, error)
        }
        apps.append(app)
        drain()
    }

    /// Stops an app: it closes its listener and connections.
    public func stop(_ app: any SimulatedApp) {
        guard let i = apps.firstIndex(where: { $0 === app }) else { return }
        apps.remove(at: i)
        app.stop(on: self, at: now)
        drain()
    }

    // MARK: Driving (called by the network)

    func receive(_ bytes: [UInt8]) {
        packetsReceived += 1
        packetObserver?(PacketObservation(time: now, direction: .received, bytes: bytes, injected: false))
        guard deliversToStack else { return }
        let t = now
        bytes.withUnsafeBytes { stack.handle(packet: $0, at: t) }
        drain()
    }

    func handleTimeout() {
        stack.handleTimeout(at: now)
        drain()
    }

    /// Lets the apps act (after an input, `pollApps`), then drains the stack's transmissions onto the
    /// wire and its events to the observer and the apps, until nothing more comes out (bounded, in case
    /// of a livelock).
    func drain(pollApps: Bool = true) {
        guard !isDraining else { return }
        isDraining = true
        defer { isDraining = false }
        let t = now
        if pollApps {
            for app in apps { app.poll(on: self, at: t) }
        }
        for _ in 0..<10_000 {
            var progressed = false
            var transmitted = 0
            while transmitted < 1_000_000 {
                // Each packet gets its own buffer: it travels through the event queue and the taps.
                var writer = ByteWriter(capacity: 1600)
                guard stack.pollTransmit(into: &writer, at: t) else { break }
                transmitted += 1
                progressed = true
                packetsSent += 1
                let bytes = writer.bytes
                packetObserver?(PacketObservation(time: t, direction: .sent, bytes: bytes, injected: false))
                network.transmit(bytes, from: self)
            }
            while let event = stack.pollEvent() {
                progressed = true
                eventObserver?(event, t)
                for app in apps { app.handle(event, on: self, at: t) }
            }
            if !progressed { return }
        }
    }
}
