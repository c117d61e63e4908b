import ToyTCPEngine

extension StackConfiguration {
    /// The engine's configuration for packetdrill runs with `--stack toytcp`: Linux's defaults (as
    /// the selftests' `defaults.sh` sets them) wherever the RFCs leave the choice to the implementation,
    /// so a script written against Linux finds the same parameters:
    /// - MSS 1460 (a 1500-byte MTU, RFC 9293 §3.7.1) and window scale 8 (Linux's shift for its
    ///   15 MB `tcp_rmem` maximum; RFC 7323 §2.3 lets the receiver pick it);
    /// - initial window 10 segments (RFC 6928), initial RTO 1 s (RFC 6298 (2.1)), minimum RTO 200 ms
    ///   (Linux's `TCP_RTO_MIN`; RFC 6298 (2.4) says "SHOULD" 1 s), delayed ACKs after 40 ms (RFC 9293
    ///   allows up to 500 ms) after the first 16 data segments, which are acknowledged at once (Linux's
    ///   quick-ACK mode, `quickAcks`), timestamps on a millisecond clock (RFC 7323 §5.4 allows 1 ms to 1 s);
    /// - SACK and D-SACK on (RFC 2018, RFC 2883), ECN off (`tcp_ecn=0`), CUBIC (RFC 9438,
    ///   `tcp_congestion_control=cubic`), `tcp_syn_retries=5`, `tcp_synack_retries=5`;
    /// - a 256 KB send buffer (`tcp_wmem`'s default) and Linux's 540000-byte default receive buffer.
    ///
    /// What Linux does beyond the RFCs (TLP/RACK timing details, PRR's exact cwnd, CUBIC's values,
    /// autotuning, Fast Open, AccECN) is not copied; README "packetdrill scripts" lists it.
    public static var packetdrillLinuxDefaults: StackConfiguration {
        var c = StackConfiguration()
        c.mss = 1460
        c.windowScaling = true
        c.windowScaleShift = 8
        c.receiveBufferSize = 540_000
        c.sendBufferSize = 256 * 1024
        c.initialWindowSegments = 10
        c.initialRTO = .seconds(1)
        c.minimumRTO = .milliseconds(200)
        c.delayedAckTimeout = .milliseconds(40)
        c.quickAcks = 16
        c.sack = true
        c.dsack = true
        c.ecn = false
        c.timestamps = true
        c.congestionControl = .cubic
        c.synRetries = 5
        c.synAckRetries = 5
        return c
    }
}
