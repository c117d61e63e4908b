import Foundation
import Testing
import ToyTCPTestSupport

/// IPv6 in the decoder against tcpdump (issue 15), line by line with the same flags:
/// - real kernel IPv6 TCP between two namespaces the test creates (`captureScript`: the IPv4 kernel
///   traffic of `KernelTraffic` over fd00::1 and fd00::2: handshakes with options and ECN, bulk data with
///   loss and SACK, URG, a zero window, RSTs, orderly closes), Ethernet link type;
/// - crafted packets with every extension header tcpdump prints (hop-by-hop, routing types 0/2/4,
///   destination options, atomic and real fragments, AH) and cut ones, on every link type that carries
///   IPv6 (raw IPv6, DLT_RAW, Ethernet, Linux cooked v1/v2, BSD NULL and LOOP, PPP), IPv4 beside it;
/// - the sub-second field of 2^31 or more, which libpcap reads as signed (the timestamp fix).
@Suite("IPv6 decode against tcpdump (issue 15)", .serialized)
struct IPv6DecodeTests {
    static let capture: Result<String, any Error> = Result {
        let script = TestEnvironment.temporaryPath("kernel-traffic6.sh")
        try captureScript.write(toFile: script, atomically: true, encoding: .utf8)
        defer { unlink(script) }
        let pcap = TestEnvironment.temporaryPath("kernel-traffic6.pcap")
        let r = try Subprocess.run(["/bin/bash", script, pcap, TestEnvironment.uniqueID()], timeout: .seconds(120))
        guard r.status == 0, !r.timedOut else {
            throw SubprocessError.failed("kernel-traffic6.sh failed (status \(r.status)): \(r.stderr)")
        }
        return pcap
    }

    static let flagSets: [[String]] = [
        [], ["-v"], ["-vv"], ["-e"], ["-S"], ["-q"], ["-x"], ["-X"], ["-e", "-vv", "-XX", "-S"], ["-ttt"],
    ]

    @Test("kernel IPv6 traffic: our lines equal tcpdump -nn's with each flag set", arguments: flagSets)
    func kernelIPv6(_ flags: [String]) throws {
        guard KernelTraffic.available() else { return }
        let pcap = try Self.capture.get()
        if flags.isEmpty {
            // The capture holds what the comparison is meant to cover.
            let text = try TcpdumpFlagsTests.both(["-v", "-r", pcap]).tcpdump.stdout
            for needle in ["IP6 (", "flowlabel 0x", "fd00::1.", "> fd00::2.40000: Flags [SEW]", "Flags [S.E]",
                           "options [mss 1440,sackOK,TS val", "sack 1 {", "Flags [P.U]", ", win 0,", "Flags [R.]",
                           "Flags [F", "(correct)"] {
                #expect(text.contains(needle), "the IPv6 capture lacks \(needle)")
            }
        }
        try TcpdumpFlagsTests.expectSame(flags + ["-r", pcap], minimumLines: 50)
    }

    @Test("crafted IPv6 with extension headers and cut packets, on every link type carrying IPv6",
          arguments: CraftedIPv6.linkTypes)
    func craftedExtensionHeaders(_ linkType: UInt32) throws {
        guard TestEnvironment.which("tcpdump") != nil else {
            if TestEnvironment.isCI { Issue.record("tcpdump is not installed") }
            return
        }
        let pcap = TestEnvironment.temporaryPath("crafted6-\(linkType).pcap")
        defer { unlink(pcap) }
        try CraftedIPv6.pcap(linkType: linkType).write(to: URL(fileURLWithPath: pcap))
        for flags in [[], ["-v"], ["-vv"], ["-e"], ["-q", "-e"], ["-x"], ["-XX"], ["-S"]] {
            try TcpdumpFlagsTests.expectSame(flags + ["-r", pcap], minimumLines: 10)
        }
    }

