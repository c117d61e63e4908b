import ToyTCPWire

extension IPPacket {
    /// Parses a packet of either family the way `expect` and bound names read it: as `IPPacket.parse`
    /// does, and, for a deliberately malformed one (`inject … opt=0x1e09aabb`, a wrong option length),
    /// with the headers read and the options kept as raw bytes, so it can still be matched and shown.
    static func parseForMatching(_ bytes: [UInt8]) -> IPPacket? {
        if let p = try? IPPacket.parse(bytes) { return p }
        return bytes.withUnsafeBytes { (buf) -> IPPacket? in
            if buf.first.map({ $0 >> 4 }) == 6 {
                guard let ip = try? IPv6HeaderView(validating: buf), (try? ip.checkCarriesTCP()) != nil,
                      let tcp = try? TCPHeaderView(validating: ip.payload, baseOffset: ip.payloadRange.lowerBound)
                else { return nil }
                return .v6(IPv6Packet(header: IPv6Header(ip), segment: rawSegment(tcp)))
            }
            guard let ip = try? IPv4HeaderView(validating: buf), (try? ip.checkCarriesTCP()) != nil,
                  let tcp = try? TCPHeaderView(validating: ip.payload, baseOffset: ip.payloadRange.lowerBound) else { return nil }
            return .v4(IPv4Packet(header: IPv4Header(ip), segment: rawSegment(tcp)))
        }
    }

    /// The segment with its options area kept as raw bytes (not parsed).
    private static func rawSegment(_ tcp: TCPHeaderView) -> TCPSegment {
        TCPSegment(
            sourcePort: tcp.sourcePort, destinationPort: tcp.destinationPort,
            sequenceNumber: tcp.sequenceNumber, acknowledgmentNumber: tcp.acknowledgmentNumber,
            flags: tcp.flags, window: tcp.window, urgentPointer: tcp.urgentPointer,
            options: [], payload: Array(tcp.payload), reserved: tcp.reserved, checksum: tcp.checksum,
            dataOffsetOverride: tcp.dataOffset, optionPadding: Array(tcp.optionsBytes))
    }

    /// The addresses and ports as script endpoints.
    var sourceEndpoint: Endpoint { Endpoint(address: source, port: segment.sourcePort) }
    var destinationEndpoint: Endpoint { Endpoint(address: destination, port: segment.destinationPort) }
}
