// Read first: RFC 5681 §3 (slow start, congestion avoidance, fast retransmit/fast recovery),
// RFC 6582 §3.2 (NewReno partial acknowledgments), RFC 6675 §5 (SACK-based recovery uses `pipe`),
// RFC 6928 (initial window of 10 segments).

/// A congestion-control algorithm: how the congestion window reacts to acknowledgments, duplicate
/// acknowledgments and timeouts. The connection owns loss detection and retransmission; the
/// controller only sizes `cwnd` and `ssthresh`, so another algorithm (CUBIC, RFC 9438) can be added.
protocol CongestionController {
    var cwnd: Int { get }
    var ssthresh: Int { get }
    /// `bytes` of new data were cumulatively acknowledged outside recovery; `rtt` is the smoothed RTT.
    mutating func onAck(bytes: Int, mss: Int, now: Instant, rtt: Duration?)
    /// Loss detected by duplicate acknowledgments or SACK: enter recovery with `flightSize` in flight.
    mutating func onEnterRecovery(flightSize: Int, mss: Int)
    /// SACK-based recovery began (RFC 6675 §5 step 4.2): cwnd = ssthresh, no inflation.
    mutating func onEnterSACKRecovery()
    /// A partial acknowledgment of `bytes` during recovery (RFC 6582 §3.2 step 5).
    mutating func onPartialAck(bytes: Int, mss: Int)
    /// A duplicate acknowledgment during recovery (RFC 5681 §3.2 step 4: inflate).
    mutating func onDuplicateAckInRecovery(mss: Int)
    /// Recovery ended with an acknowledgment of everything up to `recover` (RFC 6582 §3.2 step 3).
    mutating func onExitRecovery(flightSize: Int, mss: Int)
    /// SACK-based recovery ended (RFC 6675 §5: cwnd stays ssthresh, no deflation).
    mutating func onExitSACKRecovery()
    /// The retransmission timer expired (RFC 5681 §3.1, equation (4)).
    mutating func onRetransmitTimeout(flightSize: Int, mss: Int)
    /// The connection was idle longer than an RTO (RFC 5681 §4.1: restart window).
    mutating func onIdleRestart(mss: Int)
    /// An ECN echo (RFC 3168 §6.1.2): reduce as for a loss, without retransmitting.
    mutating func onCongestionExperienced(flightSize: Int, mss: Int)
    /// The last reduction was spurious (every retransmission D-SACKed, RFC 3708): restore the window.
    mutating func onSpuriousReduction(priorCwnd: Int, priorSsthresh: Int)
}

/// RFC 5681 congestion control with RFC 6582 NewReno fast recovery.
struct NewReno: CongestionController {
    private(set) var cwnd: Int
    private(set) var ssthresh: Int = Int(Int32.max)
    /// Bytes acknowledged during congestion avoidance not yet turned into window growth (RFC 5681 §3.1
    /// "byte counting": cwnd grows by one SMSS per cwnd of acknowledged data).
    private var bytesAcked = 0
    private let initialWindow: Int

    init(initialWindowSegments: Int, mss: Int) {
        initialWindow = max(1, initialWindowSegments) * mss
        cwnd = initialWindow
    }

    mutating func onAck(bytes: Int, mss: Int, now: Instant, rtt: Duration?) {
        if cwnd < ssthresh {
            // RFC 5681 §3.1 (2): slow start grows with the bytes acknowledged, at most L = 2·SMSS per ACK
            // (RFC 3465 §2.2 appropriate byte counting), so delayed ACKs do not halve the growth.
            cwnd += min(bytes, 2 * mss)
        } else {
            // RFC 5681 §3.1 (3): congestion avoidance, one SMSS per RTT.
            bytesAcked += bytes
            if bytesAcked >= cwnd {
                bytesAcked -= cwnd
                cwnd += mss
            }
        }
    }

    mutating func onEnterRecovery(flightSize: Int, mss: Int) {
        // RFC 5681 §3.2 step 2 (equation (4)) and step 3: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = ssthresh + 3*SMSS.
        ssthresh = max(flightSize / 2, 2 * mss)
        cwnd = ssthresh + 3 * mss
        bytesAcked = 0
    }

    mutating func onEnterSACKRecovery() { cwnd = ssthresh }

    mutating func onPartialAck(bytes: Int, mss: Int) {
        // RFC 6582 §3.2 step 5: deflate by the amount acknowledged, add back one SMSS if that was at least one SMSS.
        cwnd = max(cwnd - bytes, mss)
        if bytes >= mss { cwnd += mss }
    }

    mutating func onDuplicateAckInRecovery(mss: Int) {
        // RFC 5681 §3.2 step 4: each further duplicate ACK means a segment left the network.
        cwnd += mss
    }

    mutating func onExitRecovery(flightSize: Int, mss: Int) {
        // RFC 6582 §3.2 step 3 option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        cwnd = min(ssthresh, max(flightSize, mss) + mss)
        bytesAcked = 0
    }

    mutating func onExitSACKRecovery() {
        // RFC 6675 §5 sets cwnd = ssthresh on entry and never deflates it; `pipe` kept the flight in
        // check during recovery. Deflating to FlightSize + SMSS (RFC 6582 option (1)) would be wrong
        // here: when the last retransmission fills the last hole, everything above it was already
        // SACKed, FlightSize is ~0 and cwnd would collapse to 2·SMSS after every loss (measured in the
        // lab at 2% loss). Linux ends its cwnd reduction the same way (tcp_end_cwnd_reduction).
        cwnd = ssthresh
        bytesAcked = 0
    }

