// Read first: RFC 8985 §6.2 (a segment is lost when one sent after it was delivered first; this holds
// for retransmissions too, which RFC 6675 alone cannot see), RFC 6675 §4 (HighRxt).
import ToyTCPWire

/// The retransmissions of one recovery episode that are not yet acknowledged, each with SND.MAX at the
/// moment it was sent.
///
/// A retransmission sent when SND.MAX was M travels ahead of all data above M. When the peer SACKs data
/// above M while the retransmitted range is still missing, the retransmission was lost (the SACK-based
/// form of RFC 8985's time order, as Linux's tcp_mark_lost_retrans did before RACK): repair it now
/// instead of waiting for the RTO.
struct RetransmissionLog {
    struct Entry: Equatable {
        var start: SequenceNumber
        var end: SequenceNumber
        /// SND.MAX when the retransmission went out: data above it was sent later.
        var sentBefore: SequenceNumber
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func record(start: SequenceNumber, end: SequenceNumber, sentBefore: SequenceNumber) {
        guard start < end else { return }
        entries.append(Entry(start: start, end: end, sentBefore: sentBefore))
    }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Forgets acknowledged retransmissions and returns the lowest start of those shown lost: still not
    /// fully SACKed although data sent after them was SACKed.
    mutating func detectLost(una: SequenceNumber, scoreboard: SACKScoreboard) -> SequenceNumber? {
        guard !entries.isEmpty else { return nil }
        let highest = scoreboard.highestSACKed
        var lowest: SequenceNumber? = nil
        var i = 0
        while i < entries.count {
            let e = entries[i]
            if e.end <= una {
                entries.remove(at: i)
                continue
            }
            if let highest, e.sentBefore < highest,
               scoreboard.unsackedBytes(from: SequenceNumber.max(e.start, una), to: e.end) > 0 {
                if lowest.map({ e.start < $0 }) ?? true { lowest = e.start }
                entries.remove(at: i)
                continue
            }
            i += 1
        }
        return lowest
    }
}
