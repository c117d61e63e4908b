import ToyTCPWire

/// An IPv4 router between links (the lab's `router` between 10.0.0.0/24 and 10.0.1.0/24): forwards by
/// destination address and decrements the TTL (RFC 791, RFC 1812 §5.3.1), dropping a packet whose TTL
/// runs out. It runs no TCP: packets addressed to the router itself are counted and dropped.
public final class SimulatedRouter: SimulatedNode {
    public let name: String
    public let addresses: [IPv4Address]
    public let nodeIndex: Int
    public internal(set) var packetsForwarded = 0
    public internal(set) var packetsTTLExpired = 0
    public internal(set) var packetsAddressedToRouter = 0

    init(name: String, addresses: [IPv4Address], index: Int) {
        self.name = name; self.addresses = addresses; nodeIndex = index
    }

    /// Decrements the TTL in place and patches the header checksum incrementally (RFC 1624 eqn. 3);
    /// returns `false` (drop) if the TTL would reach zero.
    static func decrementTTL(_ bytes: inout [UInt8]) -> Bool {
        guard bytes.count >= 20, bytes[8] > 1 else { return false }
        let old = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        bytes[8] -= 1
        let new = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        let checksum = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        var sum = UInt32(~checksum) + UInt32(~old) + UInt32(new)
        sum = (sum & 0xFFFF) + (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16)
        let patched = ~UInt16(truncatingIfNeeded: sum)
        bytes[10] = UInt8(patched >> 8)
        bytes[11] = UInt8(truncatingIfNeeded: patched)
        return true
    }
}
