/// An IPv6 packet carrying one TCP segment, extension headers included: what links send and receive.
public struct IPv6Packet: Hashable, Sendable {
    public var header: IPv6Header
    public var segment: TCPSegment

    public init(header: IPv6Header, segment: TCPSegment) {
        self.header = header
        self.segment = segment
    }

    /// Total length in bytes.
    public var encodedLength: Int { header.headerLength + segment.encodedLength }

    /// Appends the packet's bytes: the IPv6 header, its extension headers and the TCP segment (checksum
    /// computed over the IPv6 pseudo-header of RFC 8200 §8.1, or kept with `tcpChecksum: .keep`).
    public func emit(into w: inout ByteWriter, tcpChecksum: TCPSegment.ChecksumMode = .compute) {
        header.emit(into: &w, payloadLength: segment.encodedLength)
        segment.emit(into: &w, pseudoHeader: TCPPseudoHeader(source: header.source, destination: header.finalDestination),
                     checksum: tcpChecksum)
    }

    /// The packet's bytes.
    public func bytes(tcpChecksum: TCPSegment.ChecksumMode = .compute) -> [UInt8] {
        var w = ByteWriter(capacity: encodedLength)
        emit(into: &w, tcpChecksum: tcpChecksum)
        return w.bytes
    }

    /// Parses a whole IPv6 packet that carries TCP (`IPv6PacketView`'s checks, then copying).
    public static func parse(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = false) throws(WireError) -> IPv6Packet {
        try IPv6Packet(try IPv6PacketView(validating: bytes, verifyChecksum: verifyChecksum))
    }

    /// The owned packet read from a validated view.
    public init(_ view: IPv6PacketView) throws(WireError) {
        self.init(header: IPv6Header(view.ip), segment: try TCPSegment(view.tcp))
    }

    /// Parses a whole IPv6 packet held in an array.
    public static func parse(_ bytes: [UInt8], verifyChecksum: Bool = false) throws(WireError) -> IPv6Packet {
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(WireError) -> IPv6Packet in try parse(buf, verifyChecksum: verifyChecksum) }
        }
        return try result.get()
    }
}

/// A validated view of a whole IPv6 packet carrying TCP: the IPv6 gate (extension headers walked), the
/// upper layer checked (TCP, not a fragment), then the TCP gate with its options. `IPv6Packet.parse` is
/// this gate plus copying, so both accept and reject the same packets with the same errors.
@frozen
public struct IPv6PacketView {
    public let ip: IPv6HeaderView
    public let tcp: TCPHeaderView

    /// Checks a whole IPv6 packet (bytes past its payload length are ignored as link-layer padding).
    ///
    /// - Parameter verifyChecksum: also require a correct TCP checksum over the IPv6 pseudo-header with
    ///   the final destination (RFC 8200 §8.1; `tcpBadChecksum`, byte 16 of the segment). IPv6 has no
    ///   header checksum.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = false) throws(WireError) {
        let ip = try IPv6HeaderView(validating: bytes)
        try ip.checkCarriesTCP()
        let range = ip.payloadRange
        let tcp = try TCPHeaderView(validating: ip.payload, baseOffset: range.lowerBound)
        if let error = tcp.options.firstError { throw error }
        if verifyChecksum {
            try tcp.verifyChecksum(TCPPseudoHeader(source: ip.source, destination: ip.finalDestination))
        }
        self.ip = ip
        self.tcp = tcp
    }
}
