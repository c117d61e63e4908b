import Foundation
import Testing
import ToyTCPPacketdrill

/// packetdrill in IPv6 and IPv4-mapped IPv6 (`--ip_version`), the parts that need no root: the `-D`
/// defaults computed for the family's addresses and how a run's addresses are chosen.
@Suite struct PktIPv6Tests {
    @Test func fastOpenCookiesForUpstreamsIPv6Addresses() {
        // ksft_runner.sh passes these for local fd3d:0a0b:17d6::1, remote fd3d:fa7b:d17d::1: the kernel's
        // SipHash-2-4 over the SYN's 16-byte source then destination address.
        let d = PacketdrillDefaults.defines(local: "fd3d:0a0b:17d6::1", remote: "fd3d:fa7b:d17d::1", ipVersion: .ipv6)
        #expect(d["TFO_COOKIE"] == "c1d1e9742a47a9bc")
        #expect(d["TFO_COOKIE_ZERO"] == "82af1a8f9a205c34")
        #expect(d["CMSG_LEVEL_IP"] == "SOL_IPV6")
        #expect(d["CMSG_TYPE_RECVERR"] == "IPV6_RECVERR")
    }

    @Test func fastOpenCookiesForUpstreamsIPv4AddressesStay() {
        let d = PacketdrillDefaults.defines(local: "192.168.0.1", remote: "192.0.2.1", ipVersion: .ipv4)
        #expect(d["TFO_COOKIE"] == "3021b9d889017eeb")
        #expect(d["TFO_COOKIE_ZERO"] == "b7c12350a90dc8f5")
        #expect(d["CMSG_LEVEL_IP"] == "SOL_IP")
    }

    @Test func ipv4MappedRunsComputeCookiesOverTheIPv4WireAddresses() {
        // The SYN on the wire is IPv4 (the socket is AF_INET6 with ::ffff:a.b.c.d addresses), so the
        // kernel hashes the 4-byte addresses; the cmsgs of an AF_INET6 socket are SOL_IPV6's.
        let d = PacketdrillDefaults.defines(local: "10.0.0.1", remote: "10.0.1.1", ipVersion: .ipv4MappedIPv6)
        #expect(d["TFO_COOKIE"] == "4f93754e049ffa97")
        #expect(d["CMSG_LEVEL_IP"] == "SOL_IPV6")
    }

    @Test func ipv6DefaultsAreTheLabsUniqueLocalAddresses() {
        var o = PktRunOptions()
        o.ipVersion = .ipv6
        #expect(o.local == "fd00:0:0:1::1" && o.remote == "fd00:0:0:2::1" && o.gateway == "fd00:0:0:1::fe")
        #expect(o.mtu == 1520, "upstream's runner passes --mtu=1520 in IPv6 so the MSS stays 1460")
        o.ipVersion = .ipv4
        #expect(o.local == "10.0.0.1" && o.mtu == 1500)
    }

    @Test func aScriptsOwnIPVersionLineLimitsItToThatFamily() {
        var o = PktRunOptions()
        o.ipVersion = .ipv6
        let limited = o.forScript("--ip_version=ipv4\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n")
        #expect(limited.ipVersion == .ipv4 && limited.local == "10.0.0.1")
        #expect(o.forScript("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").ipVersion == .ipv6)
    }
}
