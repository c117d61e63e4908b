// Read first: RFC 6937 (Proportional Rate Reduction) §3 and its pseudo-code: during recovery, send in
// proportion to what the receiver reports delivered, so the window comes down to ssthresh smoothly
// instead of halting for half a window (RFC 6675) and then bursting; PRR-SSRB once pipe < ssthresh.
import ToyTCPWire

/// PRR's state for one recovery episode (RFC 6937 §3: prr_delivered, prr_out, RecoverFS).
struct ProportionalRateReduction {
    var delivered = 0
    var out = 0
    var recoverFS = 0
    /// cwnd as PRR sets it on each ACK: pipe + sndcnt.
    var cwnd = 0
}

extension Connection {
    /// Recovery began: "prr_delivered = 0, prr_out = 0, RecoverFS = snd.nxt − snd.una" (SND.MAX here).
    func beginPRR() {
        guard configuration.proportionalRateReduction, sackEnabled else { prr = nil; return }
        prr = ProportionalRateReduction(recoverFS: max(1, snd.max - snd.una), cwnd: congestion.cwnd)
    }

    /// On every ACK during recovery: DeliveredData (SND.UNA's advance plus newly SACKed bytes) feeds
    /// prr_delivered, and sndcnt is what may be sent now (RFC 6937 §3).
    func updatePRR(delivered: Int) {
        guard inRecovery, var p = prr else { return }
        let mss = effectiveMSS
        p.delivered += max(0, delivered)
        let pipe = pipe()
        let ssthresh = congestion.ssthresh
        var sndcnt: Int
        if pipe > ssthresh {
            // Proportional rate reduction: CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out.
            sndcnt = (p.delivered * ssthresh + p.recoverFS - 1) / p.recoverFS - p.out
        } else {
            // PRR-SSRB (slow start reduction bound): catch up to ssthresh, at most one MSS beyond what
            // was delivered.
            let limit = max(p.delivered - p.out, max(0, delivered)) + mss
            sndcnt = min(ssthresh - pipe, limit)
        }
        p.cwnd = pipe + max(sndcnt, 0)
        prr = p
    }

    /// Bytes sent (new or retransmitted) during recovery: "prr_out += (data sent)".
    func notePRRSent(_ bytes: Int) {
        guard inRecovery, var p = prr else { return }
        p.out += bytes
        prr = p
    }

    /// The window sending obeys: PRR's during its recovery, the controller's otherwise.
    var sendingWindow: Int {
        if inRecovery, let p = prr { return p.cwnd }
        return congestion.cwnd
    }
}
