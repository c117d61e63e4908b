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
    /// When the last SYN cookie went out: ACKs are checked as cookies only for a while after (Linux's
    /// tcp_synq_no_recent_overflow), so a blind attacker cannot open connections by guessing cookies
    /// while there is no flood.
    var lastCookieSent: Instant?

    func cookiesRecentlySent(at now: Instant) -> Bool {
        guard let t = lastCookieSent else { return false }
        return now - t <= SynCookieCodec.tickLength * Int(SynCookieCodec.maximumAge)
    }

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
