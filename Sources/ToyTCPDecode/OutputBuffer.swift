/// A growable byte buffer that renderers append text to: one allocation reused for the whole run.
///
/// The decoder writes millions of lines; building a `String` per line (or calling `print`) would cost
/// more than decoding. Renderers call `reserve(_:)` once with an upper bound for what they are about
/// to write and then use the unchecked-capacity appends; the owner drains the buffer with one `write`
/// per ~64 KiB (`count >= flushThreshold`).
public final class OutputBuffer {
    // Unchecked exclusivity: these are touched several times per byte written, and the dynamic
    // exclusivity checks of class properties cost more than the writes. The buffer is confined to one
    // thread and no access to them overlaps another.
    @exclusivity(unchecked) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) var capacity: Int
    /// Bytes written so far.
    @exclusivity(unchecked) public private(set) var count: Int

    /// When `count` reaches this, the owner should drain the buffer.
    public let flushThreshold: Int

    /// "00" to "99", for writing decimals two digits at a time.
    let digitPairs: UnsafeMutablePointer<UInt8>

    public init(flushThreshold: Int = 64 * 1024) {
        self.flushThreshold = flushThreshold
        digitPairs = .allocate(capacity: 200)
        for i in 0..<100 {
            digitPairs[2 * i] = 0x30 + UInt8(i / 10)
            digitPairs[2 * i + 1] = 0x30 + UInt8(i % 10)
        }
        capacity = flushThreshold * 2
        base = .allocate(capacity: capacity)
        count = 0
    }

    deinit {
        base.deallocate()
        digitPairs.deallocate()
    }

    /// Makes room for at least `n` more bytes.
    @inline(__always)
    public func reserve(_ n: Int) {
        if count + n > capacity { grow(to: count + n) }
    }

    @usableFromInline
    func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// The bytes written so far, valid until the next mutation.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Forgets the contents, keeping the storage.
    public func removeAll() { count = 0 }

    /// The contents as a string (tests, the single-packet paths).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Drops the last `n` bytes (used to undo a speculative separator).
    public func removeLast(_ n: Int) { count -= Swift.min(n, count) }

    // MARK: Appends (checked: each grows if needed)

    @inline(__always)
    public func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    /// Appends ASCII/UTF-8 text (static strings take the fast contiguous path).
    @inline(__always)
    public func append(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        (base + count).update(from: text.utf8Start, count: n)
        count += n
    }

    /// Appends a string's UTF-8 bytes (not for per-packet hot paths).
    public func append(string text: String) {
        var t = text
        t.withUTF8 { u in
            reserve(u.count)
            if let p = u.baseAddress { (base + count).update(from: p, count: u.count) }
            count += u.count
        }
    }

    @inline(__always)
    public func append(bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if let p = bytes.baseAddress {
            (base + count).update(from: p.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        }
        count += bytes.count
    }

    /// Appends `n` copies of `byte`.
    @inline(__always)
    public func append(repeating byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (base + count).update(repeating: byte, count: n)
        count += n
    }

    /// Appends an unsigned integer in decimal (two digits per step from a table).
    @inline(__always)
    public func append(decimal value: UInt64) {
        reserve(20)
        if value < 10 {
            base[count] = 0x30 &+ UInt8(truncatingIfNeeded: value)
            count += 1
            return
        }
        var digits = 1
        var t = value
        while t >= 10 { digits += 1; t /= 10 }
        var v = value
        var i = count + digits
        do {
            let pairs = digitPairs
            while v >= 100 {
                let r = Int(v % 100)
                v /= 100
                i -= 2
                base[i] = pairs[2 * r]
                base[i + 1] = pairs[2 * r + 1]
            }
            if v >= 10 {
                let r = Int(v)
                i -= 2
                base[i] = pairs[2 * r]
                base[i + 1] = pairs[2 * r + 1]
            } else {
                i -= 1
                base[i] = 0x30 &+ UInt8(truncatingIfNeeded: v)
            }
        }
        count += digits
    }

    @inline(__always)
    public func append(decimal value: UInt32) { append(decimal: UInt64(value)) }

    @inline(__always)
    public func append(decimal value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            append(decimal: UInt64(value.magnitude))
        } else {
            append(decimal: UInt64(value))
        }
    }

    /// Appends `value` as exactly `width` lowercase hex digits.
    @inline(__always)
    public func append(hex value: UInt64, width: Int) {
        reserve(width)
        var v = value
        var i = count + width
        while i > count {
            i -= 1
            base[i] = hexDigit(UInt8(truncatingIfNeeded: v & 0xF))
            v >>= 4
        }
        count += width
    }

    /// Appends one byte as two lowercase hex digits.
    @inline(__always)
    public func append(hexByte b: UInt8) {
        reserve(2)
        base[count] = hexDigit(b >> 4)
        base[count + 1] = hexDigit(b & 0xF)
        count += 2
    }

    /// Appends `value` in decimal, right-aligned (space-padded) in `width` columns.
    public func append(decimal value: UInt64, rightAlignedIn width: Int) {
        var digits = 1
        var t = value / 10
        while t > 0 { digits += 1; t /= 10 }
        append(repeating: 0x20, count: width - digits)
        append(decimal: value)
    }

    /// Appends text padded with spaces to `width` columns (longer text is kept whole).
    public func append(string text: String, paddedTo width: Int) {
        append(string: text)
        append(repeating: 0x20, count: width - text.utf8.count)
    }
}

@inline(__always)
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
}

