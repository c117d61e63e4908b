/// Byte offsets and masks of the TCP header (RFC 9293 §3.1), named once.
@usableFromInline
enum TCPField {
    @usableFromInline static let sourcePort = 0
    @usableFromInline static let destinationPort = 2
    @usableFromInline static let sequenceNumber = 4
    @usableFromInline static let acknowledgmentNumber = 8
    /// Data offset (high nibble), the three reserved bits and AE (low nibble).
    @usableFromInline static let dataOffset = 12
    /// CWR ECE URG ACK PSH RST SYN FIN.
    @usableFromInline static let flags = 13
    @usableFromInline static let window = 14
    @usableFromInline static let checksum = 16
    @usableFromInline static let urgentPointer = 18
    @usableFromInline static let options = 20
    /// The header without options: data offset 5.
    @usableFromInline static let minimumHeaderLength = 20
    /// The largest header: data offset 15.
    @usableFromInline static let maximumHeaderLength = 60
}

/// A validated, non-owning view of a TCP segment (header, options and payload), smoltcp's `Packet` model.
///
/// `init(validating:)` is the one gate for untrusted bytes: at least 20 bytes, and a data offset of at
/// least 5 words that stays within the bytes given. After it passes, no getter can read out of bounds.
/// Getters load big-endian fields at fixed offsets; `options` walks the options without allocating.
/// The view borrows the buffer: use it only inside the scope that produced the pointer, never store it.
///
/// `TCPSegment.parse` and `TCPOption.parseList` go through this gate and `TCPOptionsIterator`, so
/// each check exists once.
@frozen
public struct TCPHeaderView {
    /// The whole segment: header, options and payload.
    public let bytes: UnsafeRawBufferPointer
    /// Added to byte positions in errors (a segment inside an IPv4 packet reports packet offsets).
    public let baseOffset: Int

    /// Checks `bytes` (one whole TCP segment) and wraps them.
    ///
    /// Errors: fewer than 20 bytes (`tcpTruncated`, at the segment's first byte); a data offset below 5
    /// or reaching past the bytes given (`tcpBadDataOffset`, byte 12). Options are checked lazily, by
    /// `options` (or at once by `TCPOption.parseList`), so a decoder can still show a header whose
    /// options are malformed.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws(WireError) {
        let n = bytes.count
        guard n >= TCPField.minimumHeaderLength else {
            throw WireError(.tcpTruncated(available: n), at: baseOffset)
        }
        let dataOffset = bytes[TCPField.dataOffset] >> 4
        guard dataOffset >= 5, Int(dataOffset) * 4 <= n else {
            throw WireError(.tcpBadDataOffset(dataOffset: dataOffset, available: n), at: baseOffset + TCPField.dataOffset)
        }
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    @inlinable var reader: ByteReader { ByteReader(bytes) }

    @inlinable public var sourcePort: UInt16 { reader.u16(TCPField.sourcePort) }
    @inlinable public var destinationPort: UInt16 { reader.u16(TCPField.destinationPort) }
    @inlinable public var sequenceNumber: SequenceNumber { SequenceNumber(reader.u32(TCPField.sequenceNumber)) }
    @inlinable public var acknowledgmentNumber: SequenceNumber { SequenceNumber(reader.u32(TCPField.acknowledgmentNumber)) }
    /// Header length in 32-bit words (5...15 once validated).
    @inlinable public var dataOffset: UInt8 { bytes[TCPField.dataOffset] >> 4 }
    /// Header length in bytes, options included (`dataOffset * 4`).
    @inlinable public var headerLength: Int { Int(dataOffset) * 4 }
    /// The three reserved bits between the data offset and AE (RFC 9293 §3.1 "Rsrvd"), 0...7.
    @inlinable public var reserved: UInt8 { (bytes[TCPField.dataOffset] >> 1) & 0x07 }
    /// The nine control bits (AE and the eight of RFC 9293 §3.1).
    @inlinable public var flags: TCPFlags {
        TCPFlags(rawValue: UInt16(bytes[TCPField.dataOffset] & 1) << 8 | UInt16(bytes[TCPField.flags]))
    }
    /// The window field as carried (unscaled).
    @inlinable public var window: UInt16 { reader.u16(TCPField.window) }
    @inlinable public var checksum: UInt16 { reader.u16(TCPField.checksum) }
    @inlinable public var urgentPointer: UInt16 { reader.u16(TCPField.urgentPointer) }

