// Read first: RFC 6298 (all of it: (2.1)–(2.5), (5.1)–(5.7), Karn's algorithm in §3),
// RFC 7323 §4 (RTTM: RTT samples from echoed timestamps).

/// The retransmission timer's estimator of RFC 6298: SRTT, RTTVAR and the RTO, with exponential backoff.
///
/// Karn's rule (RFC 6298 §3) is the caller's part: it never feeds a sample taken from a retransmitted
/// segment (unless the sample comes from a timestamp echo, which is unambiguous, RFC 7323 §4).
struct RTTEstimator {
    /// Smoothed round-trip time, `nil` until the first measurement.
    private(set) var srtt: Duration?
    private(set) var rttvar: Duration?
    /// The RTO before backoff.
    private(set) var baseRTO: Duration
    /// How many times the RTO has been doubled since the last new acknowledgment (RFC 6298 (5.5)).
    private(set) var backoff = 0

    let minimum: Duration
    let maximum: Duration

    /// RFC 6298 (2.1): until a measurement is made, RTO = initial (1 s).
    init(initial: Duration, minimum: Duration, maximum: Duration) {
        self.minimum = minimum
        self.maximum = max(maximum, minimum)
        baseRTO = min(max(initial, minimum), self.maximum)
    }

    /// The current RTO: the base value doubled once per backoff, capped at the maximum (RFC 6298 (5.5), (2.5)).
    var rto: Duration {
        var r = baseRTO
        var i = 0
        while i < backoff && r < maximum { r = r.times(2); i += 1 }
        return min(r, maximum)
    }

    /// Folds in one RTT measurement `r`.
    mutating func addSample(_ r: Duration) {
        let r = max(r, .zero)
        if let s = srtt, let v = rttvar {
            // RFC 6298 (2.3): RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, then SRTT <- 7/8 SRTT + 1/8 R'.
            let delta = s > r ? s - r : r - s
            let newVar = (v.times(3) + delta).over(4)
            rttvar = newVar
            srtt = (s.times(7) + r).over(8)
        } else {
            // RFC 6298 (2.2): the first measurement: SRTT <- R, RTTVAR <- R/2.
            srtt = r
            rttvar = r.over(2)
        }
        // RFC 6298 (2.2)/(2.3): RTO <- SRTT + max(G, K*RTTVAR), K = 4; clock granularity G taken as 1 ms.
        let k = max(Duration.milliseconds(1), rttvar!.times(4))
        baseRTO = min(max(srtt! + k, minimum), maximum)
        // A fresh sample means the path answers again: backoff ends (RFC 6298 (5.7) note).
        backoff = 0
    }

    /// RFC 6298 (5.5): on expiry the timer backs off.
    mutating func backOff() { if backoff < 32 { backoff += 1 } }

    /// New data was acknowledged: the backoff is kept only until a new sample arrives, but Linux and
    /// BSD both clear it on new acknowledgment, which RFC 6298 §5 allows ("(5.7)" discussion).
    mutating func resetBackoff() { backoff = 0 }

    /// RFC 6298 (5.7): after the SYN's retransmission timer expired, RTO falls back to 3 s when data starts.
    mutating func resetAfterSYNTimeout() {
        if srtt == nil { baseRTO = min(max(.seconds(3), minimum), maximum) }
    }
}

