// Read first: RFC 5961 §7 (one global limit on challenge ACKs).
import ToyTCPWire

/// What every connection of a stack shares: the event queue, the counters, the global challenge-ACK
/// budget, and RSTs that answer a segment but belong to no connection's send sequence.
final class StackContext {
    // No run-time exclusivity checks (see `Stack`): a queue of values and an array, changed only by
    // stdlib methods.
    @exclusivity(unchecked) var events = FIFOQueue<StackEvent>()
    var statistics = StackStatistics()
    /// RSTs (and other one-off replies) waiting for `pollTransmit`: (tuple from our side, segment).
    @exclusivity(unchecked) var replies: [(FourTuple, OutgoingSegment)] = []
    private var challengeWindowStart: Instant?
    private var challengeCount = 0
    var challengeAckLimit: Int

    init(challengeAckLimit: Int) { self.challengeAckLimit = challengeAckLimit }

    /// RFC 5961 §7: at most `challengeAckLimit` challenge ACKs per second across the stack.
    func mayChallenge(at now: Instant) -> Bool {
        if challengeWindowStart.map({ now - $0 >= .seconds(1) || now < $0 }) ?? true {
            challengeWindowStart = now
            challengeCount = 0
        }
        guard challengeCount < challengeAckLimit else { return false }
        challengeCount += 1
        statistics.challengeAcksSent += 1
        return true
    }

    /// Queues a RST (or RST+ACK) as a reply outside any connection (RFC 9293 §3.10.7.1 and friends).
    func queueReset(_ tuple: FourTuple, seq: SequenceNumber, ack: SequenceNumber?) {
        var s = OutgoingSegment(seq: seq, ack: ack ?? 0, flags: ack == nil ? .rst : [.rst, .ack], window: 0)
        s.payloadLength = 0
        s.reason = .reset
        replies.append((tuple, s))
    }
}
