/// One packet as the pictures take it: the neutral input of `LadderDiagram` and `SequenceGraph`, filled
/// from a capture file, the simulated network or the shell's packet history alike.
public struct LadderPacket: Sendable {
    /// When it was seen, in nanoseconds (any origin: the pictures print times relative to the first packet).
    public var time: Int64
    /// The IPv4 packet.
    public var bytes: [UInt8]
    /// Whether it went from the diagram's left side to its right side; nil to decide from the addresses.
    public var leftToRight: Bool?
    /// Why it was sent ("retransmit: RTO", "tail-loss probe"), when the sender says so.
    public var reason: String?
    /// It never arrived (dropped by the simulated link or by an intercept rule).
    public var lost: Bool

    public init(time: Int64, bytes: [UInt8], leftToRight: Bool? = nil, reason: String? = nil, lost: Bool = false) {
        self.time = time
        self.bytes = bytes
        self.leftToRight = leftToRight
        self.reason = reason
        self.lost = lost
    }
}
