import ToyTCPEngine

/// Which way a tapped packet went.
public enum PacketDirection: String, Hashable, Sendable {
    /// Received from the raw socket (addressed to one of the stack's addresses).
    case inbound
    /// Sent to the raw socket: the stack's output and packets given to `EventLoop.inject`.
    case outbound
}

/// One packet seen by the event loop's tap: every packet in and out, with the wall-clock time at
/// which the loop received or sent it, for the shell's trace/record/expect and for pcap writers.
///
/// `bytes` is the whole IPv4 packet and is valid only during the call (it points into the loop's
/// reusable buffers): copy what you keep.
public struct TappedPacket {
    public var direction: PacketDirection
    public var time: WallClockTime
    /// The engine's clock at the same moment (for relating a packet to timers and snapshots).
    public var instant: Instant
    public var bytes: UnsafeRawBufferPointer
}

/// Called on the event loop's thread for every packet in and out. It must be quick and must not call
/// the blocking API of the same loop (that would wait for the thread that is running it).
public typealias PacketTap = @Sendable (TappedPacket) -> Void
