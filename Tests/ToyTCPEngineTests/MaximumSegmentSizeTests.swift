import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("MSS from the link MTU per family (RFC 9293 §3.7.1, RFC 8200 §5)")
struct MaximumSegmentSizeTests {
    @Test("Ethernet: 1460 over IPv4, 1440 over IPv6; the minimum links: 536 and 1220; jumbo frames clamp to 16 bits")
    func perFamily() {
        #expect(MaximumSegmentSize.forLink(mtu: 1500, ipv6: false) == 1460)
        #expect(MaximumSegmentSize.forLink(mtu: 1500, ipv6: true) == 1440)
        #expect(MaximumSegmentSize.forLink(mtu: 1280, ipv6: true) == MaximumSegmentSize.ipv6Minimum)
        #expect(MaximumSegmentSize.forLink(mtu: 576, ipv6: false) == MaximumSegmentSize.ipv4Default)
        // An MTU below the family's minimum is raised to it (RFC 8200 §5: IPv6 links carry 1280 bytes).
        #expect(MaximumSegmentSize.forLink(mtu: 600, ipv6: true) == 1220)
        #expect(MaximumSegmentSize.forLink(mtu: 100, ipv6: false) == 536)
        #expect(MaximumSegmentSize.forLink(mtu: 9000, to: .v6(.loopback)) == 8940)
        #expect(MaximumSegmentSize.forLink(mtu: 70_000, ipv6: false) == 65535)
        #expect(MaximumSegmentSize.forLink(mtu: 65575, to: .v4(.loopback)) == 65535)
    }
}
