/// Why our stack sent a segment: the engine tags every segment it emits, so `trace` and `intercept`
/// can say "retransmission after RTO" rather than leave the reader to guess from sequence numbers.
///
/// Set where the segment is built (Connection+Output, Connection+LossProbe, the RST replies of
/// `StackContext`); read back with `Stack.lastTransmitReason` right after `pollTransmit`.
public enum SegmentReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Our SYN (active OPEN, RFC 9293 §3.10.1) and its retries after the retransmission timer.
    case syn = "SYN"
    case synRetry = "SYN retry"
    /// Our SYN-ACK (RFC 9293 §3.10.7.2) and its retries.
    case synAck = "SYN-ACK"
    case synAckRetry = "SYN-ACK retry"
    /// Data (or a FIN) sent for the first time.
    case newData = "new data"
    /// A FIN sent for the first time with no data (RFC 9293 §3.10.4).
    case fin = "FIN"
    /// Go-back after the retransmission timer fired (RFC 6298 (5.4)).
    case retransmissionAfterRTO = "retransmission after RTO"
    /// Fast retransmit / loss recovery (RFC 5681 §3.2, RFC 6675 NextSeg, RFC 6582 partial ACK).
    case fastRetransmit = "fast retransmit"
    /// RFC 8985 §7.3 tail-loss probe.
    case tailLossProbe = "tail-loss probe"
    /// RFC 9293 §3.8.6.1 zero-window probe (persist timer).
    case zeroWindowProbe = "zero-window probe"
    /// The window opened after the application read (RFC 9293 §3.8.6.2.2).
    case windowUpdate = "window update"
    /// An ACK the delayed-ACK timer released (RFC 9293 §3.8.6.3).
    case delayedAck = "delayed ACK"
    /// An ACK sent at once (every second full segment, out-of-order data, a FIN, …).
    case immediateAck = "immediate ACK"
    /// RFC 5961 §3.2/§4.2/§5.2 challenge ACK.
    case challengeAck = "challenge ACK"
    /// A RST: abort, or an answer to a segment no TCB accepts (RFC 9293 §3.10.7.1).
    case reset = "RST"

    public var description: String { rawValue }
}
