import ToyTCPWire

/// The extent of one direction's time-sequence graph, found in a first pass over the packets: the time
/// range, the data sender's initial sequence number, the window scale factors and the y range. The second
/// pass (`SequenceGraph`) needs them to map each segment to a pixel column as it streams past.
public struct SequenceGraphExtent: Sendable {
    public let flow: FlowKey
    /// The end whose data the graph shows; the other end's ACKs and windows are drawn against it.
    public let sender: FlowEndpoint
    /// The time of the conversation's first packet: the graph's zero.
    public private(set) var origin: Int64?
    public private(set) var firstTime: Int64 = .max
    public private(set) var lastTime: Int64 = .min
    public private(set) var base: SequenceNumber?
    /// Shift counts from the SYNs (RFC 7323 §2.2): the receiver's window is scaled only if both SYNs
    /// carried the option.
    public private(set) var senderScale: UInt8?
    public private(set) var receiverScale: UInt8?
    public private(set) var lowest: Int64 = .max
    public private(set) var highest: Int64 = .min
    /// Only packets between these times (nanoseconds after `origin`) count; nil for no bound.
    public let from: Int64?
    public let to: Int64?
    var seqUnwrap: SequenceUnwrapper?
    var ackUnwrap: SequenceUnwrapper?

    public init(flow: FlowKey, sender: FlowEndpoint, from: Int64? = nil, to: Int64? = nil) {
        self.flow = flow
        self.sender = sender
        self.from = from
        self.to = to
    }

    /// The receiver's window scale factor, once both SYNs were seen with the option.
    public var windowShift: Int {
        guard senderScale != nil, let r = receiverScale else { return 0 }
        return Int(min(r, 14))
    }

    func inRange(_ t: Int64) -> Bool {
        guard let origin else { return false }
        if let from, t - origin < from { return false }
        if let to, t - origin > to { return false }
        return true
    }

    public mutating func add(_ s: FlowSegment) {
        guard flow.contains(source: s.source, destination: s.destination) else { return }
        if origin == nil { origin = s.time }
        let fromSender = s.source == sender
        if s.flags.contains(.syn) {
            if fromSender { senderScale = s.windowScale } else { receiverScale = s.windowScale }
        }
        if fromSender && base == nil {
            base = s.sequence
            seqUnwrap = SequenceUnwrapper(base: s.sequence)
            ackUnwrap = SequenceUnwrapper(base: s.sequence)
        }
        guard inRange(s.time), base != nil else { return }
        firstTime = min(firstTime, s.time)
        lastTime = max(lastTime, s.time)
        if fromSender {
            guard var u = seqUnwrap else { return }
            let start = u.offset(s.sequence)
            seqUnwrap = u
            lowest = min(lowest, start)
            highest = max(highest, start + Int64(s.sequenceLength))
        } else if s.flags.contains(.ack), var u = ackUnwrap {
            let ack = u.offset(s.acknowledgment)
            ackUnwrap = u
            lowest = min(lowest, ack)
            highest = max(highest, ack + (Int64(s.window) << Int64(s.flags.contains(.syn) ? 0 : windowShift)))
        }
    }
}

/// A tcptrace-style time-sequence graph of one direction of a TCP conversation (the "-S" graph): each
/// data segment a vertical bar from seq to seq+len, retransmissions red with an R, the ACK line, the
/// receive-window line (ACK + scaled window), SACK blocks, SYN/FIN/RST marks and zero-window periods.
///
/// Bounded memory, whatever the capture's size: the drawing is thinned, not the data. The plot is
/// `Options.width` pixel columns wide; every segment is folded into its column as it streams past, each
/// column keeping, per kind (new data, retransmission, SACK), the lowest start and highest end of the
/// segments that fell in it plus their count and first time, and for the ACK and window lines their first,
/// lowest, highest and last value. A column is then drawn as one bar per kind spanning min..max and the
/// lines pass through first → min → max → last, so every segment's extent is still covered and no
/// excursion is lost: the picture at that resolution is exactly what drawing all segments would give,
/// but with O(width) elements and memory instead of O(packets).
public struct SequenceGraph {
    public struct Options: Sendable {
        /// Pixel columns of the plot area (the thinning resolution) and its height.
        public var width: Int = 1000
        public var height: Int = 560
        public init(width: Int = 1000, height: Int = 560) {
            self.width = width
            self.height = height
        }
    }

    struct Span {
        var low: Int64 = .max
        var high: Int64 = .min
        var count = 0
        var firstTime: Int64 = 0
        mutating func add(_ lo: Int64, _ hi: Int64, at t: Int64) {
            if count == 0 { firstTime = t }
            low = min(low, lo)
            high = max(high, hi)
            count += 1
        }
    }

