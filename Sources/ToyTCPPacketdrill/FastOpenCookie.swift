import ToyTCPWire

/// The TCP Fast Open cookie Linux computes for a client (RFC 7413 §4.1.2 leaves the algorithm to the
/// server; Linux's `__tcp_fastopen_cookie_gen_cipher`): SipHash-2-4 over the SYN's source address then
/// destination address (the remote then the local address: 8 bytes for IPv4, 32 for IPv6, the
/// header's own `saddr, daddr` bytes), the 64-bit result stored little-endian as the 8-byte cookie.
public enum FastOpenCookie {
    /// The key `net.ipv4.tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4` sets (four 32-bit words,
    /// each kept little-endian, read back as two little-endian 64-bit SipHash key halves).
    public static func key(words: [UInt32]) -> (UInt64, UInt64) {
        (UInt64(words[1]) << 32 | UInt64(words[0]), UInt64(words[3]) << 32 | UInt64(words[2]))
    }

    public static func cookie(remote: IPv4Address, local: IPv4Address, key: (UInt64, UInt64)) -> [UInt8] {
        cookie(remote: .v4(remote), local: .v4(local), key: key)
    }

    /// For either family: the addresses of the SYN on the wire (an IPv4-mapped socket's are IPv4).
    public static func cookie(remote: IPAddress, local: IPAddress, key: (UInt64, UInt64)) -> [UInt8] {
        var message: [UInt8] = []
        for a in [remote, local] {
            switch a {
            case .v4(let v4):
                let v = v4.rawValue
                message += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            case .v6(let v6):
                message += v6.bytes
            }
        }
        let h = SipHash24.hash(message, key: key)
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (8 * UInt64($0))) }
    }
}

/// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed hash Linux uses for Fast Open cookies.
enum SipHash24 {
    static func hash(_ m: [UInt8], key: (UInt64, UInt64)) -> UInt64 {
        var v0: UInt64 = 0x736f6d6570736575 ^ key.0
        var v1: UInt64 = 0x646f72616e646f6d ^ key.1
        var v2: UInt64 = 0x6c7967656e657261 ^ key.0
        var v3: UInt64 = 0x7465646279746573 ^ key.1
        func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
        func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        let blocks = m.count / 8
        for b in 0..<blocks {
            var word: UInt64 = 0
            for i in 0..<8 { word |= UInt64(m[b * 8 + i]) << (8 * UInt64(i)) }
            v3 ^= word; round(); round(); v0 ^= word
        }
        var last = UInt64(m.count & 0xFF) << 56
        for i in 0..<(m.count % 8) { last |= UInt64(m[blocks * 8 + i]) << (8 * UInt64(i)) }
        v3 ^= last; round(); round(); v0 ^= last
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

/// What packetdrill users pass with `-D` for the Linux selftests, computed for the addresses in use
/// (ksft_runner.sh passes the same names per family).
public enum PacketdrillDefaults {
    public static func defines(local: String, remote: String, ipVersion: PktIPVersion = .ipv4) -> [String: String] {
        // An AF_INET6 socket (IPv4-mapped too) reports its errors and cmsgs at the IPv6 level.
        var d = ipVersion == .ipv4 ? ["CMSG_LEVEL_IP": "SOL_IP", "CMSG_TYPE_RECVERR": "IP_RECVERR"]
                                   : ["CMSG_LEVEL_IP": "SOL_IPV6", "CMSG_TYPE_RECVERR": "IPV6_RECVERR"]
        if let l = PktIPVersion.wireAddress(local), let r = PktIPVersion.wireAddress(remote) {
            let hex: ([UInt8]) -> String = { $0.map { String($0, radix: 16).leftPadded(2) }.joined() }
            d["TFO_COOKIE"] = hex(FastOpenCookie.cookie(
                remote: r, local: l, key: FastOpenCookie.key(words: [0xa1a1a1a1, 0xb2b2b2b2, 0xc3c3c3c3, 0xd4d4d4d4])))
            d["TFO_COOKIE_ZERO"] = hex(FastOpenCookie.cookie(remote: r, local: l, key: (0, 0)))
        }
        return d
    }
}
