/// The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit words.
///
/// An accumulator, so a sum can run over the IPv4 pseudo-header and then the segment without copying.
/// Chunks of odd length are handled: the next chunk continues at the odd byte.
public struct InternetChecksum: Sendable {
    @usableFromInline var sum: UInt64 = 0
    @usableFromInline var odd = false

    @inlinable public init() {}

    /// Adds a 16-bit word (at an even position).
    @inlinable
    public mutating func add(_ word: UInt16) {
        if odd {
            sum &+= UInt64(word >> 8) | UInt64(word & 0xFF) << 8
        } else {
            sum &+= UInt64(word)
        }
    }

    @inlinable
    public mutating func add(_ word: UInt32) {
        add(UInt16(truncatingIfNeeded: word >> 16))
        add(UInt16(truncatingIfNeeded: word))
    }

    /// Adds bytes, continuing from wherever the previous chunk stopped.
    @inlinable
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return }
        if odd {
            sum &+= UInt64(bytes[0])
            i = 1
            odd = false
        }
        var local: UInt64 = 0
        // Eight bytes at a time: big-endian 16-bit words summed in a 64-bit accumulator.
        while i + 8 <= n {
            let w = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            local &+= (w >> 48) + ((w >> 32) & 0xFFFF) + ((w >> 16) & 0xFFFF) + (w & 0xFFFF)
            i += 8
        }
        while i + 2 <= n {
            local &+= UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1])
            i += 2
        }
        if i < n {
            local &+= UInt64(bytes[i]) << 8
            odd = true
        }
        sum &+= local
    }

    @inlinable
    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    /// The folded sum, not complemented.
    @inlinable
    public var folded: UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xFFFF) + (s >> 16) }
        return UInt16(s)
    }

    /// The checksum to put on the wire.
    @inlinable
    public var value: UInt16 { ~folded }

    /// Adds the IPv4 pseudo-header of RFC 9293 §3.1 (source, destination, zero, protocol, TCP length).
    @inlinable
    public mutating func addPseudoHeader(source: IPv4Address, destination: IPv4Address,
                                         protocol proto: UInt8 = 6, length: Int) {
        add(source.rawValue)
        add(destination.rawValue)
        add(UInt16(proto))
        add(UInt16(truncatingIfNeeded: length))
    }

    /// The TCP checksum of `segment` (header with its checksum field as it is, and payload) over the
    /// IPv4 pseudo-header. A segment whose carried checksum is right sums to 0 here (`verify`).
    @inlinable
    public static func tcp(_ segment: UnsafeRawBufferPointer, source: IPv4Address, destination: IPv4Address) -> UInt16 {
        var c = InternetChecksum()
        c.addPseudoHeader(source: source, destination: destination, length: segment.count)
        c.add(segment)
        return c.value
    }

    /// Whether a TCP segment's carried checksum is correct (the sum over everything is 0xFFFF).
    @inlinable
    public static func verifyTCP(_ segment: UnsafeRawBufferPointer, source: IPv4Address, destination: IPv4Address) -> Bool {
        tcp(segment, source: source, destination: destination) == 0
    }
}
