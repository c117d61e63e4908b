// Read first: RFC 9293 §3.10.7.4 ("Seventh, process the segment text": segments beyond RCV.NXT are held
// for later processing), RFC 2018 §4 (which blocks a receiver reports, most recent first),
// RFC 5681 §4.2 (an out-of-order segment is acknowledged at once).
import ToyTCPWire

/// Out-of-order data held above RCV.NXT until the gap before it fills.
///
/// Blocks are kept sorted and disjoint: a new segment is trimmed against what is already held
/// (duplicates and overlaps are dropped, the first copy wins), and touching blocks are merged so the
/// list is exactly the set of SACK blocks (RFC 2018) the receiver can report.
struct ReassemblyQueue {
    struct Block {
        var start: SequenceNumber
        var bytes: [UInt8]
        var end: SequenceNumber { start + bytes.count }
    }

    /// Disjoint, sorted, non-touching blocks.
    private(set) var blocks: [Block] = []
    /// Bytes held.
    private(set) var count = 0
    /// The sequence number of a FIN that arrived out of order (it takes effect once the data before it is in).
    var finSequence: SequenceNumber?
    /// Recently reported block starts, most recent first, to order the other blocks (RFC 2018 §4).
    private var recentStarts: [SequenceNumber] = []

    var isEmpty: Bool { blocks.isEmpty }

    /// Adds `bytes` starting at `start` (which must be above `rcvNxt`); bytes already held are not
    /// replaced.
    mutating func insert(_ bytes: UnsafeRawBufferPointer, at start: SequenceNumber) {
        guard bytes.count > 0 else { return }
        let end = start + bytes.count
        // Find the blocks that touch [start, end).
        var lo = 0
        while lo < blocks.count && blocks[lo].end < start { lo += 1 }
        var hi = lo
        while hi < blocks.count && blocks[hi].start <= end { hi += 1 }
        if lo == hi {
            // Touches nothing: a new block.
            blocks.insert(Block(start: start, bytes: Array(bytes)), at: lo)
            count += bytes.count
            noteRecent(start)
            return
        }
        // Merge [start, end) with blocks lo..<hi into one block, existing bytes winning.
        let newStart = SequenceNumber.min(start, blocks[lo].start)
        let newEnd = SequenceNumber.max(end, blocks[hi - 1].end)
        var merged = [UInt8]()
        merged.reserveCapacity(newEnd - newStart)
        var cursor = newStart
        var held = 0
        for i in lo..<hi {
            let b = blocks[i]
            if cursor < b.start {
                // Gap before this block: filled from the new bytes.
                let from = cursor - start
                let to = b.start - start
                merged.append(contentsOf: bytes[from..<to])
                cursor = b.start
            }
            merged.append(contentsOf: b.bytes)
            held += b.bytes.count
            cursor = b.end
        }
        if cursor < newEnd {
            let from = cursor - start
            merged.append(contentsOf: bytes[from..<bytes.count])
        }
        count += merged.count - held
        blocks.replaceSubrange(lo..<hi, with: [Block(start: newStart, bytes: merged)])
        noteRecent(newStart)
    }

    private mutating func noteRecent(_ start: SequenceNumber) {
        recentStarts.removeAll { $0 == start }
        recentStarts.insert(start, at: 0)
        if recentStarts.count > 8 { recentStarts.removeLast() }
    }

    /// Removes and returns the block that starts at or before `rcvNxt` (the gap has filled), trimmed to
    /// start exactly at `rcvNxt`. Blocks wholly below `rcvNxt` are dropped.
    mutating func takeInOrder(at rcvNxt: SequenceNumber) -> [UInt8]? {
        while let first = blocks.first {
            if first.end <= rcvNxt {
                count -= first.bytes.count
                blocks.removeFirst()
                continue
            }
            guard first.start <= rcvNxt else { return nil }
            blocks.removeFirst()
            count -= first.bytes.count
            let skip = rcvNxt - first.start
            return skip == 0 ? first.bytes : Array(first.bytes[skip...])
        }
        return nil
    }

    /// The first part of `[start, end)` already held, if any (a duplicate to report, RFC 2883 §4).
    func firstOverlap(start: SequenceNumber, end: SequenceNumber) -> SACKBlock? {
        for b in blocks where b.start < end && start < b.end {
            return SACKBlock(left: SequenceNumber.max(start, b.start), right: SequenceNumber.min(end, b.end))
        }
        return nil
    }

    /// Up to `limit` SACK blocks to report (RFC 2018 §4): the block holding the most recent segment
    /// first, then the other recently changed blocks, then the rest from the lowest.
    func sackBlocks(limit: Int) -> SACKList {
        var list = SACKList()
        guard !blocks.isEmpty, limit > 0 else { return list }
        func blockContaining(_ s: SequenceNumber) -> Block? {
            blocks.first { $0.start <= s && s < $0.end }
        }
        for s in recentStarts {
            guard list.count < limit else { break }
            if let b = blockContaining(s), !list.contains(left: b.start) {
                list.append(SACKBlock(left: b.start, right: b.end))
            }
        }
        for b in blocks where list.count < limit && !list.contains(left: b.start) {
            list.append(SACKBlock(left: b.start, right: b.end))
        }
        return list
    }

    mutating func removeAll() {
        blocks.removeAll()
        count = 0
        finSequence = nil
        recentStarts.removeAll()
    }
}

/// Up to four SACK blocks, held inline (no allocation per segment).
struct SACKList {
    private var b0 = SACKBlock(left: 0, right: 0)
    private var b1 = SACKBlock(left: 0, right: 0)
    private var b2 = SACKBlock(left: 0, right: 0)
    private var b3 = SACKBlock(left: 0, right: 0)
    private(set) var count = 0

    static let capacity = 4

    init() {}

    subscript(i: Int) -> SACKBlock {
        switch i {
        case 0: return b0
        case 1: return b1
        case 2: return b2
        default: return b3
        }
    }

    mutating func append(_ block: SACKBlock) {
        switch count {
        case 0: b0 = block
        case 1: b1 = block
        case 2: b2 = block
        case 3: b3 = block
        default: return
        }
        count += 1
    }

    func contains(left: SequenceNumber) -> Bool {
        for i in 0..<count where self[i].left == left { return true }
        return false
    }

    var array: [SACKBlock] { (0..<count).map { self[$0] } }
}
