@testable import ToyTCPWire

/// Bytes from hex text; spaces are ignored. Test input only (traps on bad hex).
func hex(_ text: String) -> [UInt8] {
    let digits = text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit")
        }
    }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let hi = nibble(digits[i]); i = digits.index(after: i)
        let lo = nibble(digits[i]); i = digits.index(after: i)
        out.append(hi << 4 | lo)
    }
    return out
}

/// IPv4 packets used across the tests.
///
/// `real*`: captured with `tcpdump -i wtvb -w` between two namespaces over a veth pair with
/// `ethtool -K … tx off` (so checksums are real), Linux 6.18, `nc` to 10.0.0.2:40000 and a RST from
/// closed port 40001. Checksums are the ones `tcpdump -nn -vv` reported "correct".
/// `crafted*`: built by hand and checked with `tcpdump -nn -vv` ("correct" checksums, output in comments).
enum Fixture {
    static let a = IPv4Address(10, 0, 0, 1)
    static let b = IPv4Address(10, 0, 0, 2)

    /// 10.0.0.1.56852 > 10.0.0.2.40000: Flags [S], cksum 0xb557 (correct), seq 1549642466, win 64240,
    /// options [mss 1460,sackOK,TS val 1422699856 ecr 0,nop,wscale 10], length 0
    static let realSYN = hex("""
        4500 003c 85cf 4000 4006 a0ea 0a00 0001 0a00 0002 de14 9c40 5c5d aae2 0000 0000
        a002 faf0 b557 0000 0204 05b4 0402 080a 54cc ad50 0000 0000 0103 030a
        """)
    /// 10.0.0.2.40000 > 10.0.0.1.56852: Flags [S.], cksum 0x5779 (correct), seq 2346778543, ack 1549642467,
    /// win 65160, options [mss 1460,sackOK,TS val 3261729850 ecr 1422699856,nop,wscale 10], length 0
    static let realSYNACK = hex("""
        4500 003c 0000 4000 4006 26ba 0a00 0002 0a00 0001 9c40 de14 8be0 ffaf 5c5d aae3
        a012 fe88 5779 0000 0204 05b4 0402 080a c26a 0c3a 54cc ad50 0103 030a
        """)
    /// 10.0.0.1.56852 > 10.0.0.2.40000: Flags [.], cksum 0x8492 (correct), ack 1, win 63,
    /// options [nop,nop,TS val 1422699856 ecr 3261729850], length 0
    static let realACK = hex("""
        4500 0034 85d0 4000 4006 a0f1 0a00 0001 0a00 0002 de14 9c40 5c5d aae3 8be0 ffb0
        8010 003f 8492 0000 0101 080a 54cc ad50 c26a 0c3a
        """)
    /// 10.0.0.1.56852 > 10.0.0.2.40000: Flags [P.], cksum 0x3a31 (correct), seq 1:14, ack 1, win 63,
    /// options [nop,nop,TS val 1422699856 ecr 3261729850], length 13 ("hello, world\n")
    static let realData = hex("""
        4500 0041 85d1 4000 4006 a0e3 0a00 0001 0a00 0002 de14 9c40 5c5d aae3 8be0 ffb0
        8018 003f 3a31 0000 0101 080a 54cc ad50 c26a 0c3a 6865 6c6c 6f2c 2077 6f72 6c64 0a
        """)
    /// 10.0.0.1.56852 > 10.0.0.2.40000: Flags [F.], cksum 0x8484 (correct), seq 14, ack 1, win 63,
    /// options [nop,nop,TS val 1422699856 ecr 3261729850], length 0
    static let realFIN = hex("""
        4500 0034 85d2 4000 4006 a0ef 0a00 0001 0a00 0002 de14 9c40 5c5d aaf0 8be0 ffb0
        8011 003f 8484 0000 0101 080a 54cc ad50 c26a 0c3a
        """)
    /// 10.0.0.2.40001 > 10.0.0.1.40142: Flags [R.], cksum 0xfd15 (correct), seq 0, ack 3501102329, win 0, length 0
    static let realRST = hex("""
        4500 0028 0000 4000 4006 26ce 0a00 0002 0a00 0001 9c41 9cce 0000 0000 d0ae 94f9
        5014 0000 fd15 0000
        """)
    /// A SYN captured on a namespace's loopback, where checksum offload leaves only the pseudo-header sum:
    /// 127.0.0.1.52780 > 127.0.0.1.40000: Flags [S], cksum 0xfe30 (incorrect -> 0xbb16), seq 1946663962,
    /// win 65495, options [mss 65495,sackOK,TS val 2882817668 ecr 0,nop,wscale 10], length 0
    static let loopbackSYNOffloaded = hex("""
        4500 003c c25e 4000 4006 7a5b 7f00 0001 7f00 0001 ce2c 9c40 7407 bc1a 0000 0000
        a002 ffd7 fe30 0000 0204 ffd7 0402 080a abd4 4e84 0000 0000 0103 030a
        """)

