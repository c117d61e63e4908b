import Glibc
import ToyTCPEngine
import ToyTCPScript
import ToyTCPWire

/// The IP family of a packetdrill run (`--ip_version`, packetdrill's own option and spellings):
/// - `ipv4`: AF_INET sockets, IPv4 on the wire;
/// - `ipv6`: AF_INET6 sockets, IPv6 on the wire;
/// - `ipv4-mapped-ipv6`: AF_INET6 sockets whose addresses are IPv4-mapped (`::ffff:10.0.0.1`, RFC 4291
///   §2.5.5.2), IPv4 on the wire: the dual-stack path of the kernel's IPv6 sockets.
///
/// Upstream's runner (`ksft_runner.sh`) runs every Linux selftest in `ipv4` and again in `ipv6`.
public enum PktIPVersion: String, Sendable, CaseIterable {
    case ipv4
    case ipv6
    case ipv4MappedIPv6 = "ipv4-mapped-ipv6"

    /// Whether segments on the wire are IPv6.
    public var wireIsIPv6: Bool { self == .ipv6 }

    /// The family `socket(..., …)` gets for its `...` domain.
    public var socketFamily: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }

    /// Our lab's addresses (scripts/lab-up.sh): host1 is the system under test, host2 the remote end,
    /// the router host1's gateway. IPv6: unique-local addresses (RFC 4193), fd00:0:0:1::/64 and
    /// fd00:0:0:2::/64. An IPv4-mapped run has IPv4 on the wire, so IPv4 addresses.
    public var defaultLocal: String { wireIsIPv6 ? "fd00:0:0:1::1" : "10.0.0.1" }
    public var defaultRemote: String { wireIsIPv6 ? "fd00:0:0:2::1" : "10.0.1.1" }
    public var defaultGateway: String { wireIsIPv6 ? "fd00:0:0:1::fe" : "10.0.0.254" }
    public var defaultNetmask: String { wireIsIPv6 ? "64" : "255.255.255.0" }
    /// 1520 in IPv6, as upstream's runner passes `--mtu=1520`: the IPv6 header is 20 bytes longer than
    /// IPv4's, so the kernel's MSS stays 1460 and the scripts' `mss 1460` holds in both families.
    public var defaultMTU: Int { wireIsIPv6 ? 1520 : 1500 }

    /// Whether `text` is an address this family's wire can carry (an IPv4-mapped IPv6 address counts
    /// as IPv4).
    public func accepts(_ text: String) -> Bool {
        guard let a = PktIPVersion.wireAddress(text) else { return false }
        return a.isIPv6 == wireIsIPv6
    }

    /// The address on the wire for `text`: `::ffff:10.0.0.1` is IPv4's 10.0.0.1.
    public static func wireAddress(_ text: String) -> IPAddress? {
        guard let a = IPAddress(text) else { return nil }
        if case .v6(let v6) = a, let v4 = v6.ipv4Mapped { return .v4(v4) }
        return a
    }

    /// The version a script asks for with its own `--ip_version=…` line (ksft_runner.sh reads it the
    /// same way: `grep -E '^--ip_version='`), nil when it has none.
    public static func scriptLine(in text: String) -> PktIPVersion? {
        for line in text.split(separator: "\n") where line.hasPrefix("--ip_version=") {
            let value = line.dropFirst("--ip_version=".count).prefix { !$0.isWhitespace }
            return PktIPVersion(rawValue: String(value))
        }
        return nil
    }
}

/// A socket address of the run's family for `bind`, `connect`, `sendto` and `sendmsg`: `sockaddr_in`
/// for `ipv4`, `sockaddr_in6` for `ipv6` and, with the IPv4-mapped address, for `ipv4-mapped-ipv6`.
struct PktSocketAddress: @unchecked Sendable {
    private var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0

    /// 0.0.0.0 port 0 when `address` is not one (checked when the options were read).
    init(_ address: IPAddress?, port: UInt16, version: PktIPVersion) {
        switch (address, version) {
        case (.v4(let a)?, .ipv4):
            var s = sockaddr_in()
            s.sin_family = sa_family_t(AF_INET)
            s.sin_port = port.bigEndian
            s.sin_addr.s_addr = a.rawValue.bigEndian
            set(s)
        case (let a?, .ipv6), (let a?, .ipv4MappedIPv6):
            var s = sockaddr_in6()
            s.sin6_family = sa_family_t(AF_INET6)
            s.sin6_port = port.bigEndian
            let v6: IPv6Address
            switch a {
            case .v4(let v4): v6 = IPv6Address(ipv4Mapped: v4)
            case .v6(let x): v6 = x
            }
            withUnsafeMutableBytes(of: &s.sin6_addr) { b in for (i, byte) in v6.bytes.enumerated() { b[i] = byte } }
            set(s)
        default:
            var s = sockaddr_in()
            s.sin_family = sa_family_t(AF_INET)
            set(s)
        }
    }

