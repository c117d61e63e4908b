/// Which way a packet goes, seen from our host.
public enum PacketDirection: String, Hashable, Sendable {
    /// Arriving from the network, towards our stack.
    case inbound
    /// Leaving our host: our stack's output and crafted packets.
    case outbound
}

/// One packet seen at our host: the one record type every front end shares (trace, `expect`, `record`,
/// taps, intercept, the simulated network's observers, the event loop's stages).
///
/// On a simulated link (`SimulatedNetwork`), `outbound` means leaving the node that put it on the link.
///
/// `time` is the driver's clock (`Instant`): virtual time on the simulated network, `CLOCK_MONOTONIC`
/// on the lab. Inbound packets are stamped when they arrived (the driver's read time), not when they
/// were processed; outbound ones when the stack emitted them. Converting to wall-clock time for a pcap
/// is the driver's business (it knows its epoch).
public struct PacketRecord: Sendable {
    public var time: Instant
    public var direction: PacketDirection
    /// The whole IP packet (IPv4 or IPv6, from its header on).
    public var bytes: [UInt8]
    /// Why our stack sent it; `nil` for inbound packets and for crafted ones.
    public var reason: SegmentReason?
    /// Put on the wire (or handed to our stack) by hand (`inject`), not by our stack.
    public var crafted: Bool
    /// What became of it: `.passed` on its way; set by the verdict that ended its journey otherwise
    /// (a stage's `dropped(_:at:)` sees the record with it).
    public var fate: PacketFate

    public init(time: Instant, direction: PacketDirection, bytes: [UInt8], reason: SegmentReason? = nil,
                crafted: Bool = false, fate: PacketFate = .passed) {
        self.time = time
        self.direction = direction
        self.bytes = bytes
        self.reason = reason
        self.crafted = crafted
        self.fate = fate
    }
}
