// Read first: RFC 9293 §3.7.1 (MSS), RFC 879, RFC 8200 §5 (IPv6 packet size), RFC 8201 and RFC 4443 §3.2
// (Packet Too Big), RFC 6691 (TCP options and the MSS).
import ToyTCPWire

/// The MSS a connection announces (and the largest payload it sends) from the link MTU and the family.
///
/// The MSS counts TCP payload only (RFC 9293 §3.7.1, RFC 6691 §2): the MTU less the IP header (20 bytes
/// for IPv4 without options, 40 for IPv6 without extension headers) and the 20-byte TCP header. An MTU
/// below the family's minimum is raised to it: IPv4 hosts must accept 576-byte datagrams (RFC 9293
/// §3.7.1 default MSS 536), and every IPv6 link carries 1280-byte packets (RFC 8200 §5), so 1220 is
/// always safe over IPv6.
///
/// "Packet Too Big" (ICMPv6 type 2, RFC 4443 §3.2): the engine takes no ICMP (it is sans-IO and sees only
/// TCP), so a path MTU below the announced one is not learnt (no RFC 8201 path MTU discovery, no RFC 4821
/// packetization-layer probing). Full-size segments a router drops for size are retransmitted at the same
/// size until the retry limit ends the connection; lowering `StackConfiguration.mss` to
/// `MaximumSegmentSize.ipv6Minimum` (1220) avoids the problem on any IPv6 path.
public enum MaximumSegmentSize {
    /// RFC 8200 §5: the minimum IPv6 link MTU.
    public static let ipv6MinimumMTU = 1280
    /// RFC 1122 §3.3.3 / RFC 9293 §3.7.1: the datagram every IPv4 host accepts.
    public static let ipv4MinimumMTU = 576
    /// 1280 - 40 - 20: the MSS that fits every IPv6 path.
    public static let ipv6Minimum: UInt16 = 1220
    /// 576 - 20 - 20: RFC 9293 §3.7.1's default when the peer announces none (IPv4).
    public static let ipv4Default: UInt16 = 536

    /// The MSS for a link of `mtu` bytes carrying `family` (IPv4 or IPv6, as the local address says).
    public static func forLink(mtu: Int, ipv6: Bool) -> UInt16 {
        let minimumMTU = ipv6 ? ipv6MinimumMTU : ipv4MinimumMTU
        let headers = (ipv6 ? 40 : 20) + 20
        return UInt16(clamping: max(mtu, minimumMTU) - headers)
    }

    /// The MSS for a link of `mtu` bytes towards `address`.
    public static func forLink(mtu: Int, to address: IPAddress) -> UInt16 {
        forLink(mtu: mtu, ipv6: address.isIPv6)
    }
}
