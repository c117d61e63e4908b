import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPScript

@Suite("Shell: ladder and graph of our own connections")
struct PictureShellTests {
    /// An echo exchange of 20 kB and a close, on the simulated network; returns the interpreter and its output.
    static func session() throws -> (Interpreter, () -> [String]) {
        let network = try SimulatedScriptNetwork(seed: 1)
        nonisolated(unsafe) var out: [String] = []
        let interpreter = Interpreter(network: network, output: { out.append($0) })
        let loc = SourceLocation(file: "<test>", line: 1, column: 1)
        for line in ["peer echo 10.0.1.1 7", "connect 10.0.1.1 7 as c", "send c fill=20000", "recv c 20000 within 5s",
                     "close c", "wait c TIME-WAIT within 2s"] {
            _ = try interpreter.execute(line: line, location: loc)
        }
        return (interpreter, { out })
    }

    @Test("ladder c: the handshake, the data and the close with each side's state where it changes")
    func ladder() throws {
        let (interpreter, output) = try Self.session()
        _ = try interpreter.execute(line: "ladder c", location: SourceLocation(file: "<test>", line: 7, column: 1))
        let lines = try #require(output().last).split(separator: "\n").map(String.init)
        #expect(lines[0].contains("10.0.0.1:") && lines[0].hasSuffix("10.0.1.1:7"))
        #expect(lines[1].contains(" CLOSED ") && lines[1].hasSuffix("| LISTEN"))
        #expect(lines[2].contains("SYN-SENT") && lines[2].contains("|-- S seq 0 ") && lines[2].hasSuffix("| SYN-RECEIVED"))
        #expect(lines[3].contains("ESTABLISHED  |<") && lines[3].contains(" S. seq 0 ack 1 "))
        #expect(lines[4].hasSuffix("| ESTABLISHED"))
        let tail = lines.suffix(3)
        #expect(tail.first?.contains("FIN-WAIT-1") == true && tail.first?.hasSuffix("| CLOSE-WAIT") == true, "\(tail)")
        #expect(lines.contains { $0.contains("TIME-WAIT") && $0.hasSuffix("| LAST-ACK") })
        #expect(lines.last?.hasSuffix("| CLOSED") == true)
        #expect(lines.filter { $0.contains("(1448)") }.count >= 2 * (20000 / 1448), "data both ways")
    }

    @Test("graph c --out FILE.svg writes the time-sequence graph and the variables; --html one page")
    func graph() throws {
        let (interpreter, output) = try Self.session()
        let dir = NSTemporaryDirectory() + "toytcp-shell-graph-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loc = SourceLocation(file: "<test>", line: 8, column: 1)
        _ = try interpreter.execute(line: "graph c --out \(dir)/c.svg", location: loc)
        #expect(output().last?.hasPrefix("wrote \(dir)/c.svg, \(dir)/c-vars.svg: ") == true, "\(output().last ?? "")")
        let vars = try String(contentsOfFile: dir + "/c-vars.svg", encoding: .utf8)
        let parser = XMLParser(data: Data(vars.utf8))
        #expect(parser.parse(), "the variables SVG is well-formed XML")
        for name in ["cwnd", "flight size", "peer's window (SND.WND)", "our window (RCV.WND)", "SRTT", "RTO"] {
            #expect(vars.contains("data-name=\"\(SVGEscaped(name))\""), "series \(name)")
        }
        let seq = try String(contentsOfFile: dir + "/c.svg", encoding: .utf8)
        #expect(seq.contains("class=\"data\"") && seq.contains("class=\"ack\""))
        _ = try interpreter.execute(line: "graph c --html --out \(dir)/c.html", location: loc)
        let page = try String(contentsOfFile: dir + "/c.html", encoding: .utf8)
        #expect(page.components(separatedBy: "<svg").count == 3 && page.contains("<pre>"))
        // Zoomed to the first 21 ms (the handshake and the first flight): fewer segments are drawn.
        func drawn(_ line: String?) -> Int? {
            line?.split(separator: ":").last?.split(separator: " ").first.flatMap { Int($0) }
        }
        let all = try #require(drawn(output().first { $0.hasPrefix("wrote \(dir)/c.svg") }))
        _ = try interpreter.execute(line: "graph c --out \(dir)/z.svg --from 0ms --to 21ms", location: loc)
        let zoomed = try #require(drawn(output().last))
        #expect(zoomed > 1 && zoomed < all, "\(zoomed) of \(all) segments in the first 21 ms")
        do throws(ScriptError) {
            _ = try interpreter.execute(line: "graph c --out x.svg --from 2s --to 1s", location: loc)
            Issue.record("no error")
        } catch {
            #expect(error.headline.hasSuffix("--to must be later than --from"))
        }
        do throws(ScriptError) {
            _ = try interpreter.execute(line: "graph c", location: loc)
            Issue.record("no error")
        } catch {
            #expect(error.headline.hasPrefix("<test>:8:9: graph needs --out FILE"))
        }
    }

