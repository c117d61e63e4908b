import ToyTCPEngine
import ToyTCPWire

/// Something that happened on the network, in the order it happened.
public enum Observation: Sendable {
    case packet(PacketRecord)
    case event(StackEvent, Instant)
    /// A segment intercept now holds (`PacketPort.held` has it); the breakpoint number if one fired.
    case held(PacketRecord, breakpoint: Int?)
    /// Expression breakpoint `number` became true where the stack runs, after `after` (the packet seen
    /// before): the session is stopped, every segment is held until `continue`.
    case breakpoint(Int, after: PacketRecord?)
}

/// How a wait ended.
public enum WaitOutcome: Sendable, Equatable {
    /// The condition held.
    case satisfied
    /// The deadline passed first.
    case timedOut
    /// The user pressed Ctrl-C.
    case interrupted
}

/// Which kind of network a session runs on, for the banner and the prompt.
public enum NetworkKind: Sendable, Equatable {
    case simulated
    /// The kernel lab, inside the named network namespace (or the current one, `nil`).
    case lab(namespace: String?)
}

/// The network an interpreter talks through: our `Stack` on a simulated network (virtual time) or on a
/// raw socket in the kernel lab (wall-clock time). One interface, so every command and every script
/// runs on both.
///
/// The interpreter acts on the stack only through `withStack` (on the lab the stack lives on the event
/// loop's thread and runs all the time: the call is made there and waited for; on the simulated
/// network it runs at once); it waits with `run(until:…)`, which moves time (virtually or for real);
/// and it reads what happened with `takeObservations()`. Packets are seen by a stage on the stack's
/// `PacketPort`, the same path on both networks.
///
/// One rule for crafted conversations on both networks (`CraftedConversationStage`): the answers to a
/// segment crafted from a local port our stack does not use are observed but not fed to our stack.
public protocol ScriptNetwork: AnyObject {
    var kind: NetworkKind { get }
    /// `sim` or the namespace name: what the prompt shows.
    var label: String { get }
    /// The first line a session prints: which network, and how to get the other.
    var banner: String { get }
    /// Runs `body` with our stack's packet port (the stack and its stages) and the network's clock,
    /// where the stack lives, and returns its result; what it makes the stack send goes out right after.
    func withPort<T, E: Error>(_ body: (PacketPort, Instant) throws(E) -> T) throws(E) -> T
    /// Adds an observation as if the network had made it; callable from the stack's thread (stages).
    func observe(_ observation: Observation)
    /// The address our stack answers for.
    var localAddress: IPv4Address { get }
    /// An address on our side that our stack does not answer for, used as the default source of
    /// hand-crafted segments so the stack does not reset the peer's answers (`nil`: none).
    var rawAddress: IPv4Address? { get }
    /// The addresses a crafted segment may go to (the lab or the simulated network), for the safety check.
    func mayCraft(to address: IPAddress) -> Bool
    /// Addresses worth offering when completing an address: ours and the peers', both families.
    var knownAddresses: [IPAddress] { get }
    var now: Instant { get }

    /// Sends what the stack queued after a user call (on the lab the loop does it by itself).
    func flush()
    /// The wall-clock time of `instant` for a pcap (seconds and nanoseconds since 1970): the real time
    /// on the lab, `SimulatedScriptNetwork.epoch` plus virtual time on the simulated network.
    func wallClock(_ instant: Instant) -> (seconds: Int64, nanoseconds: Int32)
    /// Readable when observations wait that no command asked for (the lab's stack runs between
    /// commands); the shell polls it beside standard input. `nil`: time moves only in `run`.
    var observationDescriptor: Int32? { get }
    /// Puts a crafted IPv4 packet on the wire from our host (bytes as given: a wrong checksum stays wrong).
    /// `observe: false` skips the observation (the copies of a flood after the first).
    func transmit(_ bytes: [UInt8], observe: Bool) throws(ScriptError)
    /// Hands a crafted packet to our own stack as if it had arrived from the wire.
    func deliverLocally(_ bytes: [UInt8])
    /// Moves time until `deadline` or until `condition` holds (checked after everything that happens),
    /// or until `interrupted` returns true.
    func run(until deadline: Instant, interrupted: () -> Bool, _ condition: () -> Bool) -> WaitOutcome
    /// Packets and stack events since the last call, in order.
    func takeObservations() -> [Observation]

    /// Sets (or with empty `text` prints) the impairments of our host's link, per direction (`nil`:
    /// both); simulated network only. Returns what the link now does.
    func link(_ direction: Direction?, _ text: String) throws(ScriptError) -> String
    /// Starts a peer application (simulated network only).
    func startPeer(_ kind: PeerKind, at endpoint: Endpoint, count: Int?, connectTo: Endpoint?) throws(ScriptError) -> String
    /// Closes everything cleanly (connections closed, sockets released).
    func shutdown()
    /// Applies a setting of the event loop our stack runs on (`set loop …`) and returns how the loop
    /// now waits and is scheduled (`loop=sleep loop-priority=normal`); with `nil` only returns it.
    /// `nil` result: this network has no event loop (the simulated one).
    func configureLoop(_ setting: LoopSetting?) throws -> String?
    /// Passive OPEN on our stack (RFC 9293 §3.10.1) on `address` (`nil`: every address of our host,
    /// both families). On the lab the port is held in the kernel too, so no kernel socket of the
    /// namespace can take it while we listen: a toytcp process answers only for ports it holds.
    func listen(address: IPAddress?, port: UInt16) throws -> ListenerID
}

extension ScriptNetwork {
    /// No event loop (the simulated network moves virtual time itself).
    public func configureLoop(_ setting: LoopSetting?) throws -> String? { nil }

    /// No kernel here to hold the port in: the stack's own listen.
    public func listen(address: IPAddress?, port: UInt16) throws -> ListenerID {
        try withStack { (st, _) throws(EngineError) in try st.listen(address: address, port: port) }
    }

    /// Runs `body` with our stack and the network's clock, where the stack lives (see `withPort`).
    public func withStack<T, E: Error>(_ body: (Stack, Instant) throws(E) -> T) throws(E) -> T {
        try withPort { (port, now) throws(E) -> T in try body(port.stack, now) }
    }
}