    struct Trace {
        var first: Int64 = 0, last: Int64 = 0, low: Int64 = .max, high: Int64 = .min
        var count = 0
        mutating func add(_ v: Int64) {
            if count == 0 { first = v }
            last = v
            low = min(low, v)
            high = max(high, v)
            count += 1
        }
    }

    struct Column {
        var data = Span()
        var retransmitted = Span()
        var sack = Span()
        var ack = Trace()
        var window = Trace()
        var syn: Int64?
        var fin: Int64?
        var rst: Int64?
        var zeroWindow = false
    }

    public let extent: SequenceGraphExtent
    public let options: Options
    var columns: [Column]
    var seqUnwrap: SequenceUnwrapper
    var ackUnwrap: SequenceUnwrapper
    var highestSent: Int64 = .min
    var zeroSince: Int64?
    /// Segments drawn, and of them retransmissions (for the legend and tests).
    public private(set) var segments = 0
    public private(set) var retransmissions = 0

    public init(extent: SequenceGraphExtent, options: Options = Options()) {
        self.extent = extent
        self.options = options
        columns = Array(repeating: Column(), count: max(1, options.width))
        let base = extent.base ?? SequenceNumber(0)
        seqUnwrap = SequenceUnwrapper(base: base)
        ackUnwrap = SequenceUnwrapper(base: base)
    }

    /// Whether the extent pass saw anything to draw.
    public var isEmpty: Bool { extent.firstTime > extent.lastTime || extent.base == nil }

    func column(_ t: Int64) -> Int {
        let span = max(1, extent.lastTime - extent.firstTime)
        let c = Int(Double(t - extent.firstTime) / Double(span) * Double(columns.count - 1))
        return min(max(c, 0), columns.count - 1)
    }

    /// Folds one segment into its column (packets outside the flow or the time range only advance the
    /// sequence bookkeeping).
    public mutating func add(_ s: FlowSegment) {
        guard extent.flow.contains(source: s.source, destination: s.destination), extent.base != nil else { return }
        let fromSender = s.source == extent.sender
        let inRange = extent.inRange(s.time)
        if fromSender {
            let start = seqUnwrap.offset(s.sequence)
            let end = start + Int64(s.sequenceLength)
            let isRetransmission = s.sequenceLength > 0 && start < highestSent
            highestSent = max(highestSent, end)
            guard inRange else { return }
            let c = column(s.time)
            segments += 1
            if isRetransmission {
                retransmissions += 1
                columns[c].retransmitted.add(start, end, at: s.time)
            } else if s.payloadLength > 0 {
                columns[c].data.add(start, end, at: s.time)
            }
            if s.flags.contains(.syn) { columns[c].syn = columns[c].syn ?? start }
            if s.flags.contains(.fin) { columns[c].fin = columns[c].fin ?? start + Int64(s.payloadLength) }
            if s.flags.contains(.rst) { columns[c].rst = columns[c].rst ?? start }
        } else {
            guard s.flags.contains(.ack) else {
                // A bare RST from the receiver: mark it at the highest sequence sent so far.
                if inRange && s.flags.contains(.rst) {
                    columns[column(s.time)].rst = columns[column(s.time)].rst ?? (highestSent == .min ? 0 : highestSent)
                }
                return
            }
            let ack = ackUnwrap.offset(s.acknowledgment)
            var sacks: [(Int64, Int64)] = []
            for b in s.sackBlocks {
                var u = ackUnwrap
                sacks.append((u.offset(b.left), u.offset(b.right)))
            }
            guard inRange else { return }
            let c = column(s.time)
            // RFC 7323 §2.2: the window field of a SYN is never scaled.
            let window = Int64(s.window) << Int64(s.flags.contains(.syn) ? 0 : extent.windowShift)
            columns[c].ack.add(ack)
            columns[c].window.add(ack + window)
            for (l, r) in sacks { columns[c].sack.add(l, r, at: s.time) }
            if s.flags.contains(.syn) { columns[c].syn = columns[c].syn ?? ack }
            if s.flags.contains(.fin) { columns[c].fin = columns[c].fin ?? ack }
            if s.flags.contains(.rst) { columns[c].rst = columns[c].rst ?? ack }
            // RFC 9293 §3.8.6.1: a zero window stops the sender until a window update; shade that period.
            if s.window == 0 && !s.flags.contains(.rst) {
                if zeroSince == nil { zeroSince = s.time }
            } else if let since = zeroSince {
                markZeroWindow(from: since, to: s.time)
                zeroSince = nil
            }
        }
    }

    mutating func markZeroWindow(from: Int64, to: Int64) {
        for c in column(from)...column(to) { columns[c].zeroWindow = true }
    }
}
