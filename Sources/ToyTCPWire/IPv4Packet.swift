/// An IPv4 packet carrying one TCP segment: what links send and receive.
public struct IPv4Packet: Hashable, Sendable {
    public var header: IPv4Header
    public var segment: TCPSegment

    public init(header: IPv4Header, segment: TCPSegment) {
        self.header = header
        self.segment = segment
    }

    /// Total length in bytes.
    public var encodedLength: Int { header.headerLength + segment.encodedLength }

    /// Appends the packet's bytes: IPv4 header (checksum computed) and the TCP segment (checksum
    /// computed over the pseudo-header, or kept with `tcpChecksum: .keep`).
    public func emit(into w: inout ByteWriter, tcpChecksum: TCPSegment.ChecksumMode = .compute,
                     ipChecksum: TCPSegment.ChecksumMode = .compute) {
        header.emit(into: &w, payloadLength: segment.encodedLength, checksum: ipChecksum)
        segment.emit(into: &w, source: header.source, destination: header.destination, checksum: tcpChecksum)
    }

    /// The packet's bytes.
    public func bytes(tcpChecksum: TCPSegment.ChecksumMode = .compute,
                      ipChecksum: TCPSegment.ChecksumMode = .compute) -> [UInt8] {
        var w = ByteWriter(capacity: encodedLength)
        emit(into: &w, tcpChecksum: tcpChecksum, ipChecksum: ipChecksum)
        return w.bytes
    }

    /// Parses a whole IPv4 packet that carries TCP.
    ///
    /// The checks are `IPv4PacketView`'s: everything `IPv4Header.parse` and `TCPSegment.parse` reject,
    /// plus a protocol other than TCP and fragments. With `verifyChecksum`, a wrong IPv4 header checksum
    /// or TCP checksum is an error too (what a stack wants); the decoder leaves it off and reports the
    /// checksums' status instead.
    public static func parse(_ bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = false) throws(WireError) -> IPv4Packet {
        try IPv4Packet(try IPv4PacketView(validating: bytes, verifyChecksum: verifyChecksum))
    }

    /// The owned packet read from a validated view.
    public init(_ view: IPv4PacketView) throws(WireError) {
        self.init(header: IPv4Header(view.ip), segment: try TCPSegment(view.tcp))
    }

    /// Parses a whole IPv4 packet held in an array.
    public static func parse(_ bytes: [UInt8], verifyChecksum: Bool = false) throws(WireError) -> IPv4Packet {
        let result = bytes.withUnsafeBytes { buf in
            Result { () throws(WireError) -> IPv4Packet in try parse(buf, verifyChecksum: verifyChecksum) }
        }
        return try result.get()
    }
}
