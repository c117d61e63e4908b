// Read first: RFC 9293 §3.10.7.2 (segment arrives in LISTEN), §3.10.1 (passive OPEN),
// RFC 4987 §3.2 ("Filtering" and backlog: a SYN flood must not exhaust memory).
import ToyTCPWire

/// A passive OPEN: a port (and maybe an address) that answers SYNs, with a bounded backlog.
///
/// The backlog counts embryonic connections (SYN-RECEIVED) and completed ones not yet accepted; when it
/// is full new SYNs are dropped (counted in `synBacklogDrops`), so a SYN flood costs at most `backlog`
/// TCBs per listener.
final class Listener {
    let id: ListenerID
    let address: IPv4Address?
    let port: UInt16
    let backlog: Int
    /// Connections in SYN-RECEIVED from this listener.
    var embryonic: Set<ConnectionID> = []
    /// ESTABLISHED connections waiting for `accept`, oldest first.
    var acceptQueue: [ConnectionID] = []
    // Counters for `ListenerSnapshot`.
    var synsDropped = 0
    var synAckRetransmissions = 0
    var cookiesSent = 0
    var cookiesValidated = 0

    init(id: ListenerID, address: IPv4Address?, port: UInt16, backlog: Int) {
        self.id = id
        self.address = address
        self.port = port
        self.backlog = max(1, backlog)
    }

    var isFull: Bool { embryonic.count + acceptQueue.count >= backlog }

    func snapshot() -> ListenerSnapshot {
        ListenerSnapshot(id: id, address: address, port: port, backlog: backlog, halfOpen: embryonic.count,
                         acceptQueued: acceptQueue.count, synsDropped: synsDropped,
                         synAckRetransmissions: synAckRetransmissions, cookiesSent: cookiesSent,
                         cookiesValidated: cookiesValidated)
    }

    func matches(_ address: IPv4Address, _ port: UInt16) -> Bool {
        port == self.port && (self.address == nil || self.address == address)
    }
}
