// Read first: RFC 9438 (CUBIC): §4.2 the window function W_cubic(t) = C·(t − K)^3 + W_max, §4.3 the
// Reno-friendly region (W_est), §4.4 the concave and §4.5 the convex regions (target = W_cubic(t + RTT)
// clamped to [cwnd, 1.5·cwnd]), §4.6 multiplicative decrease (β_cubic = 0.7), §4.7 fast convergence,
// §4.8 timeout, §4.9 spurious congestion events; RFC 5681 for slow start and recovery.
import Foundation

/// CUBIC congestion control (RFC 9438): after a reduction the window grows as a cubic function of the
/// time since the congestion event, flattening near the window where the loss happened (W_max) and
/// probing beyond it; never slower than Reno would (the Reno-friendly estimate W_est).
///
/// Windows are kept in bytes like NewReno's, and computed in segments (`Double`) as the RFC writes them.
/// Slow start and recovery (inflation, partial ACKs) are NewReno's (RFC 9438 §4.10, §4.1).
struct Cubic: CongestionController {
    /// RFC 9438 §5: C = 0.4, β_cubic = 0.7; α_cubic = 3·(1 − β)/(1 + β) (§4.3).
    static let c = 0.4
    static let beta = 0.7
    static let alpha = 3 * (1 - beta) / (1 + beta)

    private(set) var cwnd: Int
    private(set) var ssthresh: Int = Int(Int32.max)
    private let initialWindow: Int
    /// W_max: the window (segments) just before the last reduction; 0 before any.
    private(set) var wMax: Double = 0
    /// Start of the current congestion-avoidance epoch, its K (seconds) and the Reno-friendly W_est.
    private(set) var epochStart: Instant?
    private(set) var k: Double = 0
    private(set) var wEst: Double = 0
    /// cwnd in segments with its fraction (growth per ACK is fractional).
    private var cwndSegments: Double
    /// W_max before the last congestion event, restored if the event proves spurious (§4.9).
    private var priorWMax: Double = 0

    init(initialWindowSegments: Int, mss: Int) {
        initialWindow = max(1, initialWindowSegments) * mss
        cwnd = initialWindow
        cwndSegments = Double(max(1, initialWindowSegments))
    }

    /// RFC 9438 §4.2 figure 1.
    static func window(at t: Double, k: Double, wMax: Double) -> Double {
        let d = t - k
        return c * d * d * d + wMax
    }

    private mutating func setCwnd(segments: Double, mss: Int) {
        cwndSegments = segments
        cwnd = max(mss, Int(segments * Double(mss)))
    }

    mutating func onAck(bytes: Int, mss: Int, now: Instant, rtt: Duration?) {
        if cwnd < ssthresh {
            // Slow start (RFC 5681 §3.1 with RFC 3465 byte counting, as NewReno).
            cwnd += min(bytes, 2 * mss)
            cwndSegments = Double(cwnd) / Double(mss)
            return
        }
        let segments = Double(cwnd) / Double(mss)
        // Recovery and restarts set cwnd in bytes: resynchronise the fractional count.
        if Int(cwndSegments * Double(mss)) != cwnd { cwndSegments = segments }
        let start: Instant
        if let e = epochStart {
            start = e
        } else {
            // §4.2: a new epoch; K from the distance to W_max (0 when already above it).
            start = now
            epochStart = now
            if wMax <= segments {
                k = 0
                wMax = segments
            } else {
                k = Foundation.cbrt((wMax - segments) / Self.c)
            }
            wEst = segments
        }
        let acked = Double(bytes) / Double(mss)
        let t = Double((now - start).nanosecondsClamped) / 1e9
        let r = Double((rtt ?? .milliseconds(100)).nanosecondsClamped) / 1e9
        // §4.3: W_est grows by α_cubic segments per window (by 1 once past W_max).
        wEst += (wEst >= wMax ? 1 : Self.alpha) * acked / segments
        let cubicNow = Self.window(at: t, k: k, wMax: wMax)
        if cubicNow < wEst {
            // Reno-friendly region: cwnd = W_est.
            setCwnd(segments: max(cwndSegments, wEst), mss: mss)
        } else {
            // §4.4/§4.5: target = W_cubic(t + RTT), within [cwnd, 1.5·cwnd]; cwnd += (target − cwnd)/cwnd per segment.
            let target = min(max(Self.window(at: t + r, k: k, wMax: wMax), segments), 1.5 * segments)
            setCwnd(segments: cwndSegments + (target - segments) / segments * acked, mss: mss)
        }
    }

    /// §4.6 and §4.7: W_max (lowered for fast convergence when the window is shrinking), ssthresh = cwnd·β.
    private mutating func congestionEvent(mss: Int) {
        let segments = Double(cwnd) / Double(mss)
        priorWMax = wMax
        wMax = segments < wMax ? segments * (1 + Self.beta) / 2 : segments
        ssthresh = max(Int((Double(cwnd) * Self.beta).rounded()), 2 * mss)
        epochStart = nil
    }

    mutating func onEnterRecovery(flightSize: Int, mss: Int) {
        congestionEvent(mss: mss)
        // RFC 5681 §3.2 step 3 (inflated by the three duplicates; SACK recovery sets cwnd = ssthresh).
        cwnd = ssthresh + 3 * mss
        cwndSegments = Double(cwnd) / Double(mss)
    }

    mutating func onEnterSACKRecovery() { cwnd = ssthresh }

    mutating func onPartialAck(bytes: Int, mss: Int) {
        cwnd = max(cwnd - bytes, mss)
        if bytes >= mss { cwnd += mss }
    }

    mutating func onDuplicateAckInRecovery(mss: Int) { cwnd += mss }

    mutating func onExitRecovery(flightSize: Int, mss: Int) {
        cwnd = min(ssthresh, max(flightSize, mss) + mss)
        cwndSegments = Double(cwnd) / Double(mss)
    }

    mutating func onExitSACKRecovery() { cwnd = ssthresh }

    mutating func onRetransmitTimeout(flightSize: Int, mss: Int) {
        // §4.8: the congestion event's W_max and ssthresh, then cwnd = 1 SMSS (RFC 5681).
        congestionEvent(mss: mss)
        cwnd = mss
        cwndSegments = 1
    }

    mutating func onIdleRestart(mss: Int) {
        cwnd = min(cwnd, initialWindow)
        cwndSegments = Double(cwnd) / Double(mss)
        epochStart = nil
    }

    mutating func onCongestionExperienced(flightSize: Int, mss: Int) {
        // RFC 9438 §4.6 applies to ECN-Echo as to loss.
        congestionEvent(mss: mss)
        cwnd = ssthresh
        cwndSegments = Double(cwnd) / Double(mss)
    }

    mutating func onSpuriousReduction(priorCwnd: Int, priorSsthresh: Int) {
        // §4.9: restore cwnd, ssthresh and W_max as they were before the event.
        cwnd = max(cwnd, priorCwnd)
        ssthresh = max(ssthresh, priorSsthresh)
        wMax = max(wMax, priorWMax)
        epochStart = nil
    }
}
