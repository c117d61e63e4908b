import ToyTCPWire

extension IPv4Packet {
    /// Parses a packet the way `expect` and bound names read it: as `IPv4Packet.parse` does, and, for a
    /// deliberately malformed one (`inject … opt=0x1e09aabb`, a wrong option length), with the headers
    /// read and the options kept as raw bytes, so it can still be matched and shown.
    static func parseForMatching(_ bytes: [UInt8]) -> IPv4Packet? {
        if let p = try? IPv4Packet.parse(bytes) { return p }
        return bytes.withUnsafeBytes { (buf) -> IPv4Packet? in
            guard let ip = try? IPv4HeaderView(validating: buf), (try? ip.checkCarriesTCP()) != nil,
                  let tcp = try? TCPHeaderView(validating: ip.payload, baseOffset: ip.payloadRange.lowerBound) else { return nil }
            let segment = TCPSegment(
                sourcePort: tcp.sourcePort, destinationPort: tcp.destinationPort,
                sequenceNumber: tcp.sequenceNumber, acknowledgmentNumber: tcp.acknowledgmentNumber,
                flags: tcp.flags, window: tcp.window, urgentPointer: tcp.urgentPointer,
                options: [], payload: Array(tcp.payload), reserved: tcp.reserved, checksum: tcp.checksum,
                dataOffsetOverride: tcp.dataOffset, optionPadding: Array(tcp.optionsBytes))
            return IPv4Packet(header: IPv4Header(ip), segment: segment)
        }
    }
}