    /// A snapshot with the fields the episode finder reads.
    static func snapshot(una: UInt32, nxt: UInt32, cwnd: Int, retransmissions: Int) -> ConnectionSnapshot {
        ConnectionSnapshot(
            id: ConnectionID(rawValue: 1),
            tuple: FourTuple(localAddress: IPv4Address(10, 0, 0, 1), localPort: 1, remoteAddress: IPv4Address(10, 0, 1, 1), remotePort: 2),
            state: .established,
            snd: .init(una: SequenceNumber(una), nxt: SequenceNumber(nxt), wnd: 65535, wl1: 0, wl2: 0, iss: 0, windowShift: 0),
            rcv: .init(nxt: 0, wnd: 65535, irs: 0, windowShift: 0), mss: 1000, cwnd: cwnd, ssthresh: 5000,
            srtt: nil, rttvar: nil, rto: .seconds(1), sendQueued: 0, receiveQueued: 0, outOfOrderQueued: 0,
            retransmissions: retransmissions, sackEnabled: true, timestampsEnabled: false)
    }

    @Test("Recovery episodes: fast recovery (RFC 6582) and RTO (RFC 5681 §3.1) last until SND.UNA passes the recovery point")
    func episodes() {
        func at(_ ms: Int64, _ s: ConnectionSnapshot, probes: Int = 0) -> PictureHistory.Sample {
            .init(time: Instant(nanoseconds: ms * 1_000_000), snapshot: s, lossProbes: probes)
        }
        let samples = [
            at(0, Self.snapshot(una: 0, nxt: 10000, cwnd: 10000, retransmissions: 0)),
            at(10, Self.snapshot(una: 1000, nxt: 10000, cwnd: 5000, retransmissions: 1)),    // fast retransmit
            at(20, Self.snapshot(una: 5000, nxt: 12000, cwnd: 5000, retransmissions: 1)),
            at(30, Self.snapshot(una: 10000, nxt: 14000, cwnd: 5000, retransmissions: 1)),   // past 10000: over
            at(40, Self.snapshot(una: 10000, nxt: 14000, cwnd: 1000, retransmissions: 2)),   // RTO: cwnd = 1 MSS
            at(50, Self.snapshot(una: 14000, nxt: 15000, cwnd: 2000, retransmissions: 2)),
            at(60, Self.snapshot(una: 14000, nxt: 16000, cwnd: 2000, retransmissions: 2), probes: 1),
        ]
        let spans = PictureHistory.episodes(samples)
        #expect(spans.map(\.label) == ["fast recovery", "RTO", "tail-loss probe"])
        #expect(spans.map(\.start) == [0, 30_000_000, 50_000_000])
        #expect(spans.map(\.end) == [30_000_000, 50_000_000, 60_000_000])
    }
}

private func SVGEscaped(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "&apos;") }
