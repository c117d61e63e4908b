/// Counters of the whole stack: what arrived that could not be used, what was answered, and every
/// defensive or recovery mechanism the engine used (so a user sees each one happen in `stats`).
public struct StackStatistics: Hashable, Sendable {
    public var packetsReceived = 0
    public var packetsSent = 0
    /// Packets that failed to parse (`WireError`), counted and dropped.
    public var malformedDropped = 0
    /// Segments whose TCP checksum was wrong, counted and dropped.
    public var badChecksumDropped = 0
    /// Segments to no connection and no listener (answered with RST unless they were RSTs).
    public var noConnectionSegments = 0
    public var resetsSent = 0
    public var challengeAcksSent = 0
    /// SYNs dropped because a listener's backlog was full (and SYN cookies were off).
    public var synBacklogDrops = 0
    /// SYN-ACKs retransmitted by half-open (SYN-RECEIVED) connections.
    public var synAckRetransmissions = 0
    /// Repeated SYNs to a half-open connection left unanswered (at most one SYN-ACK per 500 ms).
    public var duplicateSynsIgnored = 0
    /// SYN cookies sent instead of keeping state (RFC 4987 §3.6) and the ACKs that proved valid or not.
    public var synCookiesSent = 0
    public var synCookiesValidated = 0
    public var synCookiesRejected = 0
    /// Half-open connections evicted to make room for a new SYN (RFC 4987 §3.4, `SynFloodDefense.recycleOldest`).
    public var halfOpenRecycled = 0
    /// Keep-alive probes sent, and connections ended because none was answered (RFC 1122 §4.2.3.6).
    public var keepaliveProbes = 0
    public var keepaliveTimeouts = 0
    /// D-SACK blocks sent and received (RFC 2883), and loss episodes undone as spurious (RFC 3708).
    public var dsacksSent = 0
    public var dsacksReceived = 0
    public var spuriousUndos = 0
    /// SYNs whose data was queued until the handshake completed (RFC 9293 §3.10.7.2).
    public var synDataQueued = 0
    /// Segments dropped by PAWS (RFC 7323 §5.3 R1), and PAWS tests skipped because TS.Recent was
    /// older than 24 days (§5.5).
    public var pawsRejected = 0
    public var pawsStaleRecent = 0
    /// Segments sent and received with URG (RFC 9293 §3.9.1, RFC 6093).
    public var urgentSegmentsSent = 0
    public var urgentSegmentsReceived = 0
    /// ECN (RFC 3168): CE marks received, ECE-flagged ACKs received, window reductions they caused,
    /// and CWR flags sent.
    public var ecnCEReceived = 0
    public var ecnEceReceived = 0
    public var ecnReductions = 0
    public var ecnCwrSent = 0
    /// Losses declared by RACK's time order (RFC 8985 §6.2).
    public var rackLosses = 0
    public var retransmissions = 0
    /// Retransmission timer expirations on established data (each one a stall of at least an RTO).
    public var retransmissionTimeouts = 0
    /// Tail loss probes sent (RFC 8985 §7).
    public var lossProbes = 0
    /// Retransmissions found lost by SACK and sent again before the RTO (RFC 8985 §6.2 time order).
    public var lostRetransmissions = 0
    public init() {}

    /// Every counter as (snake_case name, value), in a fixed order, for `stats` and scripts.
    public var counters: [(name: String, value: UInt64)] {
        let all: [(String, Int)] = [
            ("packets_received", packetsReceived),
            ("packets_sent", packetsSent),
            ("malformed_dropped", malformedDropped),
            ("bad_checksum_dropped", badChecksumDropped),
            ("no_connection_segments", noConnectionSegments),
            ("rsts_sent", resetsSent),
            ("challenge_acks", challengeAcksSent),
            ("syn_backlog_drops", synBacklogDrops),
            ("synack_retransmissions", synAckRetransmissions),
            ("duplicate_syns_ignored", duplicateSynsIgnored),
            ("syn_cookies_sent", synCookiesSent),
            ("syn_cookies_validated", synCookiesValidated),
            ("syn_cookies_rejected", synCookiesRejected),
            ("half_open_recycled", halfOpenRecycled),
            ("keepalive_probes", keepaliveProbes),
            ("keepalive_timeouts", keepaliveTimeouts),
            ("dsacks_sent", dsacksSent),
            ("dsacks_received", dsacksReceived),
            ("spurious_undos", spuriousUndos),
            ("syn_data_queued", synDataQueued),
            ("paws_rejected", pawsRejected),
            ("paws_stale_recent", pawsStaleRecent),
            ("urgent_segments_sent", urgentSegmentsSent),
            ("urgent_segments_received", urgentSegmentsReceived),
            ("ecn_ce_received", ecnCEReceived),
            ("ecn_ece_received", ecnEceReceived),
            ("ecn_reductions", ecnReductions),
            ("ecn_cwr_sent", ecnCwrSent),
            ("rack_losses", rackLosses),
            ("retransmissions", retransmissions),
            ("retransmission_timeouts", retransmissionTimeouts),
            ("loss_probes", lossProbes),
            ("lost_retransmissions", lostRetransmissions),
        ]
        return all.map { (name: $0.0, value: UInt64(max(0, $0.1))) }
    }
}
