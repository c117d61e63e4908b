// Read first: RFC 2883 (D-SACK: §4 the receiver reports a duplicate in the first SACK block, §4.1
// how the sender recognises one), RFC 3708 §3 (a retransmission episode whose every retransmission is
// D-SACKed was spurious), and Linux's tcp_try_undo_dsack (undo the cwnd reduction).
import ToyTCPWire

/// What a loss episode reduced, so a spurious one can be undone (RFC 3708 §3, Linux undo_marker).
struct UndoEpisode {
    /// cwnd and ssthresh before the reduction.
    var priorCwnd: Int
    var priorSsthresh: Int
    /// SND.UNA and SND.MAX when the episode began: D-SACKs count only inside this range.
    var marker: SequenceNumber
    var high: SequenceNumber
    /// What was retransmitted in the episode (one range per retransmission, in order), and how many of
    /// those bytes the receiver reported as duplicates. Only D-SACKs of retransmitted bytes count: a
    /// duplicate made by the network says nothing about the episode.
    var retransmitted: [SACKBlock] = []
    var retransmittedBytes = 0
    var duplicatedBytes = 0
    /// Too many retransmissions to track: the episode is not undone.
    var overflowed = false
    static let rangeLimit = 256
}

extension Connection {
    // MARK: Receiver (RFC 2883 §4)

    /// A segment brought bytes we already had: report them in the first SACK block of the next ACK.
    func noteDuplicate(from start: SequenceNumber, to end: SequenceNumber) {
        guard sackEnabled, configuration.dsack, start < end else { return }
        pendingDSACK = SACKBlock(left: start, right: end)
        ackNow = true
    }

    /// The SACK blocks of an outgoing ACK: a pending D-SACK first (RFC 2883 §4 rule 1), then the
    /// out-of-order blocks, the one holding the most recent segment first (RFC 2018 §4).
    func outgoingSACKBlocks(limit: Int) -> SACKList {
        guard let d = pendingDSACK else { return reassembly.sackBlocks(limit: limit) }
        pendingDSACK = nil
        context.statistics.dsacksSent += 1
        var list = SACKList()
        list.append(d)
        let rest = reassembly.sackBlocks(limit: limit - 1)
        for i in 0..<rest.count { list.append(rest[i]) }
        return list
    }

    // MARK: Sender (RFC 2883 §4.1, RFC 3708)

    /// Whether the first SACK block of an ACK is a D-SACK: below the cumulative ACK, or inside the
    /// second block (RFC 2883 §4.1).
    func dsackBlock(of seg: IncomingSegment) -> SACKBlock? {
        guard seg.sackBlocks.count > 0 else { return nil }
        let first = seg.sackBlocks[0]
        if first.right <= seg.ack { return first }
        if seg.sackBlocks.count > 1 {
            let second = seg.sackBlocks[1]
            if second.left <= first.left && first.right <= second.right { return first }
        }
        return nil
    }

    /// A loss episode begins (fast recovery or a timeout): remember what to restore should it prove
    /// spurious. An episode still open (its data not yet all acknowledged) keeps its original values.
    func beginUndoEpisode() {
        if var u = undo, snd.una < u.high {
            u.high = snd.max
            undo = u
            return
        }
        undo = UndoEpisode(priorCwnd: congestion.cwnd, priorSsthresh: congestion.ssthresh, marker: snd.una, high: snd.max)
    }

    /// `length` bytes at `seq` were sent again.
    func noteRetransmittedBytes(at seq: SequenceNumber, length: Int) {
        guard var u = undo, u.marker <= seq, seq < u.high, length > 0 else { return }
        if u.retransmitted.count >= UndoEpisode.rangeLimit {
            u.overflowed = true
        } else {
            u.retransmitted.append(SACKBlock(left: seq, right: seq + length))
            u.retransmittedBytes += length
        }
        undo = u
    }

    /// A D-SACK arrived: if every byte retransmitted in the episode is now reported as a duplicate,
    /// the original copies had arrived and the reduction was unnecessary: undo it (RFC 3708 §3).
    func processDSACK(_ block: SACKBlock) {
        context.statistics.dsacksReceived += 1
        guard var u = undo, !u.overflowed, u.marker <= block.left, block.right <= u.high else { return }
        for r in u.retransmitted where r.left < block.right && block.left < r.right {
            u.duplicatedBytes += SequenceNumber.min(r.right, block.right) - SequenceNumber.max(r.left, block.left)
        }
        undo = u
        guard u.retransmittedBytes > 0, u.duplicatedBytes >= u.retransmittedBytes else { return }
        undo = nil
        spuriousUndos += 1
        context.statistics.spuriousUndos += 1
        congestion.onSpuriousReduction(priorCwnd: u.priorCwnd, priorSsthresh: u.priorSsthresh)
    }
}