    @Test("graph and ladder on an IPv6 capture: conversations named [fd00::1]:PORT, --flow and --sender in that form")
    func pictures() throws {
        guard KernelTraffic.available() else { return }
        let pcap = try Self.capture.get()
        let svg = TestEnvironment.temporaryPath("g6.svg")
        defer { unlink(svg) }
        let listing = try Subprocess.run([try DecodeCommandTests.binary(), "graph", pcap, "--out", svg], timeout: .seconds(60))
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stderr.contains("-[fd00::2]:40000  "), "\(listing.stderr)")
        let svgText = (try? String(contentsOfFile: svg, encoding: .utf8)) ?? ""
        #expect(svgText.contains("<svg"))
        guard let line = listing.stderr.split(separator: "\n").first(where: { $0.contains("[fd00::2]:40002") }),
              let flow = line.split(separator: " ").first(where: { $0.contains("-[fd00::2]") }) else {
            Issue.record("no zero-window conversation listed: \(listing.stderr)")
            return
        }
        let chosen = try Subprocess.run([try DecodeCommandTests.binary(), "graph", pcap, "--flow", String(flow),
                                           "--sender", "[fd00::1]:" + String(flow.split(separator: "-")[0].split(separator: ":").last ?? ""),
                                           "--out", svg], timeout: .seconds(60))
        #expect(chosen.status == 0, "\(chosen.stderr)")
        let ladder = try Subprocess.run([try DecodeCommandTests.binary(), "ladder", pcap, "--flow", String(flow)], timeout: .seconds(60))
        #expect(ladder.status == 0, "\(ladder.stderr)")
        #expect(ladder.stdout.contains("[fd00::1]:") || ladder.stdout.contains("fd00::1"), "\(ladder.stdout.prefix(400))")
    }

    @Test("a sub-second field of 2^31 or more prints as tcpdump prints it, in every -t form, micro and nano files",
          arguments: [false, true])
    func largeFraction(_ nanosecondFile: Bool) throws {
        guard TestEnvironment.which("tcpdump") != nil else {
            if TestEnvironment.isCI { Issue.record("tcpdump is not installed") }
            return
        }
        let pcap = TestEnvironment.temporaryPath("fraction-\(nanosecondFile).pcap")
        defer { unlink(pcap) }
        let fractions: [UInt32] = [999_999, 1_000_000, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 5, 0x9000_0000, 7]
        let records = fractions.enumerated().map { (i, f) in (seconds: UInt32(1_700_000_000 + i), fraction: f, frame: CraftedIPv6.packets()[0]) }
        try CraftedIPv6.file(linkType: 229, records: records, nanoseconds: nanosecondFile).write(to: URL(fileURLWithPath: pcap))
        for flags in [[], ["-tt"], ["-ttt"], ["-tttt"], ["-ttttt"]] {
            try TcpdumpFlagsTests.expectSame(flags + ["-r", pcap], minimumLines: fractions.count)
        }
    }

    /// The IPv4 kernel traffic of `KernelTraffic.captureScript` moved to IPv6: the same steps between
    /// fd00::1 and fd00::2 (no duplicate address detection), ip6tables for the loss, AF_INET6 sockets.
    /// usage: bash script OUT.pcap ID
    static let captureScript: String = {
        var script = KernelTraffic.captureScript(tag: "dec6", addresses: ("fd00::1/64", "fd00::2/64"))
        for (old, new) in [
            ("# Real kernel TCP between two fresh namespaces", "# Real kernel TCP over IPv6 between two fresh namespaces"),
            (#"ip netns exec "$nsb" iptables -A INPUT"#, #"ip netns exec "$nsb" ip6tables -A INPUT"#),
            (#"-w "$out" tcp 2>"#, #"-w "$out" ip6 and tcp 2>"#),
            ("s = socket.socket(); s.setsockopt", "s = socket.socket(socket.AF_INET6); s.setsockopt"),
            (#"s.bind(("10.0.0.2", port))"#, #"s.bind(("fd00::2", port))"#),
            (#"socket.create_connection(("10.0.0.2", port), timeout=10)"#, #"socket.create_connection(("fd00::2", port), timeout=10)"#),
        ] {
            precondition(script.contains(old), "KernelTraffic.captureScript no longer holds \(old)")
            script = script.replacingOccurrences(of: old, with: new)
        }
        return script
    }()
}
