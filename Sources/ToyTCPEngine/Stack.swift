import ToyTCPWire

/// A TCP stack for one or more local IPv4 addresses: demultiplexes segments to connections by 4-tuple,
/// owns listeners with bounded backlogs, picks ephemeral ports (RFC 6056) and ISNs (RFC 6528), and
/// answers stray segments with RST (RFC 9293 §3.10.7.1).
///
/// Sans-IO (see ../shared/STYLE.md): the stack owns no socket, thread or clock. Its methods fall into
/// four groups, used in this order by whoever drives it (the event loop, the simulated network, a test):
/// - **inputs**: `handle(packet:at:)`, `handleTimeout(at:)`;
/// - **user calls**: `listen`, `accept`, `connect`, `send`, `receive`, `shutdown`, `close`, `abort`;
/// - **outputs**, drained after every input or call until they return `nil`:
///   `pollTransmit(at:)` (segments to put on the wire), then `pollEvent()`;
/// - **the next wake-up**: `nextDeadline` — call `handleTimeout(at:)` when it passes (early or twice is harmless).
///
/// Confined to one thread; not `Sendable`.
public final class Stack {
    public var configuration: StackConfiguration
    /// The addresses this stack answers for.
    public private(set) var addresses: [IPv4Address]
    public private(set) var statistics = StackStatistics()

    public init(addresses: [IPv4Address], configuration: StackConfiguration = StackConfiguration()) {
        self.addresses = addresses
        self.configuration = configuration
        fatalError("Stack: being written")
    }

    // MARK: Inputs

    /// Handles one received IPv4 packet (raw bytes): parsed, checksum verified, demultiplexed.
    /// Malformed packets and bad checksums are counted in `statistics` and dropped.
    public func handle(packet bytes: UnsafeRawBufferPointer, at now: Instant) { fatalError() }

    /// Handles one received, already-parsed packet (its checksum is trusted).
    public func handle(_ packet: IPv4Packet, at now: Instant) { fatalError() }

    /// Runs every timer due at `now` (retransmission, persist, delayed ACK, TIME-WAIT, …).
    public func handleTimeout(at now: Instant) { fatalError() }

    // MARK: Outputs

    /// The next packet to send, or `nil` when there is nothing to send now.
    public func pollTransmit(at now: Instant) -> IPv4Packet? { fatalError() }

    /// The next event, or `nil`.
    public func pollEvent() -> StackEvent? { fatalError() }

    /// When `handleTimeout` must next be called; `nil` when no timer is armed.
    public var nextDeadline: Instant? { fatalError() }

    // MARK: User calls (RFC 9293 §3.10.1–3.10.6)

    /// Passive OPEN: listen on `port` of `address` (`nil`: every address of the stack).
    public func listen(address: IPv4Address? = nil, port: UInt16, backlog: Int? = nil) throws(EngineError) -> ListenerID { fatalError() }

    /// Stops listening; connections not yet accepted are reset.
    public func closeListener(_ listener: ListenerID, at now: Instant) { fatalError() }

    /// A connection that completed its handshake on `listener`, or `nil` if none is waiting.
    public func accept(_ listener: ListenerID) -> ConnectionID? { fatalError() }

    /// Active OPEN: sends a SYN to `remote:port` from `local` (default: the first address) and `localPort`
    /// (default: an ephemeral port, RFC 6056).
    public func connect(to remote: IPv4Address, port: UInt16, from local: IPv4Address? = nil,
                        localPort: UInt16? = nil, at now: Instant) throws(EngineError) -> ConnectionID { fatalError() }

    /// Queues bytes for sending; returns how many were accepted (limited by send-buffer space).
    public func send(_ id: ConnectionID, _ bytes: UnsafeRawBufferPointer, at now: Instant) throws(EngineError) -> Int { fatalError() }

    /// Takes up to `maxLength` received bytes: `[]` when none are waiting yet, `nil` at end of stream
    /// (the peer's FIN has arrived and everything before it was read).
    public func receive(_ id: ConnectionID, maxLength: Int, at now: Instant) throws(EngineError) -> [UInt8]? { fatalError() }

    /// Half-close: a FIN follows the data already queued; receiving goes on (RFC 9293 §3.10.4).
    public func shutdown(_ id: ConnectionID, at now: Instant) throws(EngineError) { fatalError() }

    /// Close both directions (RFC 9293 §3.10.4); data queued is still sent before the FIN.
    public func close(_ id: ConnectionID, at now: Instant) throws(EngineError) { fatalError() }

    /// ABORT: sends a RST and deletes the TCB at once (RFC 9293 §3.10.5).
    public func abort(_ id: ConnectionID, at now: Instant) { fatalError() }

    // MARK: Getters

    /// A copy of a connection's variables, or `nil` if the id is unknown (or the TCB was deleted).
    public func snapshot(_ id: ConnectionID) -> ConnectionSnapshot? { fatalError() }

    /// The live connections, oldest first.
    public var connectionIDs: [ConnectionID] { fatalError() }
}
