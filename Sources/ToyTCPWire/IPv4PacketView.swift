/// A validated, non-owning view of an IPv4 packet that carries one whole TCP segment: the view a
/// stack or decoder wants on its receive path (no allocation, no copy).
///
/// The gate is the conjunction of `IPv4HeaderView`'s (version, IHL, total length), `checkCarriesTCP`
/// (protocol 6, not a fragment), `TCPHeaderView`'s (length, data offset), the options walk
/// (`TCPOptionsIterator`) and, on request, both checksums (IPv4 header, then TCP). `IPv4Packet.parse` is this gate plus copying,
/// so both accept and reject exactly the same packets with the same errors.
@frozen
public struct IPv4PacketView {
    public let ip: IPv4HeaderView
    public let tcp: TCPHeaderView

    /// Checks a whole IPv4 packet (bytes past its total length are ignored as link-layer padding).
    ///
    /// - Parameter verifyChecksum: also require a correct IPv4 header checksum (`ipv4BadHeaderChecksum`,
    ///   byte 10; checked right after the header gate) and a correct TCP checksum (`tcpBadChecksum`, byte
    ///   16 of the segment; checked last). A stack wants this (RFC 1122 §3.2.1.2, RFC 9293 §3.1 MUST-2/3);
    ///   a decoder leaves it off and shows the checksums' status instead.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = false) throws(WireError) {
        let ip = try IPv4HeaderView(validating: bytes)
        if verifyChecksum { try ip.verifyHeaderChecksum() }
        try ip.checkCarriesTCP()
        let range = ip.payloadRange
        let tcp = try TCPHeaderView(validating: ip.payload, baseOffset: range.lowerBound)
        if let error = tcp.options.firstError { throw error }
        if verifyChecksum {
            try tcp.verifyChecksum(source: ip.source, destination: ip.destination)
        }
        self.ip = ip
        self.tcp = tcp
    }
}
