import ToyTCPEngine

/// A min-heap of timed items, ordered by time and then by insertion, so events at the same instant run
/// in the order they were scheduled and a run is deterministic.
///
/// The heap holds small trivial entries (time, order, slot); the items (packets, closures) stay put in
/// a slot table, so sifting moves no reference-counted values.
struct EventQueue<Item> {
    private struct Entry {
        var time: Instant
        var order: UInt64
        var slot: Int32
        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && order < other.order)
        }
    }

    private var heap: [Entry] = []
    private var slots: [Item?] = []
    private var freeSlots: [Int32] = []
    private var nextOrder: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    /// The time of the earliest item.
    var nextTime: Instant? { heap.first?.time }

    mutating func insert(_ item: Item, at time: Instant) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            slots[Int(free)] = item
        } else {
            slot = Int32(slots.count)
            slots.append(item)
        }
        heap.append(Entry(time: time, order: nextOrder, slot: slot))
        nextOrder &+= 1
        heap.withUnsafeMutableBufferPointer { h in
            var child = h.count - 1
            let entry = h[child]
            while child > 0 {
                let parent = (child - 1) / 2
                guard entry.precedes(h[parent]) else { break }
                h[child] = h[parent]
                child = parent
            }
            h[child] = entry
        }
    }

    /// Removes and returns the earliest item.
    mutating func popFirst() -> (time: Instant, item: Item)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap.withUnsafeMutableBufferPointer { h in
                let n = h.count
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    guard left < n else { break }
                    var best = left
                    let right = left + 1
                    if right < n && h[right].precedes(h[left]) { best = right }
                    guard h[best].precedes(last) else { break }
                    h[parent] = h[best]
                    parent = best
                }
                h[parent] = last
            }
        }
        let index = Int(top.slot)
        guard let item = slots[index] else { return nil }
        slots[index] = nil
        freeSlots.append(top.slot)
        return (top.time, item)
    }

    mutating func removeAll() {
        heap.removeAll()
        slots.removeAll()
        freeSlots.removeAll()
    }
}
