/// A FIFO of bytes with cheap removal from the front (compacted when half is consumed).
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }

    mutating func append(_ bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    /// Calls `body` with the queued bytes; removes as many as it returns.
    mutating func consume(_ body: (UnsafeRawBufferPointer) -> Int) {
        let n = storage.withUnsafeBytes { all in
            body(UnsafeRawBufferPointer(rebasing: all[head...]))
        }
        head += max(0, min(n, count))
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 65_536 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
