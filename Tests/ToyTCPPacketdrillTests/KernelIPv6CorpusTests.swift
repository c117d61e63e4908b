import Foundation
import Testing

/// packetdrill in IPv6 against the kernel, as upstream's runner runs every selftest a second time
/// (`--ip_version=ipv6`): the scripts of expected-pass-ipv6.txt each pass with `toytcp-shell run
/// --ip_version=ipv6`, and the two other families' sockets are what they say. Needs root; skipped
/// without it except under CI=true, where it fails (as KernelCorpusTests).
@Suite(.serialized) struct KernelIPv6CorpusTests {
    static let enabled = KernelCorpusTests.isRoot || KernelCorpusTests.isCI

    /// expected-pass-ipv6.txt: the scripts (plain lines) and those left out (`# - NAME: reason`).
    static var list: (pass: [String], leftOut: [String: String]) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("expected-pass-ipv6.txt").path
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var pass: [String] = []
        var leftOut: [String: String] = [:]
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# - "), let colon = line.range(of: ": ") {
                leftOut[String(line[line.index(line.startIndex, offsetBy: 4)..<colon.lowerBound])] = String(line[colon.upperBound...])
            } else if !line.hasPrefix("#"), !line.isEmpty {
                pass.append(line)
            }
        }
        return (pass, leftOut)
    }

    @Test func theListAndItsReasonsAreExactlyTheIPv4List() {
        let (pass, leftOut) = Self.list
        #expect(pass.count == 73)
        #expect(Set(pass).isDisjoint(with: leftOut.keys))
        #expect(Set(pass).union(leftOut.keys) == Set(Corpus.expectedPass), "expected-pass-ipv6.txt against EXPECTED-PASS.txt")
    }

    @Test(.enabled(if: enabled, "needs root: network namespaces and tun devices"))
    func expectedPassIPv6ScriptsPassAgainstTheKernelInIPv6() throws {
        #expect(KernelCorpusTests.isRoot, "CI=true but not root: the packetdrill corpus cannot run")
        let scripts = Self.list.pass
        var failures: [String] = []
        var retried: [String] = []
        for name in scripts {
            var (status, output) = try KernelCorpusTests.run(["run", "--ip_version=ipv6", Corpus.folder + "/" + name])
            if status != 0 && KernelCorpusTests.isTiming(output) {
                // As the IPv4 test: one retry, reported, with upstream's slow-machine tolerance (14 ms).
                retried.append(name)
                (status, output) = try KernelCorpusTests.run(["run", "--ip_version=ipv6", "--tolerance_usecs", "14000", Corpus.folder + "/" + name])
            }
            if status != 0 { failures.append(KernelCorpusTests.firstError(output, name)) }
        }
        if !retried.isEmpty { print("packetdrill corpus in IPv6: retried once for timing (tolerance 14 ms): \(retried.joined(separator: ", "))") }
        print("packetdrill corpus against the kernel in IPv6: \(scripts.count - failures.count) of \(scripts.count) pass")
        #expect(failures.isEmpty, "\(failures.count) of \(scripts.count) failed in IPv6:\n\(failures.joined(separator: "\n"))")
    }

    /// A script that checks its socket's family (SO_DOMAIN, 39) and then fails on purpose, so the
    /// report shows the live segment's addresses: which family is on the wire.
    static let familyProbe = """
    --tolerance_usecs=500000
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
       +0 getsockopt(3, SOL_SOCKET, 39, [DOMAIN], [4]) = 0
       +0...0 connect(3, ..., ...) = 0
       +0 > S 0:0(0) <...>
       +0 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
       +0 > . 1:1(0) ack 1001
    """

    /// (`--ip_version`, the script's own line or "", the socket's family, the local address on the wire)
    static let families: [(String, String, Int, String)] = [
        ("ipv6", "", 10, "fd00:0:0:1::1"),
        ("ipv4-mapped-ipv6", "", 10, "10.0.0.1"),
        ("ipv4", "", 2, "10.0.0.1"),
        ("ipv6", "--ip_version=ipv4\n", 2, "10.0.0.1"),  // a script's own line wins, as upstream's runner
    ]

    @Test(.enabled(if: enabled, "needs root: network namespaces and tun devices"), arguments: families)
    func socketFamilyAndWireFamily(_ family: (String, String, Int, String)) throws {
        let (version, scriptLine, domain, wireAddress) = family
        let text = scriptLine + Self.familyProbe.replacingOccurrences(of: "DOMAIN", with: String(domain))
        let (status, output) = try KernelCorpusTests.runScript(named: "family.pkt", text, arguments: ["--ip_version=\(version)"])
        let ackLine = 7 + (scriptLine.isEmpty ? 0 : 1)
        #expect(status == 1)
        #expect(output.contains("family.pkt:\(ackLine): error handling packet: live packet field tcp_ack"), "\(output)")
        #expect(output.contains("actual (absolute): > \(wireAddress)."), "\(output)")
    }

    @Test(.enabled(if: enabled, "needs root: network namespaces and tun devices"))
    func icmpv6PacketTooBigShrinksTheKernelsSegments() throws {
        // The first half of tcp_advmss_pmtu_ipv6.pkt: an ICMPv6 Packet Too Big (RFC 4443 §3.2) quoting the
        // 1460-byte segment makes the kernel send it again as 1220 + 240 (MTU 1280 - 60).
        let (status, output) = try KernelCorpusTests.runScript(named: "ptb.pkt", """
        --tolerance_usecs=100000
        `ethtool -K tun0 tso off`
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 8>
           +0 > S. 0:0(0) ack 1 <mss 1460,...>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 write(4, ..., 1460) = 1460
           +0 > P. 1:1461(1460) ack 1
           +0 < icmp packet_too_big mtu 1280 [1:1461(1460)]
           +0 > . 1:1221(1220) ack 1
           +0 > P. 1221:1461(240) ack 1
        """, arguments: ["--ip_version=ipv6"])
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: enabled, "needs root: network namespaces and tun devices"))
    func bothStacksSideBySideInIPv6() throws {
        // Both pass tcp_basic_server in IPv6 and differ where they differ in IPv4: the window of the
        // ACK for the data (Linux 1046 << 8, ours the free buffer, 2105 << 8).
        let (status, output) = try KernelCorpusTests.run(["run", "--stack", "both", "--ip_version=ipv6", "--tolerance_usecs", "100000",
                                                          Corpus.folder + "/tcp_basic_server.pkt"])
        #expect(output.contains("# tcp_basic_server.pkt: ok (kernel)") && output.contains("# tcp_basic_server.pkt: ok (toytcp)"), "\(output)")
        #expect(status == 1, "the two differ, so the exit status says so")
        let marked = output.split(separator: "\n").filter { $0.hasPrefix("! ") }
        #expect(marked.count == 2 && marked.last?.contains("> . 1:1(0) ack 1001 win 2105") == true, "\(output)")
    }

    @Test func addressesOutsideTheLabAreRefused() throws {
        let (status, output) = try KernelCorpusTests.run(["run", "--ip_version=ipv6", "--remote_ip", "2001:db8::1", "x.pkt"])
        #expect(status != 0)
        #expect(output.contains("--remote_ip 2001:db8::1: only 10.0.0.0/24 and 10.0.1.0/24 and, in IPv6, unique-local fd00::/8"), "\(output)")
        let (s2, o2) = try KernelCorpusTests.run(["run", "--ip_version=ipv6", "--local_ip", "10.0.0.1", "x.pkt"])
        #expect(s2 != 0 && o2.contains("--local_ip 10.0.0.1: not an address of --ip_version ipv6"), "\(o2)")
    }
}
