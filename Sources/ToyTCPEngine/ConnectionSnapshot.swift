import ToyTCPWire

/// A readable copy of one connection's variables (RFC 9293 §3.3.1 names), for `status` and scripts
/// (`c.snd.nxt`).
public struct ConnectionSnapshot: Hashable, Sendable {
    /// Send sequence variables (RFC 9293 §3.3.1).
    public struct Send: Hashable, Sendable {
        public var una: SequenceNumber
        public var nxt: SequenceNumber
        /// The peer's window, scaled (bytes).
        public var wnd: UInt32
        public var wl1: SequenceNumber
        public var wl2: SequenceNumber
        public var iss: SequenceNumber
        /// Our send-side shift (the peer's announced window scale), 0 if none.
        public var windowShift: UInt8
        public init(una: SequenceNumber, nxt: SequenceNumber, wnd: UInt32, wl1: SequenceNumber,
                    wl2: SequenceNumber, iss: SequenceNumber, windowShift: UInt8) {
            self.una = una; self.nxt = nxt; self.wnd = wnd; self.wl1 = wl1; self.wl2 = wl2
            self.iss = iss; self.windowShift = windowShift
        }
    }
    /// Receive sequence variables (RFC 9293 §3.3.1).
    public struct Receive: Hashable, Sendable {
        public var nxt: SequenceNumber
        /// The window we offer, in bytes (before scaling down for the header).
        public var wnd: UInt32
        public var irs: SequenceNumber
        /// Our receive-side shift (the scale we announced), 0 if none.
        public var windowShift: UInt8
        public init(nxt: SequenceNumber, wnd: UInt32, irs: SequenceNumber, windowShift: UInt8) {
            self.nxt = nxt; self.wnd = wnd; self.irs = irs; self.windowShift = windowShift
        }
    }

    public var id: ConnectionID
    public var tuple: FourTuple
    public var state: TCPState
    public var snd: Send
    public var rcv: Receive
    /// Effective send MSS (the peer's MSS, capped by ours).
    public var mss: Int
    public var cwnd: Int
    public var ssthresh: Int
    /// Smoothed RTT, RTT variation and current RTO (RFC 6298); `nil` before the first sample.
    public var srtt: Duration?
    public var rttvar: Duration?
    public var rto: Duration
    /// Bytes accepted by `send` and not yet acknowledged.
    public var sendQueued: Int
    /// Bytes received in order and not yet read by `receive`.
    public var receiveQueued: Int
    /// Bytes held out of order in the reassembly queue.
    public var outOfOrderQueued: Int
    /// Retransmitted segments over the connection's life.
    public var retransmissions: Int
    public var sackEnabled: Bool
    public var timestampsEnabled: Bool
    /// Keep-alive settings (`nil`: off) and probes sent since the peer was last heard (RFC 9293 §3.8.4).
    public var keepalive: KeepaliveSettings? = nil
    public var keepaliveProbesSent = 0
    /// Loss episodes undone because every retransmission was D-SACKed (RFC 2883, RFC 3708).
    public var spuriousUndos = 0
    /// The congestion-control algorithm (RFC 5681/6582 NewReno or RFC 9438 CUBIC).
    public var congestionControl: CongestionControlAlgorithm = .newReno
    /// Urgent data (RFC 9293 §3.9.1, RFC 6093): SND.UP while our urgent data is unacknowledged, RCV.UP
    /// once the peer sent a mark, and received bytes up to that mark the application has not read
    /// (delivered inline; this is the "mark" a reader can see).
    public var sendUrgentPointer: SequenceNumber? = nil
    public var receiveUrgentPointer: SequenceNumber? = nil
    public var urgentUnread = 0
    /// ECN (RFC 3168): negotiated, and whether we are echoing a CE mark (ECE on our ACKs).
    public var ecnEnabled = false
    public var ecnEchoing = false

    public init(id: ConnectionID, tuple: FourTuple, state: TCPState, snd: Send, rcv: Receive, mss: Int,
                cwnd: Int, ssthresh: Int, srtt: Duration?, rttvar: Duration?, rto: Duration,
                sendQueued: Int, receiveQueued: Int, outOfOrderQueued: Int, retransmissions: Int,
                sackEnabled: Bool, timestampsEnabled: Bool) {
        self.id = id; self.tuple = tuple; self.state = state; self.snd = snd; self.rcv = rcv
        self.mss = mss; self.cwnd = cwnd; self.ssthresh = ssthresh; self.srtt = srtt; self.rttvar = rttvar
        self.rto = rto; self.sendQueued = sendQueued; self.receiveQueued = receiveQueued
        self.outOfOrderQueued = outOfOrderQueued; self.retransmissions = retransmissions
        self.sackEnabled = sackEnabled; self.timestampsEnabled = timestampsEnabled
    }
}