    /// The options area with any padding: bytes 20 ..< header length.
    @inlinable
    public var optionsBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[TCPField.options..<headerLength])
    }

    /// The options, one at a time, without allocating; a malformed option ends the walk with `.malformed`.
    @inlinable
    public var options: TCPOptionsIterator {
        TCPOptionsIterator(optionsBytes, baseOffset: baseOffset + TCPField.options)
    }

    /// The data after the header.
    @inlinable
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[headerLength...]) }

    /// The sequence space the segment occupies: payload octets plus one each for SYN and FIN
    /// (RFC 9293 §3.4, SEG.LEN).
    @inlinable
    public var sequenceLength: Int {
        let f = flags
        return payload.count + (f.contains(.syn) ? 1 : 0) + (f.contains(.fin) ? 1 : 0)
    }

    /// Whether the carried checksum is right over the IPv4 pseudo-header of RFC 9293 §3.1.
    /// Needs the whole segment (a segment cut short by a capture's snap length cannot verify).
    @inlinable
    public func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
        InternetChecksum.verifyTCP(bytes, source: source, destination: destination)
    }

    /// The checksum the segment should carry: computed as if the checksum field were zero, as a sender
    /// computes it. Never 0xFFFF: where this is 0x0000, a carried 0xFFFF is valid too (both are
    /// ones'-complement zero, RFC 1624 §3), so test validity with `isChecksumValid`.
    @inlinable
    public func expectedChecksum(source: IPv4Address, destination: IPv4Address) -> UInt16 {
        var c = InternetChecksum()
        c.addPseudoHeader(source: source, destination: destination, length: bytes.count)
        // Cancel the carried checksum while the sum is at an even position (the segment may be odd).
        c.add(~checksum)
        c.add(bytes)
        return c.value
    }

    /// Throws `tcpBadChecksum` (at byte 16 of the segment) unless the checksum verifies (RFC 9293 §3.1,
    /// MUST-2/MUST-3: a segment with a wrong checksum is dropped).
    @inlinable
    public func verifyChecksum(source: IPv4Address, destination: IPv4Address) throws(WireError) {
        guard isChecksumValid(source: source, destination: destination) else {
            throw WireError(.tcpBadChecksum(carried: checksum, expected: expectedChecksum(source: source, destination: destination)),
                            at: baseOffset + TCPField.checksum)
        }
    }

    /// Whether the carried checksum is right over `pseudoHeader` (either family).
    @inlinable
    public func isChecksumValid(_ pseudoHeader: TCPPseudoHeader) -> Bool {
        pseudoHeader.checksum(bytes) == 0
    }

    /// The checksum the segment should carry over `pseudoHeader` (as `expectedChecksum(source:destination:)`).
    @inlinable
    public func expectedChecksum(_ pseudoHeader: TCPPseudoHeader) -> UInt16 {
        // The sum with the carried checksum is ~(expected) + ... : remove the carried one.
        var c = InternetChecksum()
        c.add(~pseudoHeader.checksum(bytes))
        c.add(~checksum)
        return c.value
    }

    /// Throws `tcpBadChecksum` (byte 16 of the segment) unless the checksum verifies over `pseudoHeader`.
    @inlinable
    public func verifyChecksum(_ pseudoHeader: TCPPseudoHeader) throws(WireError) {
        guard isChecksumValid(pseudoHeader) else {
            throw WireError(.tcpBadChecksum(carried: checksum, expected: expectedChecksum(pseudoHeader)),
                            at: baseOffset + TCPField.checksum)
        }
    }
}
