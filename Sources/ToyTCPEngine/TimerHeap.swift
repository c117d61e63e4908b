// Read first: nothing in the RFCs; this is the stack's scheduler (quinn's `poll_timeout` across many
// connections).

/// A binary min-heap of (deadline, connection) pairs with lazy deletion: an entry is live only while
/// the connection's `scheduledDeadline` equals it. A connection has one live entry at most, so the heap
/// stays near the number of connections with timers even when deadlines move on every ACK.
struct TimerHeap {
    struct Entry {
        var deadline: Instant
        var id: ConnectionID
    }
    private(set) var entries: [Entry] = []

    var top: Entry? { entries.first }
    var isEmpty: Bool { entries.isEmpty }

    mutating func push(_ e: Entry) {
        entries.append(e)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard entries[i].deadline < entries[parent].deadline else { break }
            entries.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        let first = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var i = 0
            let n = entries.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && entries[l].deadline < entries[m].deadline { m = l }
                if r < n && entries[r].deadline < entries[m].deadline { m = r }
                if m == i { break }
                entries.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