    mutating func onRetransmitTimeout(flightSize: Int, mss: Int) {
        // RFC 5681 §3.1 equation (4) and: cwnd = loss window = 1 SMSS.
        ssthresh = max(flightSize / 2, 2 * mss)
        cwnd = mss
        bytesAcked = 0
    }

    mutating func onIdleRestart(mss: Int) {
        // RFC 5681 §4.1: restart window = min(IW, cwnd).
        cwnd = min(cwnd, initialWindow)
    }

    mutating func onCongestionExperienced(flightSize: Int, mss: Int) {
        // RFC 3168 §6.1.2: halve as RFC 5681 §3.2 step 2 would, with no inflation.
        ssthresh = max(flightSize / 2, 2 * mss)
        cwnd = ssthresh
        bytesAcked = 0
    }

    mutating func onSpuriousReduction(priorCwnd: Int, priorSsthresh: Int) {
        // Linux tcp_undo_cwnd_reduction: back to at least where the episode began.
        cwnd = max(cwnd, priorCwnd)
        ssthresh = max(ssthresh, priorSsthresh)
        bytesAcked = 0
    }
}

/// The controller a connection runs, chosen by `StackConfiguration.congestionControl`.
///
/// An enum rather than `any CongestionController`: calls dispatch with a switch (no existential box, no
/// allocation, inlinable), and adding an algorithm is one case here plus its type.
enum SelectedCongestionController: CongestionController {
    case newReno(NewReno)
    case cubic(Cubic)

    init(_ algorithm: CongestionControlAlgorithm, initialWindowSegments: Int, mss: Int) {
        switch algorithm {
        case .newReno: self = .newReno(NewReno(initialWindowSegments: initialWindowSegments, mss: mss))
        case .cubic: self = .cubic(Cubic(initialWindowSegments: initialWindowSegments, mss: mss))
        }
    }

    var cwnd: Int {
        switch self {
        case .newReno(let c): return c.cwnd
        case .cubic(let c): return c.cwnd
        }
    }

    var ssthresh: Int {
        switch self {
        case .newReno(let c): return c.ssthresh
        case .cubic(let c): return c.ssthresh
        }
    }

    // Each call switches on the algorithm and writes the value back (no existential, no allocation).
    mutating func onAck(bytes: Int, mss: Int, now: Instant, rtt: Duration?) {
        switch self {
        case .newReno(var c): c.onAck(bytes: bytes, mss: mss, now: now, rtt: rtt); self = .newReno(c)
        case .cubic(var c): c.onAck(bytes: bytes, mss: mss, now: now, rtt: rtt); self = .cubic(c)
        }
    }
    mutating func onEnterRecovery(flightSize: Int, mss: Int) {
        switch self {
        case .newReno(var c): c.onEnterRecovery(flightSize: flightSize, mss: mss); self = .newReno(c)
        case .cubic(var c): c.onEnterRecovery(flightSize: flightSize, mss: mss); self = .cubic(c)
        }
    }
    mutating func onEnterSACKRecovery() {
        switch self {
        case .newReno(var c): c.onEnterSACKRecovery(); self = .newReno(c)
        case .cubic(var c): c.onEnterSACKRecovery(); self = .cubic(c)
        }
    }
    mutating func onPartialAck(bytes: Int, mss: Int) {
        switch self {
        case .newReno(var c): c.onPartialAck(bytes: bytes, mss: mss); self = .newReno(c)
        case .cubic(var c): c.onPartialAck(bytes: bytes, mss: mss); self = .cubic(c)
        }
    }
    mutating func onDuplicateAckInRecovery(mss: Int) {
        switch self {
        case .newReno(var c): c.onDuplicateAckInRecovery(mss: mss); self = .newReno(c)
        case .cubic(var c): c.onDuplicateAckInRecovery(mss: mss); self = .cubic(c)
        }
    }
    mutating func onExitRecovery(flightSize: Int, mss: Int) {
        switch self {
        case .newReno(var c): c.onExitRecovery(flightSize: flightSize, mss: mss); self = .newReno(c)
        case .cubic(var c): c.onExitRecovery(flightSize: flightSize, mss: mss); self = .cubic(c)
        }
    }
    mutating func onExitSACKRecovery() {
        switch self {
        case .newReno(var c): c.onExitSACKRecovery(); self = .newReno(c)
        case .cubic(var c): c.onExitSACKRecovery(); self = .cubic(c)
        }
    }
    mutating func onRetransmitTimeout(flightSize: Int, mss: Int) {
        switch self {
        case .newReno(var c): c.onRetransmitTimeout(flightSize: flightSize, mss: mss); self = .newReno(c)
        case .cubic(var c): c.onRetransmitTimeout(flightSize: flightSize, mss: mss); self = .cubic(c)
        }
    }
    mutating func onIdleRestart(mss: Int) {
        switch self {
        case .newReno(var c): c.onIdleRestart(mss: mss); self = .newReno(c)
        case .cubic(var c): c.onIdleRestart(mss: mss); self = .cubic(c)
        }
    }
    mutating func onSpuriousReduction(priorCwnd: Int, priorSsthresh: Int) {
        switch self {
        case .newReno(var c): c.onSpuriousReduction(priorCwnd: priorCwnd, priorSsthresh: priorSsthresh); self = .newReno(c)
        case .cubic(var c): c.onSpuriousReduction(priorCwnd: priorCwnd, priorSsthresh: priorSsthresh); self = .cubic(c)
        }
    }
    mutating func onCongestionExperienced(flightSize: Int, mss: Int) {
        switch self {
        case .newReno(var c): c.onCongestionExperienced(flightSize: flightSize, mss: mss); self = .newReno(c)
        case .cubic(var c): c.onCongestionExperienced(flightSize: flightSize, mss: mss); self = .cubic(c)
        }
    }
}
