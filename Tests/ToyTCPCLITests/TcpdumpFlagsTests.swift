import Foundation
import Testing
import ToyTCPTestSupport

/// `toytcp-shell decode` with tcpdump's flags and filters against `tcpdump -nn` with the same arguments,
/// line by line, on a capture of real kernel traffic (handshakes with options and ECN, data, loss with
/// SACK, urgent data, a zero window, RSTs; see `KernelTraffic.captureScript`).
@Suite("decode with tcpdump's flags against tcpdump", .serialized)
struct TcpdumpFlagsTests {
    /// Runs tcpdump and us with the same arguments after the program name; returns both outputs.
    static func both(_ arguments: [String]) throws -> (tcpdump: Subprocess.Output, ours: Subprocess.Output) {
        let env = ["TZ": "UTC"]
        let reference = try Subprocess.run([TestEnvironment.which("tcpdump") ?? "tcpdump", "-nn"] + arguments,
                                             environment: env, timeout: .seconds(60))
        let ours = try Subprocess.run([try DecodeCommandTests.binary(), "decode"] + arguments, environment: env, timeout: .seconds(60))
        return (reference, ours)
    }

    static func firstDifference(_ expected: String, _ actual: String) -> String? {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(e.count, a.count) {
            let x = i < e.count ? String(e[i]) : "<none>"
            let y = i < a.count ? String(a[i]) : "<none>"
            if x != y { return "line \(i + 1) of \(e.count):\n  tcpdump: \(x)\n  toytcp:  \(y)" }
        }
        return nil
    }

    static func expectSame(_ arguments: [String], minimumLines: Int = 1) throws {
        let (reference, ours) = try both(arguments)
        #expect(reference.status == 0, "tcpdump \(arguments): \(reference.stderr)")
        #expect(ours.status == 0, "toytcp \(arguments): \(ours.stderr)")
        #expect(reference.stdout.split(separator: "\n").count >= minimumLines, "tcpdump printed too little for \(arguments)")
        if let diff = firstDifference(reference.stdout, ours.stdout) {
            Issue.record("decode \(arguments.joined(separator: " ")): \(diff)")
        }
    }

    /// The capture holds what the flags are meant to be tried on; checked on tcpdump's own reading.
    @Test("the kernel capture has options, ECN, SACK, URG, a zero window and RSTs")
    func captureHasTheCases() throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        let text = try Self.both(["-v", "-r", pcap]).tcpdump.stdout
        for needle in ["Flags [SEW]", "Flags [S.E]", "ECT(0)", "options [mss 1460,sackOK,TS val", "sack 1 {",
                       "Flags [P.U]", ", urg 1,", ", win 0,", "Flags [R.]", "Flags [.W]", "(correct)"] {
            #expect(text.contains(needle), "the capture lacks \(needle)")
        }
    }

    static let flagSets: [[String]] = [
        [], ["-v"], ["-vv"], ["-e"], ["-t"], ["-tt"], ["-ttt"], ["-tttt"], ["-ttttt"],
        ["-x"], ["-xx"], ["-X"], ["-XX"], ["-q"], ["-S"], ["-c", "10"], ["-e", "-vv", "-XX", "-S"], ["-q", "-e", "-ttt"],
    ]

    @Test("each tcpdump flag: our output equals tcpdump -nn with the same flags", arguments: flagSets)
    func flag(_ flags: [String]) throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        try Self.expectSame(flags + ["-r", pcap], minimumLines: 10)
    }

    static let filters: [String] = [
        "tcp port 40000", "port 40002 or port 40003", "host 10.0.0.1 and dst port 40001", "src host 10.0.0.2",
        "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-rst|tcp-urg) != 0", "greater 100", "less 80",
        "not tcp port 40000", "tcp[13] & 0xc0 != 0",
    ]

    @Test("filter expressions: our output equals tcpdump's, relative numbers over the packets printed", arguments: filters)
    func filter(_ expression: String) throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        // The file as the first word (our habit) and with -r (tcpdump's); one filter also with -v -e.
        try Self.expectSame(["-r", pcap, expression])
        let (reference, _) = try Self.both(["-r", pcap, expression])
        let ours = try Subprocess.run([try DecodeCommandTests.binary(), "decode", pcap] + expression.split(separator: " ").map(String.init),
                                        environment: ["TZ": "UTC"], timeout: .seconds(60))
        #expect(ours.status == 0)
        if let diff = Self.firstDifference(reference.stdout, ours.stdout) { Issue.record("decode FILE \(expression): \(diff)") }
    }

    @Test("a filter with -v, -e and -c together")
    func filterWithFlags() throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        try Self.expectSame(["-v", "-e", "-c", "5", "-r", pcap, "tcp port 40002 and greater 100"], minimumLines: 5)
    }

    @Test("-w while reading (tcpdump -r IN -w OUT FILTER): OUT holds what the filter passed; --print and -c as well")
    func writeWhileReading() throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        let out = TestEnvironment.temporaryPath("written.pcap")
        defer { unlink(out) }
        let binary = try DecodeCommandTests.binary()
        let quiet = try Subprocess.run([binary, "decode", "-r", pcap, "-w", out, "tcp", "port", "40002"], timeout: .seconds(60))
        #expect(quiet.status == 0 && quiet.stdout.isEmpty, "\(quiet.stderr)")
        let written = try Subprocess.run(["tcpdump", "-nn", "-r", out], environment: ["TZ": "UTC"], timeout: .seconds(60))
        let (reference, _) = try Self.both(["-r", pcap, "tcp port 40002"])
        #expect(reference.stdout.split(separator: "\n").count > 20)
        if let diff = Self.firstDifference(reference.stdout, written.stdout) { Issue.record("-w: \(diff)") }
        let printed = try Subprocess.run([binary, "decode", "-r", pcap, "-w", out, "--print", "-c", "5", "tcp port 40002"],
                                           environment: ["TZ": "UTC"], timeout: .seconds(60))
        let five = try Subprocess.run(["tcpdump", "-nn", "-r", out], environment: ["TZ": "UTC"], timeout: .seconds(60))
        #expect(printed.stdout == five.stdout)
        #expect(five.stdout.split(separator: "\n").count == 5)
    }

    @Test("a bad filter expression: libpcap's message, status 2, nothing printed")
    func badFilter() throws {
        guard KernelTraffic.available() else { return }
        let pcap = try KernelTraffic.capture.get()
        let (reference, ours) = try Self.both(["-r", pcap, "tcp port"])
        #expect(reference.status != 0)
        #expect(ours.status == 2)
        #expect(ours.stdout.isEmpty)
        #expect(ours.stderr.contains("syntax error"), "\(ours.stderr)")
        let unknown = try Subprocess.run([try DecodeCommandTests.binary(), "decode", pcap, "tcp", "port", "nosuchservice"],
                                           timeout: .seconds(30))
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nosuchservice"), "\(unknown.stderr)")
    }
}
