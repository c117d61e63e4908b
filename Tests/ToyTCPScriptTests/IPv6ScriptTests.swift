import Testing
@testable import ToyTCPScript

/// Issue 15 from scripts: IPv6 endpoints (`[fd00::1]:80`, RFC 3986 §3.2.2), the IPv6 header fields of
/// the one segment template (hlim, tclass, flow; RFC 8200 §3), and our stack over IPv6, on the
/// simulated network (dual-stack as the lab: host1 fd00:0:0:1::1, host2 fd00:0:0:2::1).
@Suite("Scripts over IPv6 (RFC 8200, RFC 3986 §3.2.2)")
struct IPv6ScriptTests {
    @Test("connect/listen with IPv6 endpoints; status and trace show the IPv6 4-tuple as tcpdump does")
    func connectListenStatusTrace() throws {
        let (r, out, err) = try TestSupport.runScript("""
            peer echo fd00:0:0:2::1 7
            trace on
            connect [fd00:0:0:2::1]:7 as c
            send c "v6"
            recv c 2 within 1s
            status c
            listen fd00:0:0:1::1 8080 as l6
            peer send fd00:0:0:2::1 connect [fd00:0:0:1::1]:8080 100
            accept l6 within 2s as in6
            recv in6 100 within 2s
            assert in6.received == 100
            """)
        #expect(r.exitStatus == 0, "\(err)")
        #expect(out.contains { $0.hasPrefix("c: [fd00:0:0:1::1]:") && $0.hasSuffix("<-> [fd00:0:0:2::1]:7 ESTABLISHED") }, "\(out)")
        #expect(out.contains { $0.contains(" out IP6 fd00:0:0:1::1.") && $0.contains(" > fd00:0:0:2::1.7: Flags [S], seq ") }, "\(out)")
        #expect(out.contains { $0.contains("l6: listening on [fd00:0:0:1::1]:8080") }, "\(out)")
    }

    @Test("listen PORT (no address) takes both families and says so: both of host1's addresses")
    func listenOnNoAddressTakesBothFamilies() throws {
        let (r, out, err) = try TestSupport.runScript("""
            listen 9300 as l
            peer send fd00:0:0:2::1 connect [fd00:0:0:1::1]:9300 10
            accept l within 2s as six
            peer send 10.0.1.1 connect 10.0.0.1:9300 10
            accept l within 2s as four
            """)
        #expect(r.exitStatus == 0, "\(err)")
        #expect(out.contains("l: listening on 10.0.0.1:9300 and [fd00:0:0:1::1]:9300"), "\(out)")
        #expect(out.contains { $0.hasPrefix("six: [fd00:0:0:1::1]:9300 <-> [fd00:0:0:2::1]:") }, "\(out)")
        #expect(out.contains { $0.hasPrefix("four: 10.0.0.1:9300 <-> 10.0.1.1:") }, "\(out)")
    }

    @Test("the simulated network's banner names host1's and host2's IPv6 addresses too")
    func simulatedBannerNamesIPv6() throws {
        let banner = try SimulatedScriptNetwork(seed: 1).banner
        #expect(banner.contains("you are host1 10.0.0.1 and fd00:0:0:1::1"), "\(banner)")
        #expect(banner.contains("host2 10.0.1.1 and fd00:0:0:2::1"), "\(banner)")
    }

    @Test("inject sets hlim, tclass and flow; expect reads them back (the router lowered the hop limit; each flow has its own label, RFC 6437)")
    func ipv6HeaderFields() throws {
        let (r, out, err) = try TestSupport.runScript("""
            peer echo fd00:0:0:2::1 8080
            inject S [fd00:0:0:1::2]:40000 > [fd00:0:0:2::1]:8080 seq=1000 mss=1440 hlim=9 tclass=0xb8 flow=0x54321
            expect S. [fd00:0:0:2::1]:8080 > [fd00:0:0:1::2]:40000 ack=1001 hlim=63 tclass=0 within 1s as synack
            assert synack.mss == 1440 && synack.flow != 0
            inject R [fd00:0:0:1::2]:40000 > [fd00:0:0:2::1]:8080 seq=1001
            inject S [fd00:0:0:1::2]:40001 > [fd00:0:0:2::1]:8080 seq=5000
            expect S. [fd00:0:0:2::1]:8080 > [fd00:0:0:1::2]:40001 ack=5001 within 1s as other
            assert other.flow != synack.flow
            """)
        #expect(r.exitStatus == 0, "\(err) \(out)")
        #expect(out.contains { $0.hasPrefix("sent IP6 fd00:0:0:1::2.40000 > fd00:0:0:2::1.8080: Flags [S], seq 1000") }, "\(out)")
    }

