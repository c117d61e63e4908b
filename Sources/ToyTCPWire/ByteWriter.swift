/// An append-only big-endian byte buffer: `write…` appends at the end, `set…(at:)` patches bytes
/// already written (lengths and checksums that are known only at the end).
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    @inlinable
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public init(reusing bytes: [UInt8]) {
        self.bytes = bytes
        self.bytes.removeAll(keepingCapacity: true)
    }

    @inlinable public var count: Int { bytes.count }

    @inlinable
    public mutating func write(_ v: UInt8) { bytes.append(v) }

    @inlinable
    public mutating func write(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func write(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func write(_ v: UInt64) {
        write(UInt32(truncatingIfNeeded: v >> 32))
        write(UInt32(truncatingIfNeeded: v))
    }

    @inlinable
    public mutating func write<C: Collection>(contentsOf c: C) where C.Element == UInt8 {
        bytes.append(contentsOf: c)
    }

    @inlinable
    public mutating func write(zeros n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) }
    }

    @inlinable
    public mutating func set(_ v: UInt16, at index: Int) {
        bytes[index] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v)
    }

    @inlinable
    public mutating func set(_ v: UInt8, at index: Int) { bytes[index] = v }
}

/// Big-endian loads from a buffer whose length the caller has already checked.
@usableFromInline
struct ByteReader {
    @usableFromInline let base: UnsafeRawBufferPointer

    @inlinable init(_ base: UnsafeRawBufferPointer) { self.base = base }

    @inlinable func u8(_ i: Int) -> UInt8 { base[i] }
    @inlinable func u16(_ i: Int) -> UInt16 { UInt16(base[i]) << 8 | UInt16(base[i + 1]) }
    @inlinable func u32(_ i: Int) -> UInt32 {
        UInt32(base[i]) << 24 | UInt32(base[i + 1]) << 16 | UInt32(base[i + 2]) << 8 | UInt32(base[i + 3])
    }
}
