// Read first: RFC 9293 §3.10.7.2 (segment arrives in LISTEN), §3.10.1 (passive OPEN),
// RFC 4987 §3.2 ("Filtering" and backlog: a SYN flood must not exhaust memory).
import ToyTCPWire

/// A passive OPEN: a port (and maybe an address) that answers SYNs, with a bounded backlog.
///
/// The backlog counts embryonic connections (SYN-RECEIVED) and completed ones not yet accepted; when it
/// is full, `StackConfiguration.synFloodDefense` decides: SYN cookies (RFC 4987 §3.6, the default),
/// recycling the oldest half-open TCB (§3.4), or dropping the SYN (counted in `synBacklogDrops`). Either
/// way a SYN flood costs at most `backlog` TCBs per listener.
final class Listener {
    let id: ListenerID
    let address: IPAddress?
    let port: UInt16
    let backlog: Int
    // `@exclusivity(unchecked)`: stdlib containers of identifiers, see `Stack`.
    /// Connections in SYN-RECEIVED from this listener.
    @exclusivity(unchecked) var embryonic: Set<ConnectionID> = []
    /// ESTABLISHED connections waiting for `accept`, oldest first.
    @exclusivity(unchecked) var acceptQueue: [ConnectionID] = []
    // Counters for `ListenerSnapshot`.
    var synsDropped = 0
    var synAckRetransmissions = 0
    var cookiesSent = 0
    var cookiesValidated = 0
    /// When the last SYN cookie went out: ACKs are checked as cookies only for a while after (Linux's
    /// tcp_synq_no_recent_overflow), so a blind attacker cannot open connections by guessing cookies
    /// while there is no flood.
    var lastCookieSent: Instant?

    func cookiesRecentlySent(at now: Instant) -> Bool {
        guard let t = lastCookieSent else { return false }
        return now - t <= SynCookieCodec.tickLength * Int(SynCookieCodec.maximumAge)
    }

    init(id: ListenerID, address: IPAddress?, port: UInt16, backlog: Int) {
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

    /// Whether a SYN to `address:port` is this listener's: its own address, its family's unspecified
    /// address (`0.0.0.0`, `::`: every address of one family), or no address (every address of both).
    func covers(_ address: IPAddress, _ port: UInt16) -> Bool {
        guard port == self.port else { return false }
        guard let mine = self.address else { return true }
        return mine == address || (mine.isUnspecified && mine.isIPv6 == address.isIPv6)
    }

    /// Whether this listener and one on `other` (same port) would both cover some address: such a
    /// pair is refused (`addressInUse`), so at most one listener covers any address and port.
    func overlaps(_ other: IPAddress?) -> Bool {
        guard let mine = address, let other else { return true }
        guard mine.isIPv6 == other.isIPv6 else { return false }
        return mine == other || mine.isUnspecified || other.isUnspecified
    }
}