    private mutating func set<T>(_ s: T) {
        var s = s
        withUnsafeMutableBytes(of: &storage) { dst in
            withUnsafeBytes(of: &s) { src in dst.copyMemory(from: src) }
        }
        length = socklen_t(MemoryLayout<T>.size)
    }

    /// Calls `body` with the address as `struct sockaddr *` and its length.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var s = storage
        return withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// The addresses, netmask and MTU a command line gave (`--local_ip` …); nil: the family's default.
struct PktGivenAddresses: Sendable {
    var local: String?
    var remote: String?
    var gateway: String?
    var netmask: String?
    var mtu: Int?
}

extension PktRunOptions {
    /// The options for a script whose text is `text`: a script's own `--ip_version=…` line limits it to
    /// that family, as upstream's runner does (it runs such a script in that family only), and the
    /// addresses given for another family give way to this family's defaults.
    public func forScript(_ text: String) -> PktRunOptions {
        guard let v = PktIPVersion.scriptLine(in: text), v != ipVersion else { return self }
        var o = self
        o.ipVersion = v
        for k in [\PktGivenAddresses.local, \.remote, \.gateway] where o.given[keyPath: k].map({ !v.accepts($0) }) ?? false {
            o.given[keyPath: k] = nil
        }
        if v.wireIsIPv6 != ipVersion.wireIsIPv6 { o.given.netmask = nil; o.given.mtu = nil }
        return o
    }

    /// The local and remote addresses on the wire (IPv4 for an IPv4-mapped run).
    var wireLocal: IPAddress? { PktIPVersion.wireAddress(local) }
    var wireRemote: IPAddress? { PktIPVersion.wireAddress(remote) }
}

extension KernelNamespace {
    /// The commands that give tun0 its MTU, the local address and a default route through the gateway.
    ///
    /// IPv4: IPv6 is switched off on tun0, so the kernel sends nothing but the script's segments.
    /// IPv6: no link-local address and no router solicitations (`addrgenmode none`, `accept_ra=0`),
    /// the address usable at once (`nodad`: no duplicate address detection, RFC 4862 §5.4, which would
    /// hold it "tentative" for a second), the route `onlink` as packetdrill's (the gateway need not be in
    /// the local prefix: upstream's is fd3d:0a0b:17d6:8888::1 beside fd3d:0a0b:17d6::1).
    static func tunSetup(local: String, gateway: String, netmask: String, mtu: Int) -> String {
        let link = "ip link set lo up && ip link set tun0 mtu \(mtu)"
        guard IPAddress(local)?.isIPv6 == true else {
            let prefix = prefixLength(netmask)
            let route = gateway == local ? "ip route add default dev tun0" : "ip route add default via \(gateway) dev tun0 onlink"
            return "\(link) up && ip addr add \(local)/\(prefix) dev tun0 && \(route)"
                + " && sysctl -q -w net.ipv6.conf.tun0.disable_ipv6=1 2>/dev/null; true"
        }
        // `--netmask_ip` in IPv6 is a prefix length (64) or a mask (ffff:ffff:ffff:ffff::).
        let prefix = Int(netmask) ?? IPv6Address(netmask).map { $0.high.nonzeroBitCount + $0.low.nonzeroBitCount } ?? 64
        let route = gateway == local ? "ip -6 route add default dev tun0" : "ip -6 route add default via \(gateway) dev tun0 onlink"
        return "sysctl -q -w net.ipv6.conf.tun0.accept_ra=0 net.ipv6.conf.tun0.accept_dad=0"
            + " && \(link) addrgenmode none && ip link set tun0 up"
            + " && ip -6 addr add \(local)/\(prefix) dev tun0 nodad && \(route)"
    }
}

extension PktConnection {
    /// The packet an inbound segment is built on: IPv4 or IPv6 as the endpoints' family (the wire's),
    /// the headers' defaults (TTL / hop limit 64, traffic class and flow label 0, as packetdrill's).
    static func inboundBase(from remote: Endpoint, to local: Endpoint) -> IPPacket {
        let segment = TCPSegment(sourcePort: remote.port, destinationPort: local.port)
        switch (remote.ip, local.ip) {
        case (.v6(let r), .v6(let l)): return .v6(IPv6Packet(header: IPv6Header(source: r, destination: l), segment: segment))
        default: return .v4(IPv4Packet(header: IPv4Header(source: remote.address, destination: local.address), segment: segment))
        }
    }
}

extension PktIPVersion {
    /// The project's safety rule for `--local_ip` / `--remote_ip`: only our lab's networks, 10.0.0.0/24
    /// and 10.0.1.0/24 (also IPv4-mapped) and, in IPv6, unique-local addresses (fd00::/8, RFC 4193),
    /// which never leave the namespaces we create.
    public static func isLabAddress(_ text: String) -> Bool {
        switch wireAddress(text) {
        case .v4(let a)?: return a.rawValue >> 8 == 0x0A0000 || a.rawValue >> 8 == 0x0A0001
        case .v6(let a)?: return a.high >> 56 == 0xFD
        case nil: return false
        }
    }
}

extension StackConfiguration {
    /// `packetdrillLinuxDefaults` on a link of `mtu` bytes: the engine's `mss` is the IPv4 one (MTU − 40,
    /// RFC 9293 §3.7.1) and an IPv6 connection announces 20 bytes less (RFC 8200's 40-byte header), so
    /// upstream's IPv6 `--mtu=1520` gives the 1460 the scripts expect in both families, as Linux does.
    static func packetdrill(mtu: Int) -> StackConfiguration {
        var c = packetdrillLinuxDefaults
        c.mss = UInt16(clamping: mtu - 40)
        return c
    }
}

extension PktRunner {
    /// ICMPv6 types and codes by packetdrill's names (RFC 4443 §3): `unreachable` (type 1) with its
    /// codes, `packet_too_big` (type 2, code 0, the MTU), `time_exceeded` (3) and `parameter_problem` (4).
    static let icmpv6Types: [String: UInt8] = ["unreachable": 1, "packet_too_big": 2, "time_exceeded": 3, "parameter_problem": 4]
    static let icmpv6UnreachableCodes: [String: UInt8] = [
        "no_route": 0, "admin_prohibited": 1, "beyond_scope": 2, "address_unreachable": 3, "port_unreachable": 4,
    ]

