/// Options of a stack; each connection copies them when it is created, so changing them affects
/// connections opened afterwards (the shell's `set`).
public struct StackConfiguration: Hashable, Sendable {
    /// MSS we announce and the largest payload we send (RFC 9293 §3.7.1); 1460 for Ethernet.
    public var mss: UInt16 = 1460
    /// Receive buffer in bytes: the window we offer is the free space in it (RFC 9293 §3.8.6).
    public var receiveBufferSize: Int = 1 << 20
    /// Send buffer in bytes: `send` accepts at most this much unacknowledged data.
    public var sendBufferSize: Int = 1 << 20
    /// Offer window scaling (RFC 7323 §2); the shift is derived from `receiveBufferSize` unless set.
    public var windowScaling: Bool = true
    /// A fixed shift count to announce instead of the derived one (0...14).
    public var windowScaleShift: UInt8? = nil
    /// Offer and use SACK (RFC 2018).
    public var sack: Bool = true
    /// Report duplicate segments in the first SACK block (D-SACK, RFC 2883), as Linux does by default.
    public var dsack: Bool = true
    /// Proportional rate reduction during SACK recovery (RFC 6937), as Linux does; off, RFC 6675's
    /// cwnd = ssthresh with `pipe` accounting alone.
    public var proportionalRateReduction: Bool = true
    /// Negotiate ECN (RFC 3168) on connections; off by default.
    public var ecn: Bool = false
    /// RACK time-based loss detection (RFC 8985 §6) with the tail loss probe (§7), as Linux; off, loss
    /// is found by RFC 6675's duplicate count and the probe alone.
    public var rack: Bool = true
    /// Offer and use timestamps (RFC 7323 §3).
    public var timestamps: Bool = true
    /// Nagle's algorithm (RFC 9293 §3.7.4, RFC 1122 §4.2.3.4).
    public var nagle: Bool = true
    /// Delayed acknowledgments (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3).
    public var delayedAck: Bool = true
    /// How long an ACK may be delayed; at most 500 ms by RFC 9293 (MUST-40), we default to 40 ms as Linux does.
    public var delayedAckTimeout: Duration = .milliseconds(40)
    /// Data segments acknowledged at once at the start of a connection before delayed ACKs begin
    /// (Linux's quick-ACK mode, up to 16; RFC 9293 §3.8.6.3 and RFC 1122 §4.2.3.2 leave when to delay
    /// to the receiver). 0, the default: every ACK may be delayed.
    public var quickAcks: Int = 0
    /// Initial RTO (RFC 6298 (2.1)): 1 s.
    public var initialRTO: Duration = .seconds(1)
    /// Lower bound of the RTO (RFC 6298 (2.4) says 1 s; Linux uses 200 ms).
    public var minimumRTO: Duration = .milliseconds(200)
    /// Upper bound of the RTO (RFC 6298 (2.5): at least 60 s).
    public var maximumRTO: Duration = .seconds(60)
    /// SYN retransmissions before `connect` fails with a timeout (Linux `tcp_syn_retries` = 6).
    public var synRetries: Int = 6
    /// Data retransmissions before the connection fails with a timeout (Linux `tcp_retries2` = 15).
    public var dataRetries: Int = 15
    /// Maximum segment lifetime; TIME-WAIT lasts 2 × MSL (RFC 9293 §3.4.2; Linux holds 60 s in all).
    public var msl: Duration = .seconds(30)
    /// Backlog of a listener: connections completed but not yet accepted, plus embryonic ones.
    public var backlog: Int = 128
    /// What a listener does with a SYN when its backlog is full (RFC 4987 §3): SYN cookies by default,
    /// as Linux (`tcp_syncookies` = 1) does.
    public var synFloodDefense: SynFloodDefense = .cookies
    /// SYN-ACK retransmissions before a half-open connection is dropped (Linux `tcp_synack_retries` = 5).
    public var synAckRetries: Int = 5
    /// Keep-alive probes on idle connections (RFC 9293 §3.8.4): `nil`, off, by default (RFC 1122
    /// §4.2.3.6); per connection with `Stack.setKeepalive`.
    public var keepalive: KeepaliveSettings? = nil
    /// Challenge ACKs per second, all connections together (RFC 5961 §7).
    public var challengeAckLimit: Int = 1000
    /// Range of ephemeral ports (RFC 6056 §3.2 suggests 1024...65535; Linux uses 32768...60999).
    public var ephemeralPorts: ClosedRange<UInt16> = 32768...60999
    /// Whether a segment for a port the stack does not use (no listener, no connection on it) draws a
    /// RST (RFC 9293 §3.10.7.1). Right when the stack is alone at its addresses (the simulated network);
    /// wrong on a shared host, where such ports belong to the kernel or to another toytcp process: there
    /// (the lab) the stack answers only for what it owns and leaves everything else alone.
    public var resetsUnownedPorts: Bool = true
    /// Congestion control algorithm.
    public var congestionControl: CongestionControlAlgorithm = .newReno
    /// Initial congestion window in segments (RFC 6928: 10).
    public var initialWindowSegments: Int = 10
    /// Persist (zero-window probe) interval bounds.
    public var maximumPersistInterval: Duration = .seconds(60)
    /// Seed for the ISN key (RFC 6528) and port randomization (RFC 6056); the driver supplies randomness,
    /// so the engine stays deterministic under test.
    public var secret: UInt64 = 0x746f_7974_6370_2121

    public init() {}
}

/// The congestion-control algorithms the engine knows.
public enum CongestionControlAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// RFC 5681 slow start and congestion avoidance with RFC 6582 NewReno fast recovery.
    case newReno = "newreno"
    /// RFC 9438 CUBIC (Linux's default).
    case cubic
}

/// A listener's answer to a SYN that finds its backlog full (RFC 4987 §3).
public enum SynFloodDefense: String, Hashable, Sendable, CaseIterable {
    /// Drop the SYN; the peer retries (RFC 4987 §3.2 bounded backlog alone: a flood locks clients out).
    case drop
    /// Answer with a SYN cookie and keep no state (RFC 4987 §3.6; Linux's encoding, see `SynCookieCodec`).
    case cookies
    /// Evict the oldest half-open connection to make room (RFC 4987 §3.4 "recycling the oldest
    /// half-open TCB"): a legitimate client's handshake survives if it completes within the time the
    /// flood takes to cycle through the backlog.
    case recycleOldest = "recycle"
}
