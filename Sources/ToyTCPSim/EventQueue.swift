import ToyTCPEngine

/// A min-heap of timed items, ordered by time and then by insertion, so events at the same instant run
/// in the order they were scheduled and a run is deterministic.
struct EventQueue<Item> {
    private struct Entry {
        var time: Instant
        var order: UInt64
        var item: Item
        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && order < other.order)
        }
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    /// The time of the earliest item.
    var nextTime: Instant? { heap.first?.time }

    mutating func insert(_ item: Item, at time: Instant) {
        heap.append(Entry(time: time, order: nextOrder, item: item))
        nextOrder &+= 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest item.
    mutating func popFirst() -> (time: Instant, item: Item)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        let n = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { break }
            var best = left
            let right = left + 1
            if right < n && heap[right].precedes(heap[left]) { best = right }
            guard heap[best].precedes(heap[parent]) else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return (top.time, top.item)
    }

    mutating func removeAll() { heap.removeAll() }
}