    /// An inbound ICMPv6 error about a segment the system sent on connection `c` (local -> remote, the
    /// script's relative sequence number): the quoted packet is its IPv6 header and the first 8 bytes of
    /// TCP (ports and sequence number, what `tcp_v6_err` reads), the checksum over the ICMPv6
    /// pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1).
    static func icmpv6Bytes(_ icmp: PktICMP, on c: PktConnection) throws -> [UInt8] {
        guard case .v6(let local) = c.local.ip, case .v6(let remote) = c.remote.ip else {
            throw Failure(line: 0, message: "icmpv6 on an IPv4 connection")
        }
        guard let type = icmpv6Types[icmp.type] else { throw Failure(line: 0, message: "icmp type '\(icmp.type)' is not supported in IPv6") }
        var code: UInt8 = 0
        if type == 1, let name = icmp.code {
            guard let c = icmpv6UnreachableCodes[name] else { throw Failure(line: 0, message: "icmp code '\(name)' is not supported in IPv6") }
            code = c
        }
        let quoted = IPv6Packet(header: IPv6Header(source: local, destination: remote),
                                segment: TCPSegment(sourcePort: c.local.port, destinationPort: c.remote.port,
                                                    sequenceNumber: SequenceNumber(icmp.seq &+ (c.localISN ?? 0)),
                                                    flags: [.ack], window: 0, payload: [UInt8](repeating: 0, count: icmp.length)))
        // Type 2 carries the MTU in its 4-byte field; the others carry 0 (or the pointer, left 0).
        let mtu = type == 2 ? (icmp.mtu ?? 1280) : 0
        var body: [UInt8] = [type, code, 0, 0, UInt8(mtu >> 24 & 0xFF), UInt8(mtu >> 16 & 0xFF), UInt8(mtu >> 8 & 0xFF), UInt8(mtu & 0xFF)]
        body += quoted.bytes().prefix(48)
        var pseudo = remote.bytes + local.bytes
        pseudo += [UInt8(body.count >> 24 & 0xFF), UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF), 0, 0, 0, 58]
        let sum = PktRunner.onesComplementSum(pseudo + body)
        body[2] = UInt8(sum >> 8); body[3] = UInt8(sum & 0xFF)
        let outer = IPv6Header(source: remote, destination: local, upperLayerProtocol: 58, hopLimit: 255)
        var w = ByteWriter(capacity: 40 + body.count)
        outer.emit(into: &w, payloadLength: body.count)
        return w.bytes + body
    }

    /// The Internet checksum (RFC 1071) of `b` (Wire's `InternetChecksum`).
    static func onesComplementSum(_ b: [UInt8]) -> UInt16 {
        var c = InternetChecksum()
        b.withUnsafeBytes { c.add($0) }
        return c.value
    }
}
