/// What became of a packet on its way: the final verdict of the packet path, carried on its
/// `PacketRecord`, so the pictures draw a dropped segment as lost, `trace` says so, and `record` writes
/// only what went on the wire.
public enum PacketFate: String, Hashable, Sendable {
    /// Went on: onto the wire (outbound) or to the receiving stack (inbound). Every record starts so.
    case passed
    /// An extra copy made by a `duplicate` verdict (intercept's `dup`, a simulated link duplicating).
    case duplicate
    /// Held by intercept and dropped by the user (`drop`): it never went on (outbound) or never
    /// reached our stack (inbound).
    case droppedByIntercept = "dropped by intercept"
    /// Lost by the simulated network: in transit on a link (loss), tail-dropped by a full link queue,
    /// or dropped for want of a route or TTL.
    case lost = "lost on the link"

    /// Whether the packet went where it was going (`record` writes only these; `expect` matches only these).
    public var wentOn: Bool { self == .passed || self == .duplicate }
}
