import ToyTCPWire

/// A dual-stack router between links (the lab's `router` between 10.0.0.0/24 and 10.0.1.0/24, and
/// fd00:0:0:1::/64 and fd00:0:0:2::/64): forwards by destination address and decrements the IPv4 TTL
/// (RFC 791, RFC 1812 §5.3.1) or the IPv6 hop limit (RFC 8200 §3), dropping a packet whose TTL or hop
/// limit runs out. It runs no TCP and sends no ICMP: packets addressed to the router itself are counted
/// and dropped.
public final class SimulatedRouter: SimulatedNode {
    public let name: String
    public let localAddresses: [IPAddress]
    public let nodeIndex: Int
    public internal(set) var packetsForwarded = 0
    public internal(set) var packetsTTLExpired = 0
    public internal(set) var packetsAddressedToRouter = 0

    init(name: String, addresses: [IPAddress], index: Int) {
        self.name = name; self.localAddresses = addresses; nodeIndex = index
    }

    /// Decrements the TTL (IPv4) or hop limit (IPv6) by the version nibble; `false` (drop) if it would
    /// reach zero ("discarded", RFC 8200 §3; RFC 1812 §5.3.1).
    static func decrementHopCount(_ bytes: inout [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        return first >> 4 == 6 ? decrementHopLimit(&bytes) : decrementTTL(&bytes)
    }

    /// RFC 8200 §3: the hop limit (byte 7) goes down by one per forwarding node; IPv6 has no header
    /// checksum to patch (and the TCP pseudo-header does not cover the hop limit).
    static func decrementHopLimit(_ bytes: inout [UInt8]) -> Bool {
        guard bytes.count >= 40, bytes[7] > 1 else { return false }
        bytes[7] -= 1
        return true
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
