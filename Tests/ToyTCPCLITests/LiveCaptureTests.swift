import Foundation
import Testing
import ToyTCPTestSupport

/// `toytcp-shell decode -i` on a veth inside a namespace it enters with --netns, with real kernel traffic
/// (see `KernelTraffic.liveScript`).
@Suite("decode -i: live capture", .serialized)
struct LiveCaptureTests {
    @Test("live: printed lines equal tcpdump's reading of the same traffic; -c 10 stops after ten; the diagram prints live; Ctrl-C (SIGINT, and typed in tmux) prints the counts")
    func liveCapture() throws {
        guard KernelTraffic.available() else { return }
        guard TestEnvironment.which("tmux") != nil else { Issue.record("tmux is not installed (scripts/setup.sh)"); return }
        let work = TestEnvironment.temporaryPath("live")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let script = work + "/live.sh"
        try KernelTraffic.liveScript.write(toFile: script, atomically: true, encoding: .utf8)
        let run = try Subprocess.run(["/bin/bash", script, try DecodeCommandTests.binary(), work, TestEnvironment.uniqueID()],
                                       timeout: .seconds(90))
        try #require(run.status == 0 && !run.timedOut, "live.sh failed: \(run.stderr)")
        func read(_ name: String) -> String { (try? String(contentsOfFile: "\(work)/\(name)", encoding: .utf8)) ?? "" }

        // Stopped by SIGINT: status 0 and tcpdump's summary on stderr.
        #expect(read("ours.rc").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let lines = read("ours.txt")
        let printed = lines.split(separator: "\n").count
        #expect(printed >= 20, "too few packets captured live: \(printed)")
        #expect(read("ours.err").contains("\n\(printed) packets captured\n"), "\(read("ours.err"))")
        #expect(read("ours.err").contains(" packets received by filter\n"))
        #expect(read("ours.err").contains("\n0 packets dropped by kernel"), "the kernel dropped packets: \(read("ours.err"))")
        // What we printed live is what tcpdump prints reading what we wrote (-w) ...
        let fromOurFile = try Subprocess.run(["tcpdump", "-nn", "-r", "\(work)/ours.pcap"], environment: ["TZ": "UTC"], timeout: .seconds(30))
        if let diff = TcpdumpFlagsTests.firstDifference(fromOurFile.stdout, lines) { Issue.record("live vs tcpdump -r: \(diff)") }
        // ... and the same packets tcpdump captured itself (times aside: two captures stamp separately),
        // in the same order in each direction: two capture sockets may interleave a packet going out
        // and one coming in at the same moment differently (the tap of a veth's transmit and that of
        // its receive run on different CPUs).
        let reference = try Subprocess.run(["tcpdump", "-nn", "-t", "-r", "\(work)/ref.pcap"], timeout: .seconds(30))
        let ours = try Subprocess.run(["tcpdump", "-nn", "-t", "-r", "\(work)/ours.pcap"], timeout: .seconds(30))
        #expect(reference.stdout.contains("Flags [S]") && reference.stdout.contains("Flags [R.]"))
        let referenceFlows = Self.byDirection(reference.stdout), ourFlows = Self.byDirection(ours.stdout)
        #expect(referenceFlows.keys.sorted() == ourFlows.keys.sorted(), "directions: \(referenceFlows.keys.sorted()) against \(ourFlows.keys.sorted())")
        for (direction, lines) in referenceFlows.sorted(by: { $0.key < $1.key }) {
            if let diff = TcpdumpFlagsTests.firstDifference(lines, ourFlows[direction] ?? "") {
                Issue.record("live vs tcpdump's capture, \(direction): \(diff)")
            }
        }

        // Ctrl-C typed in a terminal (tmux): the same packets, the summary, status 0.
        #expect(read("tmux.rc").trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(read("tmux.err"))")
        #expect(read("tmux.txt").split(separator: "\n").count == printed)
        #expect(read("tmux.err").contains("\n\(printed) packets captured\n"), "\(read("tmux.err"))")

        // -c 10: exits by itself after ten packets.
        #expect(read("count.rc").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(read("count.txt").split(separator: "\n").count == 10)
        #expect(read("count.err").contains("\n10 packets captured\n"), "\(read("count.err"))")
        // The RFC diagram, live, for the SYNs the kernel filter passed.
        #expect(read("diagram.rc").trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let diagram = read("diagram.txt")
        #expect(diagram.contains("Flags [S]") && diagram.contains("Source Port"), "\(diagram)")
    }

    @Test("--duration ends a capture on time, with the summary, in a namespace of its own")
    func duration() throws {
        guard KernelTraffic.available() else { return }
        let namespace = "toytcp-decd-\(TestEnvironment.uniqueID())"
        let add = try Subprocess.run(["ip", "netns", "add", namespace], timeout: .seconds(10))
        try #require(add.status == 0, "\(add.stderr)")
        defer { _ = try? Subprocess.run(["ip", "netns", "del", namespace], timeout: .seconds(10)) }
        _ = try Subprocess.run(["ip", "-n", namespace, "link", "set", "lo", "up"], timeout: .seconds(10))
        let started = Date()
        let r = try Subprocess.run([try DecodeCommandTests.binary(), "decode", "-i", "lo", "--netns", namespace,
                                      "--duration", "1.5", "tcp"], timeout: .seconds(20))
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(elapsed >= 1.5 && elapsed < 10, "took \(elapsed) s")
        #expect(r.stderr.contains("listening on lo, link-type EN10MB (Ethernet)"), "\(r.stderr)")
        #expect(r.stderr.contains("\n0 packets captured\n"), "\(r.stderr)")
    }

    @Test("a bad interface or a bad filter: a clear message, status 2")
    func badInterfaceOrFilter() throws {
        guard KernelTraffic.available() else { return }
        let binary = try DecodeCommandTests.binary()
        let noInterface = try Subprocess.run([binary, "decode", "-i", "nosuch0", "tcp"], timeout: .seconds(30))
        #expect(noInterface.status == 2)
        #expect(noInterface.stderr.contains("nosuch0") && noInterface.stderr.contains("No such device"), "\(noInterface.stderr)")
        let badFilter = try Subprocess.run([binary, "decode", "-i", "lo", "-c", "1", "tcp", "port"], timeout: .seconds(30))
        #expect(badFilter.status == 2)
        #expect(badFilter.stderr.contains("syntax error"), "\(badFilter.stderr)")
        let noNamespace = try Subprocess.run([binary, "decode", "-i", "lo", "--netns", "toytcp-no-such-ns"], timeout: .seconds(30))
        #expect(noNamespace.status == 2)
        #expect(noNamespace.stderr.contains("toytcp-no-such-ns"), "\(noNamespace.stderr)")
    }
}

extension LiveCaptureTests {
    /// tcpdump's lines grouped by direction (the text before the first ':', "IP A > B"), each group in
    /// its order, one line per packet.
    static func byDirection(_ text: String) -> [String: String] {
        var groups: [String: [Substring]] = [:]
        for line in text.split(separator: "\n") {
            let direction = line.prefix { $0 != ":" }
            groups[String(direction), default: []].append(line)
        }
        return groups.mapValues { $0.joined(separator: "\n") }
    }
}
