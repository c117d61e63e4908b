import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// `toytcp-shell ladder` and `toytcp-shell graph` run as programs on a crafted capture.
@Suite("toytcp-shell ladder and graph")
struct PictureCommandTests {
    typealias D = DecodeCommandTests
    static let c = IPv4Address(10, 0, 0, 3)

    /// Two conversations: 10.0.0.1:40000 → 10.0.1.1:80 (handshake, 3000 bytes, one retransmission, close)
    /// and 10.0.0.3:50000 → 10.0.1.1:80 (a SYN refused with a RST), 100 ms apart.
    static func capture() throws -> String {
        let path = NSTemporaryDirectory() + "toytcp-pictures-\(UUID().uuidString.prefix(8)).pcap"
        let w = try PcapWriter(path: path, precision: .nanoseconds)
        var t: Int64 = 1_700_000_000_000_000_000
        func put(_ p: [UInt8]) {
            w.write(p, seconds: t / 1_000_000_000, nanoseconds: Int32(t % 1_000_000_000))
            t += 10_000_000
        }
        let a = D.a, b = D.b
        put(D.packet(a, b, 40000, 80, seq: 100, ack: 0, flags: .syn, options: [.mss(1460)]))
        put(D.packet(c, b, 50000, 80, seq: 7, ack: 0, flags: .syn))
        put(D.packet(b, c, 80, 50000, seq: 0, ack: 8, flags: [.rst, .ack]))
        put(D.packet(b, a, 80, 40000, seq: 900, ack: 101, flags: [.syn, .ack], options: [.mss(1460)]))
        put(D.packet(a, b, 40000, 80, seq: 101, ack: 901, flags: .ack))
        put(D.packet(a, b, 40000, 80, seq: 101, ack: 901, flags: .ack, payload: Array(repeating: 1, count: 1000)))
        put(D.packet(a, b, 40000, 80, seq: 1101, ack: 901, flags: .ack, payload: Array(repeating: 2, count: 1000)))
        put(D.packet(b, a, 80, 40000, seq: 901, ack: 1101, flags: .ack))
        put(D.packet(a, b, 40000, 80, seq: 1101, ack: 901, flags: .ack, payload: Array(repeating: 2, count: 1000)))
        put(D.packet(a, b, 40000, 80, seq: 2101, ack: 901, flags: [.fin, .ack], payload: Array(repeating: 3, count: 1000)))
        put(D.packet(b, a, 80, 40000, seq: 901, ack: 3102, flags: [.fin, .ack]))
        put(D.packet(a, b, 40000, 80, seq: 3102, ack: 902, flags: .ack))
        try w.close()
        return path
    }

    @Test("ladder draws the first conversation and lists the others on stderr")
    func ladderDefault() throws {
        let pcap = try Self.capture()
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        let out = try D.run(["ladder", pcap, "--width", "100"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("holds 2 conversations") && out.stderr.contains("10.0.0.3:50000-10.0.1.1:80"))
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == 12, "\(out.stdout)")
        #expect(lines[0].hasPrefix("  time (s) 10.0.0.1:40000") && lines[0].hasSuffix("10.0.1.1:80"))
        #expect(lines.contains { $0.contains("|== R . seq 1001:2001(1000) ack 1 win 4380 ") })
        #expect(lines.last?.hasSuffix("| CLOSED") == true)
        #expect(!out.stdout.contains("\u{1B}["), "no colour when not a terminal")
        #expect(lines.allSatisfy { $0.count <= 100 })
    }

    @Test("ladder --flow picks a conversation; an unknown one is an error that lists them")
    func ladderFlow() throws {
        let pcap = try Self.capture()
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        let out = try D.run(["ladder", pcap, "--flow", "10.0.1.1:80-10.0.0.3:50000", "--color", "always", "--absolute"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("S seq 7 win 4380"))
        #expect(out.stdout.contains("\u{1B}[31m"), "RST in red with --color always")
        let bad = try D.run(["ladder", pcap, "--flow", "10.9.9.9:1-10.0.1.1:80"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("no conversation 10.9.9.9:1-10.0.1.1:80") && bad.stderr.contains("10.0.0.1:40000-10.0.1.1:80"))
        let usage = try D.run(["ladder", pcap, "--flow", "nonsense"])
        #expect(usage.status == 2 && usage.stderr.contains("--flow takes two ends"))
    }

    @Test("graph writes an SVG of the data sender's segments; --html one page with the graph and the ladder")
    func graphFiles() throws {
        let pcap = try Self.capture()
        let svg = pcap + ".svg", html = pcap + ".html"
        defer { for f in [pcap, svg, html] { try? FileManager.default.removeItem(atPath: f) } }
        let out = try D.run(["graph", pcap, "--out", svg])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("wrote \(svg): 7 segments from 10.0.0.1:40000, 1 retransmitted"))
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<?xml") && text.contains("10.0.0.1:40000 \u{2192} 10.0.1.1:80"))
        #expect(text.components(separatedBy: "class=\"rexmit\"").count == 2)
        #expect(text.contains("class=\"rexmit\" data-seq=\"1001\" data-end=\"2001\" data-t=\"0.080000\""))
        let page = try D.run(["graph", pcap, "--out", html, "--html"])
        #expect(page.status == 0)
        let h = try String(contentsOfFile: html, encoding: .utf8)
        #expect(h.hasPrefix("<!DOCTYPE html>") && h.contains("<svg") && h.contains("<pre>"))
        #expect(h.components(separatedBy: "<svg").count == 2, "only one direction carried data")
        #expect(!h.contains("src=") && !h.contains("href=") && !h.contains("@import"), "nothing fetched")
        let zoom = try D.run(["graph", pcap, "--out", svg, "--from", "0.075", "--to", "0.2"])
        #expect(zoom.stderr.contains("3 segments from 10.0.0.1:40000, 1 retransmitted"), "\(zoom.stderr)")
    }
}

extension PictureCommandTests {
    @Test("A capture cut short: the ladder and graph of the packets before the bad record, then exit 1 naming it")
    func truncatedCapture() throws {
        let pcap = try Self.capture()
        let cut = pcap + ".cut.pcap", svg = pcap + ".svg"
        defer { for f in [pcap, cut, svg] { try? FileManager.default.removeItem(atPath: f) } }
        let bytes = try #require(FileManager.default.contents(atPath: pcap))
        try bytes.prefix(bytes.count - 30).write(to: URL(fileURLWithPath: cut))
        let ladder = try D.run(["ladder", cut])
        #expect(ladder.status == 1)
        #expect(ladder.stderr.contains("record 12: ") && ladder.stderr.contains("the picture shows the packets before it"), "\(ladder.stderr)")
        #expect(ladder.stdout.split(separator: "\n").count == 11, "\(ladder.stdout)")
        let graph = try D.run(["graph", cut, "--out", svg])
        #expect(graph.status == 1 && FileManager.default.fileExists(atPath: svg))
        let missing = try D.run(["graph", "/nonexistent.pcap", "--out", svg])
        #expect(missing.status == 1 && missing.stderr == "toytcp-shell: /nonexistent.pcap: No such file or directory\n")
    }
}