    @Test("a wrong hop limit is a field mismatch, packetdrill-style, with the expected line in IP6 form")
    func hopLimitMismatch() throws {
        let (r, _, err) = try TestSupport.runScript("""
            peer echo fd00:0:0:2::1 8080
            inject S [fd00:0:0:1::2]:40000 > [fd00:0:0:2::1]:8080 seq=1000
            expect S. [fd00:0:0:2::1]:8080 > [fd00:0:0:1::2]:40000 hlim=64 within 1s
            """)
        #expect(r.exitStatus == 1)
        let text = err.joined(separator: "\n")
        #expect(text.contains("expected IP6 fd00:0:0:2::1.8080 > fd00:0:0:1::2.40000: Flags [S.]"), "\(text)")
        #expect(text.contains("hlim: expected 64 (0x40), got 63 (0x3f)"), "\(text)")
    }

    @Test("bad IPv6 input: a clear file:line:col message for each, nothing crashes")
    func badInput() throws {
        let cases: [(String, String)] = [
            ("inject S [fd00::1:40000 > [fd00::2]:80", "lacks the closing ]"),
            ("inject S [fd00::1]:70000 > [fd00::2]:80", "port 70000 is out of range"),
            ("inject S [fd00::zz]:1 > [fd00::2]:80", "'fd00::zz' is not an IPv6 address"),
            ("inject S fd00::1:40000 > [fd00::2]:80", "write an IPv6 endpoint as [ADDRESS]:PORT"),
            ("inject S [fd00::1] > [fd00::2]:80", "needs a port: [IPV6]:PORT"),
            ("inject S 10.0.0.2:1 > [fd00:0:0:2::1]:80", "mixes IPv4 and IPv6"),
            ("inject S [fd00:0:0:1::2]:1 > [fd00:0:0:2::1]:80 ipcsum=wrong", "IPv6 has no header checksum"),
            ("connect fd00:0:0:2::1:7", "a port"),
            ("listen [fd00:0:0:1::9]:80", "address not available"),
        ]
        for (line, message) in cases {
            let (r, _, err) = try TestSupport.runScript(line)
            let text = err.joined(separator: "\n")
            #expect(r.exitStatus != 0, "\(line)")
            #expect(text.contains("test.ttcp:1:") && text.contains(message), "\(line): \(text)")
        }
    }

    @Test("show draws an IPv6 segment: the IP6 line and the RFC 8200 §3 header box")
    func showIPv6() throws {
        let (r, out, err) = try TestSupport.runScript("""
            peer echo fd00:0:0:2::1 8080
            inject S [fd00:0:0:1::2]:40000 > [fd00:0:0:2::1]:8080 seq=1000 hlim=9
            expect S. [fd00:0:0:2::1]:8080 > [fd00:0:0:1::2]:40000 within 1s as synack
            show synack
            """)
        #expect(r.exitStatus == 0, "\(err)")
        let lines = out.joined(separator: "\n").split(separator: "\n")
        // The summary line of `show` itself (not `got …`), then the diagram's IPv6 line.
        #expect(lines.contains { $0.hasPrefix("IP6 fd00:0:0:2::1.8080 > fd00:0:0:1::2.40000: Flags [S.]") }, "\(lines)")
        #expect(lines.contains { $0.contains("IPv6 fd00:0:0:2::1 > fd00:0:0:1::2: hop limit 63") }, "\(lines)")
    }

    @Test("tcpdump's IPV6.PORT form parses like [IPV6]:PORT")
    func tcpdumpEndpointForm() throws {
        let (r, _, err) = try TestSupport.runScript("""
            peer echo fd00:0:0:2::1 8080
            inject S fd00:0:0:1::2.40000 > fd00:0:0:2::1.8080 seq=1000
            expect S. [fd00:0:0:2::1]:8080 > [fd00:0:0:1::2]:40000 ack=1001 within 1s
            """)
        #expect(r.exitStatus == 0, "\(err)")
    }
}
