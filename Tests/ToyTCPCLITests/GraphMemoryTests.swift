import Foundation
import Testing
import ToyTCPTestSupport

/// The time-sequence graph of a 1,000,000-packet capture draws in bounded memory: the drawing is thinned
/// per pixel column (SequenceGraph), the packets are streamed, so peak RSS does not grow with the count.
@Suite("toytcp-shell graph: bounded memory")
struct GraphMemoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Peak RSS in kB (`/usr/bin/time -v`) of `toytcp-shell graph` on a generated bulk transfer of `count` packets.
    static func peakRSS(packets count: Int, in dir: String) throws -> (kilobytes: Int, stderr: String) {
        let pcap = "\(dir)/bulk-\(count).pcap"
        let gen = try DecodeCommandTests.runTool("/usr/bin/python3",
                                                 [root.appendingPathComponent("scripts/gen-bulk-pcap.py").path, pcap, String(count)])
        try #require(gen.status == 0, "gen-bulk-pcap.py: \(gen.stderr)")
        let out = try DecodeCommandTests.runTool("/usr/bin/time", ["-v", try DecodeCommandTests.binary(), "graph", pcap,
                                                                    "--out", "\(dir)/g-\(count).svg"])
        try #require(out.status == 0, "\(out.stderr)")
        try? FileManager.default.removeItem(atPath: pcap)
        let line = out.stderr.split(separator: "\n").first { $0.contains("Maximum resident set size") }
        let kb = line.flatMap { $0.split(separator: ":").last }.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return (try #require(kb, "no RSS in: \(out.stderr)"), out.stderr)
    }

    @Test("1,000,000 packets graph within a few MB of what 100,000 take")
    func boundedMemory() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "run scripts/setup.sh (package time)")
        let dir = NSTemporaryDirectory() + "toytcp-graph-mem-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let small = try Self.peakRSS(packets: 100_000, in: dir)
        let big = try Self.peakRSS(packets: 1_000_000, in: dir)
        #expect(big.stderr.contains("segments from 10.0.0.1:40000"))
        #expect(big.kilobytes - small.kilobytes < 8 * 1024, "peak RSS \(small.kilobytes) kB at 100k packets, \(big.kilobytes) kB at 1M")
        #expect(big.kilobytes < 96 * 1024, "peak RSS \(big.kilobytes) kB")
    }
}

extension DecodeCommandTests {
    /// Runs any program (bounded: killed after `timeout`) and captures its output.
    static func runTool(_ path: String, _ args: [String], timeout: Duration = .seconds(300)) throws -> Output {
        let r = try Subprocess.run([path] + args, timeout: timeout)
        return Output(status: r.timedOut ? -1 : r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

extension GraphMemoryTests {
    @Test("The graph's retransmissions are tcptrace's: same count on a 20,000-packet lossy transfer, all drawn in red")
    func retransmissionsAgreeWithTcptrace() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/tcptrace"), "run scripts/setup.sh (package tcptrace)")
        let dir = NSTemporaryDirectory() + "toytcp-graph-tcptrace-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pcap = dir + "/bulk.pcap"
        let gen = try DecodeCommandTests.runTool("/usr/bin/python3", [Self.root.appendingPathComponent("scripts/gen-bulk-pcap.py").path,
                                                                       pcap, "20000", "--seed", "5", "--loss", "0.03"])
        try #require(gen.status == 0, "\(gen.stderr)")
        let trace = try DecodeCommandTests.runTool("/usr/bin/tcptrace", ["-l", "-n", pcap])
        let line = try #require(trace.stdout.split(separator: "\n").first { $0.contains("rexmt data pkts:") }, "\(trace.stdout)")
        let theirs = try #require(line.split(separator: ":")[1].split(separator: " ").first.flatMap { Int($0) })
        let out = try DecodeCommandTests.runTool(try DecodeCommandTests.binary(), ["graph", pcap, "--out", dir + "/g.svg"])
        #expect(out.stderr.contains(", \(theirs) retransmitted"), "tcptrace: \(theirs); toytcp: \(out.stderr)")
        let svg = try String(contentsOfFile: dir + "/g.svg", encoding: .utf8)
        let counts = svg.components(separatedBy: "class=\"rexmit\"").dropFirst().compactMap { part -> Int? in
            guard let r = part.range(of: "data-count=\"") else { return nil }
            return Int(part[r.upperBound...].prefix { $0.isNumber })
        }
        #expect(theirs > 100 && counts.reduce(0, +) == theirs, "\(counts.reduce(0, +)) drawn, tcptrace counts \(theirs)")
    }
}
