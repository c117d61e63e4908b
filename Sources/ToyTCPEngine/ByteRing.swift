// Read first: RFC 9293 §3.8.6 (the buffers behind the windows).
//
// A FIFO of bytes in a ring, grown lazily (an idle connection holds no buffer at all) up to a fixed
// capacity. The send buffer and the receive buffer are both one of these.

/// A byte FIFO in a power-of-two ring that grows on demand up to `capacity` bytes.
///
/// Storage is allocated on the first append, so 10,000 idle connections cost no buffer memory.
@usableFromInline
struct ByteRing {
    /// The most bytes the ring will take (the application may change it: SO_SNDBUF); lowering it
    /// below `count` keeps the bytes held and takes no more until they drain.
    var capacity: Int {
        didSet { capacity = max(capacity, 1) }
    }
    @usableFromInline var storage: [UInt8] = []
    /// Index of the first byte in `storage`.
    @usableFromInline var head = 0
    /// Bytes held.
    @usableFromInline private(set) var count = 0

    init(capacity: Int) { self.capacity = max(capacity, 1) }

    var freeSpace: Int { max(0, capacity - count) }
    var isEmpty: Bool { count == 0 }

    /// Makes room for `needed` bytes in total, keeping the bytes in order.
    private mutating func grow(toHold needed: Int) {
        var size = max(storage.count, 2048)
        while size < needed { size <<= 1 }
        var fresh = [UInt8](repeating: 0, count: size)
        if count > 0 {
            fresh.withUnsafeMutableBytes { dst in
                copy(from: 0, count: count, into: dst.baseAddress!)
            }
        }
        storage = fresh
        head = 0
    }

    /// Appends as much of `bytes` as fits; returns how many bytes were taken.
    @discardableResult
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(bytes.count, freeSpace)
        guard n > 0, let src = bytes.baseAddress else { return 0 }
        if count + n > storage.count { grow(toHold: count + n) }
        let size = storage.count
        let tail = (head + count) & (size - 1)
        let first = min(n, size - tail)
        storage.withUnsafeMutableBytes { dst in
            let base = dst.baseAddress!
            (base + tail).copyMemory(from: src, byteCount: first)
            if first < n { base.copyMemory(from: src + first, byteCount: n - first) }
        }
        count += n
        return n
    }

    /// Copies `count` bytes starting `offset` bytes after the head into `destination`.
    func copy(from offset: Int, count n: Int, into destination: UnsafeMutableRawPointer) {
        precondition(offset >= 0 && n >= 0 && offset + n <= count, "ByteRing.copy out of range")
        guard n > 0 else { return }
        let size = storage.count
        let start = (head + offset) & (size - 1)
        let first = min(n, size - start)
        storage.withUnsafeBytes { src in
            let base = src.baseAddress!
            destination.copyMemory(from: base + start, byteCount: first)
            if first < n { (destination + first).copyMemory(from: base, byteCount: n - first) }
        }
    }

    /// Calls `body` with the bytes `offset ..< offset + n` after the head: once, or twice when the range
    /// wraps around the end of the ring.
    func withRegions(from offset: Int, count n: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        precondition(offset >= 0 && n >= 0 && offset + n <= count, "ByteRing.withRegions out of range")
        guard n > 0 else { return }
        let size = storage.count
        let start = (head + offset) & (size - 1)
        let first = min(n, size - start)
        storage.withUnsafeBytes { src in
            body(UnsafeRawBufferPointer(rebasing: src[start..<(start + first)]))
            if first < n { body(UnsafeRawBufferPointer(rebasing: src[0..<(n - first)])) }
        }
    }

    /// The bytes `offset ..< offset + n` after the head, as a new array.
    func bytes(from offset: Int, count n: Int) -> [UInt8] {
        guard n > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: n) { buf, initialized in
            copy(from: offset, count: n, into: UnsafeMutableRawPointer(buf.baseAddress!))
            initialized = n
        }
    }

    /// Drops `n` bytes from the head (acknowledged, or read by the application).
    mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "ByteRing.removeFirst out of range")
        count -= n
        if count == 0 {
            head = 0
        } else {
            head = (head + n) & (storage.count - 1)
        }
    }
}
