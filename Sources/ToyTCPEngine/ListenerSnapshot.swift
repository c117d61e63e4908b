// Read first: RFC 4987 §3 (SYN flooding defences: backlog, SYN cache, SYN cookies).
import ToyTCPWire

/// A readable copy of one listener's queues and flood counters, for `status` and scripts.
public struct ListenerSnapshot: Hashable, Sendable {
    public var id: ListenerID
    /// The local address (`nil`: every address of the stack in both families; `0.0.0.0` or `::`: every
    /// address of one family) and port.
    public var address: IPAddress?
    public var port: UInt16
    /// Half-open plus accept-queue connections allowed at once.
    public var backlog: Int
    /// Connections in SYN-RECEIVED.
    public var halfOpen: Int
    /// Established connections waiting for `accept`.
    public var acceptQueued: Int
    /// SYNs dropped because the backlog was full (SYN cookies off).
    public var synsDropped: Int
    /// SYN-ACKs retransmitted by this listener's half-open connections.
    public var synAckRetransmissions: Int
    /// SYN cookies sent (backlog full, RFC 4987 §3.6) and cookies validated by a returning ACK.
    public var cookiesSent: Int
    public var cookiesValidated: Int

    public init(id: ListenerID, address: IPAddress?, port: UInt16, backlog: Int, halfOpen: Int,
                acceptQueued: Int, synsDropped: Int, synAckRetransmissions: Int, cookiesSent: Int,
                cookiesValidated: Int) {
        self.id = id; self.address = address; self.port = port; self.backlog = backlog
        self.halfOpen = halfOpen; self.acceptQueued = acceptQueued; self.synsDropped = synsDropped
        self.synAckRetransmissions = synAckRetransmissions; self.cookiesSent = cookiesSent
        self.cookiesValidated = cookiesValidated
    }
}
