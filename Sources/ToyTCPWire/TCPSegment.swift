/// A TCP segment (RFC 9293 §3.1): every header field, the options and the payload, as an owned value.
///
/// Lossless: `parse` followed by `emit(checksum: .keep)` gives back the bytes parsed, including unknown
/// options, padding after EOL, the reserved bits and a wrong checksum. For crafting, the data offset and
/// checksum are computed on emit unless overridden, so any segment can be built, including wrong ones.
public struct TCPSegment: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    /// A data offset (in 32-bit words) to write instead of the one the options imply; `nil` on parse.
    public var dataOffsetOverride: UInt8?
    /// The three reserved bits between the data offset and AE (RFC 9293 §3.1 "Rsrvd"), 0...7.
    public var reserved: UInt8
    public var flags: TCPFlags
    /// The window field as carried (unscaled).
    public var window: UInt16
    /// The checksum as carried (after parse), or as last emitted.
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: [TCPOption]
    /// Bytes after an EOL option, up to the data offset; zero padding is added on emit as needed.
    public var optionPadding: [UInt8]
    public var payload: [UInt8]

    public init(sourcePort: UInt16 = 0, destinationPort: UInt16 = 0,
                sequenceNumber: SequenceNumber = 0, acknowledgmentNumber: SequenceNumber = 0,
                flags: TCPFlags = [], window: UInt16 = 0, urgentPointer: UInt16 = 0,
                options: [TCPOption] = [], payload: [UInt8] = [],
                reserved: UInt8 = 0, checksum: UInt16 = 0,
                dataOffsetOverride: UInt8? = nil, optionPadding: [UInt8] = []) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.dataOffsetOverride = dataOffsetOverride
        self.reserved = reserved
        self.flags = flags
        self.window = window
        self.checksum = checksum
        self.urgentPointer = urgentPointer
        self.options = options
        self.optionPadding = optionPadding
        self.payload = payload
    }

    /// Bytes of options plus padding, rounded up to a multiple of 4.
    public var optionsEncodedLength: Int {
        var n = optionPadding.count
        for o in options { n += o.encodedLength }
        return (n + 3) & ~3
    }

    /// The header length in bytes implied by the options (20 + options, padded).
    public var headerLength: Int { 20 + optionsEncodedLength }

    /// The data offset field that `emit` writes (in 32-bit words). Only its low four bits fit in the
    /// header: more than 40 bytes of options wrap (a crafted, invalid segment; RFC 9293 §3.1).
    public var dataOffset: UInt8 { dataOffsetOverride ?? UInt8(truncatingIfNeeded: headerLength / 4) }

    /// Header plus payload, in bytes.
    public var encodedLength: Int { headerLength + payload.count }

    /// The sequence space the segment occupies: payload octets plus one each for SYN and FIN
    /// (RFC 9293 §3.4, SEG.LEN).
    public var sequenceLength: Int {
        payload.count + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    /// How to fill the checksum field on emit.
    public enum ChecksumMode: Sendable {
        /// Compute the correct checksum over the pseudo-header of the given addresses.
        case compute
        /// Write `checksum` as it is (a parsed value, or a wrong one on purpose).
        case keep
    }

    /// Appends the segment's bytes (header, options, padding, payload) to `w`.
    ///
    /// - Parameters:
    ///   - source, destination: the IPv4 addresses of the pseudo-header (RFC 9293 §3.1).
    ///   - mode: `.compute` (default) fills in the right checksum; `.keep` writes `checksum` unchanged.
    public func emit(into w: inout ByteWriter, source: IPv4Address, destination: IPv4Address,
                     checksum mode: ChecksumMode = .compute) {
        emit(into: &w, pseudoHeader: TCPPseudoHeader(source: source, destination: destination), checksum: mode)
    }

    /// Appends the segment's bytes with the checksum over `pseudoHeader` (IPv4 or IPv6, RFC 8200 §8.1).
    public func emit(into w: inout ByteWriter, pseudoHeader: TCPPseudoHeader, checksum mode: ChecksumMode = .compute) {
        let start = w.count
        w.write(sourcePort)
        w.write(destinationPort)
        w.write(sequenceNumber.rawValue)
        w.write(acknowledgmentNumber.rawValue)
        let offsetByte = (dataOffset & 0x0F) << 4 | (reserved & 0x07) << 1 | UInt8(truncatingIfNeeded: flags.rawValue >> 8)
        w.write(offsetByte)
        w.write(UInt8(truncatingIfNeeded: flags.rawValue))
        w.write(window)
        let checksumIndex = w.count
        w.write(mode == .keep ? checksum : UInt16(0))
        w.write(urgentPointer)
        var optionBytes = 0
        for o in options {
            o.emit(into: &w)
            optionBytes += o.encodedLength
        }
        w.write(contentsOf: optionPadding)
        optionBytes += optionPadding.count
        w.write(zeros: ((optionBytes + 3) & ~3) - optionBytes)
        w.write(contentsOf: payload)
        if mode == .compute {
            let sum = w.bytes.withUnsafeBytes { all in
                pseudoHeader.checksum(UnsafeRawBufferPointer(rebasing: all[start...]))
            }
            w.set(sum, at: checksumIndex)
        }
    }

    /// The segment's bytes, with the checksum computed over the given pseudo-header.
    public func bytes(source: IPv4Address, destination: IPv4Address, checksum mode: ChecksumMode = .compute) -> [UInt8] {
        var w = ByteWriter(capacity: encodedLength)
        emit(into: &w, source: source, destination: destination, checksum: mode)
        return w.bytes
    }

    /// Parses a bare TCP segment: every byte of `bytes` is header or payload.
    ///
    /// The checks are `TCPHeaderView`'s gate and `TCPOptionsIterator`'s. The checksum is not verified here
    /// (see `TCPHeaderView.verifyChecksum` or `IPv4Packet.parse(_:verifyChecksum:)`); `baseOffset` is added
    /// to byte positions in errors, so a segment inside an IPv4 packet reports offsets in the packet.
    public static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws(WireError) -> TCPSegment {
        try TCPSegment(try TCPHeaderView(validating: bytes, baseOffset: baseOffset))
    }

    /// The owned segment read from a validated view: options parsed (and checked), payload copied.
    public init(_ view: TCPHeaderView) throws(WireError) {
        let (options, padding) = try TCPOption.parseList(view.optionsBytes, baseOffset: view.baseOffset + TCPField.options)
        self.init(
            sourcePort: view.sourcePort, destinationPort: view.destinationPort,
            sequenceNumber: view.sequenceNumber, acknowledgmentNumber: view.acknowledgmentNumber,
            flags: view.flags, window: view.window, urgentPointer: view.urgentPointer,
            options: options, payload: Array(view.payload),
            reserved: view.reserved, checksum: view.checksum,
            dataOffsetOverride: nil, optionPadding: padding)
    }

    /// Parses a bare TCP segment held in an array.
    public static func parse(_ bytes: [UInt8], baseOffset: Int = 0) throws(WireError) -> TCPSegment {
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(WireError) -> TCPSegment in try parse(buf, baseOffset: baseOffset) }
        }
        return try result.get()
    }
}
