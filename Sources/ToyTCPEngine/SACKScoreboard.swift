// Read first: RFC 6675 §2–§5 (scoreboard, IsLost, SetPipe, NextSeg, the recovery algorithm),
// RFC 2018 §5 (a SACK is advisory: data SACKed may still be reneged, so it is kept for retransmission).
import ToyTCPWire

/// The sender's record of which bytes above SND.UNA the peer has SACKed (RFC 6675 §3).
///
/// Sorted, disjoint ranges. Bytes stay in the send buffer until cumulatively acknowledged
/// (RFC 2018 §8: the receiver may renege), but retransmission skips SACKed ranges.
struct SACKScoreboard {
    private(set) var ranges: [SACKBlock] = []
    /// Bytes covered by `ranges`.
    private(set) var sackedBytes = 0

    var isEmpty: Bool { ranges.isEmpty }
    /// The highest SACKed sequence number plus one (RFC 6675 "HighACK"... the right edge of the top block).
    var highestSACKed: SequenceNumber? { ranges.last?.right }

    /// Records a SACK block, clipped to `(una, max]`; blocks outside are ignored (RFC 2018 §5, D-SACK).
    mutating func add(_ block: SACKBlock, una: SequenceNumber, max: SequenceNumber) {
        var l = block.left, r = block.right
        guard l < r else { return }
        if l < una { l = una }
        if max < r { r = max }
        guard l < r else { return }
        var lo = 0
        while lo < ranges.count && ranges[lo].right < l { lo += 1 }
        var hi = lo
        while hi < ranges.count && ranges[hi].left <= r { hi += 1 }
        if lo < hi {
            l = SequenceNumber.min(l, ranges[lo].left)
            r = SequenceNumber.max(r, ranges[hi - 1].right)
            for i in lo..<hi { sackedBytes -= ranges[i].right - ranges[i].left }
            ranges.replaceSubrange(lo..<hi, with: CollectionOfOne(SACKBlock(left: l, right: r)))
        } else {
            ranges.insert(SACKBlock(left: l, right: r), at: lo)
        }
        sackedBytes += r - l
    }

    /// SND.UNA advanced: forget what is now cumulatively acknowledged.
    mutating func acknowledge(upTo una: SequenceNumber) {
        while let first = ranges.first, first.left < una {
            if first.right <= una {
                sackedBytes -= first.right - first.left
                ranges.removeFirst()
            } else {
                sackedBytes -= una - first.left
                ranges[0].left = una
            }
        }
    }

    mutating func removeAll() { ranges.removeAll(); sackedBytes = 0 }

    /// The SACKed range containing `seq`, if any.
    func range(containing seq: SequenceNumber) -> SACKBlock? {
        for r in ranges {
            if seq < r.left { return nil }
            if seq < r.right { return r }
        }
        return nil
    }

    /// RFC 6675 §4 IsLost, per hole: bytes below this point are lost if unSACKed, because more than
    /// (DupThresh − 1) × SMSS bytes above them have been SACKed. `nil` when nothing counts as lost.
    func lostBoundary(mss: Int, dupThresh: Int = 3) -> SequenceNumber? {
        let threshold = (dupThresh - 1) * mss
        var above = 0
        for r in ranges.reversed() {
            let size = r.right - r.left
            if above + size > threshold {
                // Bytes above a point s inside this block: above + (right − 1 − s); more than
                // `threshold` for s ≤ right − 2 − (threshold − above).
                return r.right - (threshold - above) - 2
            }
            above += size
        }
        return nil
    }

    /// Unsacked bytes in `[from, to)`.
    func unsackedBytes(from: SequenceNumber, to: SequenceNumber) -> Int {
        guard from < to else { return 0 }
        var total = to - from
        for r in ranges {
            let l = SequenceNumber.max(r.left, from), h = SequenceNumber.min(r.right, to)
            if l < h { total -= h - l }
        }
        return total
    }

    /// The first unSACKed byte at or after `from` and below `limit`, with the length of its hole.
    func firstHole(from: SequenceNumber, below limit: SequenceNumber) -> (start: SequenceNumber, length: Int)? {
        var s = from
        for r in ranges {
            if r.right <= s { continue }
            if s < r.left {
                let end = SequenceNumber.min(r.left, limit)
                return s < end ? (s, end - s) : nil
            }
            s = r.right
        }
        return s < limit ? (s, limit - s) : nil
    }
}
