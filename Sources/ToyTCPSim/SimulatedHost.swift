import ToyTCPEngine
import ToyTCPWire

/// A host of the simulated network: a name, its addresses, and the toytcp `Stack` that answers for them.
///
/// Use it like a machine: make user calls on `stack` (`listen`, `connect`, `send`, …) with `now` as the
/// time; the network picks up what the stack wants to send at its next step (or call
/// `network.flush()`). `inject` puts a hand-crafted packet on the wire as if this host had sent it,
/// bypassing the stack (the stack will see the peer's answer). Apps (`PeerApp`: echo, discard, send N
/// bytes) run on a host with `start(_:)`.
///
/// The host only moves bytes and time through its `PacketPort` (the one packet path, shared with the
/// event loop on the lab): deliveries go to `port.receive`, timers to `port.handleTimeout`, and after
/// each it drains `port.pollTransmit` onto the wire and `port.pollEvent` to the observer and the apps.
/// Observers, the raw host's "keep it from the stack" and the shell's trace are stages on that port.
public final class SimulatedHost: SimulatedNode {
    public let name: String
    public let localAddresses: [IPAddress]
    public let nodeIndex: Int
    /// The packet path of this host: its stack and the stages between the stack and the wire.
    public let port: PacketPort
    /// This host's TCP: make user calls on it directly.
    public var stack: Stack { port.stack }
    public unowned let network: SimulatedNetwork

    /// Called for every event the stack reports, before the apps see it.
    public var eventObserver: ((StackEvent, Instant) -> Void)?
    /// When `false`, packets delivered to this host pass its stages (observers see them) but the stack
    /// never does: a "raw" host from which the shell crafts a peer's segments by hand with `inject`,
    /// without its own stack answering the other side's segments with RSTs (the problem LAB-NOTES.md
    /// describes for the kernel). Timers and user calls on the stack still work.
    public var deliversToStack: Bool {
        get { !port.stages.contains { $0 === keepFromStack } }
        set {
            port.removeStage(keepFromStack)
            if !newValue { port.addStage(keepFromStack, at: 0) }
        }
    }
    private let keepFromStack = KeepInboundFromStack()
    /// The apps running on this host, in start order.
    public private(set) var apps: [any SimulatedApp] = []

    /// Packets this host put on the wire (its stack's and injected ones), packets injected, packets received.
    public internal(set) var packetsSent = 0
    public internal(set) var packetsInjected = 0
    public internal(set) var packetsReceived = 0

    private var isDraining = false

    init(name: String, addresses: [IPAddress], index: Int, configuration: StackConfiguration,
         network: SimulatedNetwork) {
        self.name = name; self.localAddresses = addresses; nodeIndex = index; self.network = network
        port = PacketPort(stack: Stack(addresses: addresses, configuration: configuration))
    }

    /// Calls `observe` for every packet the host sends or receives, as on its wire (a stage at the
    /// wire end), and for each one intercept drops afterwards (`fate == .droppedByIntercept`); returns
    /// the stage, for `port.removeStage`.
    @discardableResult
    public func observePackets(_ observe: @escaping (PacketRecord) -> Void) -> PacketObserverStage {
        let stage = PacketObserverStage(observe)
        port.addStage(stage)
        return stage
    }

    /// The network's virtual time: pass it to every stack call.
    public var now: Instant { network.now }

    /// The first IPv4 address (what `connect` uses by default over IPv4); `0.0.0.0` on an IPv6-only host.
    public var address: IPv4Address { addresses.first ?? .any }

    /// The first IPv6 address, if the host has one.
    public var ipv6Address: IPv6Address? { ipv6Addresses.first }

    // MARK: Injection

    /// Puts a raw IPv4 or IPv6 packet on the wire as if this host had sent it, bypassing its stack: routed by its
    /// destination address, impaired by the links like any other packet. Bytes are sent as given (a
    /// wrong checksum stays wrong).
    public func inject(_ bytes: [UInt8]) throws(SimulationError) {
        guard bytes.count >= 20 else { throw .notIPv4(length: bytes.count) }
        packetsInjected += 1
        port.transmit(crafted: bytes, at: now)
        drain(pollApps: false)
    }

    /// Hands a crafted packet to this host's own stack as if it had arrived from the wire (through the
    /// port's stages, marked crafted).
    public func deliverLocally(_ bytes: [UInt8]) {
        port.receive(bytes, at: now, crafted: true)
        drain(pollApps: false)
    }

    /// Injects a crafted packet; checksums are computed unless `tcpChecksum` says `.keep`.
    public func inject(_ packet: IPv4Packet, tcpChecksum: TCPSegment.ChecksumMode = .compute) throws(SimulationError) {
        try inject(packet.bytes(tcpChecksum: tcpChecksum))
    }

    /// Injects a crafted IPv6 packet; the TCP checksum is computed unless `tcpChecksum` says `.keep`.
    public func inject(_ packet: IPv6Packet, tcpChecksum: TCPSegment.ChecksumMode = .compute) throws(SimulationError) {
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
        port.receive(bytes, at: now)
        drain()
    }

    func handleTimeout() {
        port.handleTimeout(at: now)
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
                guard port.pollTransmit(into: &writer, at: t) else { break }
                transmitted += 1
                progressed = true
                packetsSent += 1
                network.transmit(writer.bytes, from: self)
            }
            while let event = port.pollEvent() {
                progressed = true
                eventObserver?(event, t)
                for app in apps { app.handle(event, on: self, at: t) }
            }
            if !progressed { return }
        }
    }
}

/// The raw host's stage next to its stack: inbound packets stop here (stages nearer the wire saw them).
final class KeepInboundFromStack: PacketStage {
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        packet.direction == .inbound && !packet.crafted ? .drop : .pass
    }
}