    /// 10.0.0.1.56852 > 10.0.0.2.40000: Flags [.], cksum 0xb860 (correct), seq 1549642480, ack 2346778544,
    /// win 63, options [nop,nop,TS val 1422699900 ecr 3261729850,unknown-253 0xbeef], length 0
    static let craftedUnknownOption = hex("""
        4500 0038 1234 4000 4006 148a 0a00 0001 0a00 0002 de14 9c40 5c5d aaf0 8be0 ffb0
        9010 003f b860 0000 0101 080a 54cc ad7c c26a 0c3a fd04 beef
        """)
    /// 10.0.0.1.40100 > 10.0.0.2.80: Flags [S], cksum 0x4d25 (correct), seq 1000, win 29200,
    /// options [mss 1460,nop,wscale 7,eol], length 0  (three zero bytes of padding after the EOL)
    static let craftedEOLPadding = hex("""
        4500 0034 1234 4000 4006 148e 0a00 0001 0a00 0002 9ca4 0050 0000 03e8 0000 0000
        8002 7210 4d25 0000 0204 05b4 0103 0307 0000 0000
        """)
    /// 10.0.0.1.40101 > 10.0.0.2.80: Flags [SEW], cksum 0xe75a (correct), seq 2000, win 1024, length 0;
    /// tos 0x2 (ECT(0)); byte 12 is 0x5B: data offset 5, reserved bits 101, AE set (tcpdump 4.99 does
    /// not print AE).
    static let craftedReservedAndAE = hex("""
        4502 0028 1234 4000 4006 1498 0a00 0001 0a00 0002 9ca5 0050 0000 07d0 0000 0000
        5bc2 0400 e75a 0000
        """)
    /// IP (…, id 48879, flags [DF], proto TCP (6), length 51, options (RA)) 10.0.0.1.40102 > 10.0.0.2.80:
    /// Flags [P.], cksum 0x0d02 (correct), seq 3000:3007, ack 4000, win 512, length 7 ("GET /\r\n")
    static let craftedIPOptions = hex("""
        4600 0033 beef 4000 4006 d2ce 0a00 0001 0a00 0002 9404 0000 9ca6 0050 0000 0bb8
        0000 0fa0 5018 0200 0d02 0000 4745 5420 2f0d 0a
        """)
    /// 10.0.0.2.40000 > 10.0.0.1.56852: Flags [.], cksum 0xf8a9 (correct), seq 2346778544, ack 1549642481,
    /// win 64, options [nop,nop,TS val 1422699900 ecr 3261729850,nop,nop,sack 2 {…}{…}], length 0
    static let craftedSACK = hex("""
        4500 0048 1234 4000 4006 147a 0a00 0002 0a00 0001 9c40 de14 8be0 ffb0 5c5d aaf1
        d010 0040 f8a9 0000 0101 080a 54cc ad7c c26a 0c3a 0101 0512 8be1 0000 8be1 0100
        8be1 0200 8be1 0300
        """)
    /// 10.0.0.1.40103 > 10.0.0.2.23: Flags [P.U], cksum 0xcbfa (correct), seq 5000:5002, ack 6000,
    /// win 2048, urg 2, length 2
    static let craftedURG = hex("""
        4500 002a 1234 4000 4006 1498 0a00 0001 0a00 0002 9ca7 0017 0000 1388 0000 1770
        5038 0800 cbfa 0002 fff4
        """)

    /// Every fixture whose checksums are correct, with a name for test output.
    static let valid: [(name: String, bytes: [UInt8])] = [
        ("real SYN", realSYN), ("real SYN-ACK", realSYNACK), ("real ACK", realACK), ("real data", realData),
        ("real FIN", realFIN), ("real RST", realRST), ("crafted unknown option", craftedUnknownOption),
        ("crafted EOL padding", craftedEOLPadding), ("crafted reserved+AE", craftedReservedAndAE),
        ("crafted IP options", craftedIPOptions), ("crafted SACK", craftedSACK), ("crafted URG", craftedURG),
    ]

    /// Every fixture, including the one with an offloaded (wrong) checksum.
    static let all: [(name: String, bytes: [UInt8])] = valid + [("loopback SYN, offloaded checksum", loopbackSYNOffloaded)]
}
