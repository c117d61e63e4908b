import Foundation
import Testing
import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPScript

/// Issue 13: a segment dropped by intercept or lost on the simulated link is recorded as such
/// (`PacketRecord.fate`), so `ladder NAME` draws it lost (ending in X), `trace` says so, and `record`
/// writes only what went on the wire.
@Suite("Dropped segments in the shell's ladder, trace and record (simulated network)")
struct LostSegmentLadderTests {
    /// Runs `script` on a fresh simulated network (seed 1) and returns the output lines; the ladder
    /// is drawn 100 columns wide.
    static func run(_ script: String) throws -> [String] {
        setenv("COLUMNS", "100", 1)
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        return out
    }

    /// The ladder: the last output, a block of lines, the trailing blanks of each line dropped.
    static func ladder(_ out: [String]) -> String {
        // Colour codes (when the tests write to a terminal) removed.
        (out.last ?? "").replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }.joined(separator: "\n")
    }

    /// The TCP payload length of each packet in a raw-IPv4 pcap.
    static func payloadLengths(_ path: String) throws -> [Int] {
        let reader = try PcapReader(path: path)
        var lengths: [Int] = []
        while let r = try reader.next() {
            if let p = try? IPv4Packet.parse(Array(r.bytes)) { lengths.append(p.segment.payload.count) }
        }
        return lengths
    }

    @Test("intercept drop: the dropped data segment ends in X, its retransmission follows; trace says dropped; record leaves it out")
    func interceptDrop() throws {
        let pcap = NSTemporaryDirectory() + "toytcp-lost-\(UUID().uuidString.prefix(8)).pcap"
        defer { try? FileManager.default.removeItem(atPath: pcap) }
        let out = try Self.run("""
            peer echo 10.0.1.1 7
            record \(pcap)
            connect 10.0.1.1 7 as c
            trace on
            intercept on out P.
            send c "hello\\n"
            expect held P. as d
            drop
            intercept off
            recv c 6 within 3s
            record off
            ladder c
            """)
        let expected = """
              time (s) 10.0.0.1:37779                                                               10.0.1.1:7
                       CLOSED       |                                                             | LISTEN
              0.000000 SYN-SENT     |-- S seq 0 win 65535 mss 1460 ws 5 (SYN) ------------------->| SYN-RECEIVED
              0.020000 ESTABLISHED  |<------------------ S. seq 0 ack 1 win 65535 mss 1460 ws 5 --|
              0.020000              |-- . seq 1 ack 1 win 32768 (immediate ACK) ----------------->| ESTABLISHED
              0.020000              |-- P. seq 1:7(6) ack 1 win 32768 (new data) -X               |
              0.220000              |== R P. seq 1:7(6) ack 1 win 32768 (retransmission after ~ =>|
              0.240000              |<--------------------------- P. seq 1:7(6) ack 7 win 32768 --|
            """
        #expect(Self.ladder(out) == expected, "\n\(Self.ladder(out))")
        #expect(out.contains { $0.contains("Flags [P.]") && $0.hasSuffix("(new data)  [dropped by intercept]") },
                "trace says the segment was dropped:\n\(out.joined(separator: "\n"))")
        // The pcap has what went on the wire: the retransmission, not the dropped original.
        let packets = try Self.payloadLengths(pcap)
        #expect(packets.filter { $0 == 6 }.count == 2, "our data once (the retransmission) and the echo: \(packets)")
    }

    @Test("seeded link loss: segments the link lost end in X in the ladder, and trace says lost on the link")
    func linkLoss() throws {
        let out = try Self.run("""
            peer echo 10.0.1.1 7
            connect 10.0.1.1 7 as c
            trace on
            link out loss 50%
            send c fill=4000
            recv c 4000 within 10s
            link out perfect
            ladder c
            """)
        let expected = """
              time (s) 10.0.0.1:37779                                                               10.0.1.1:7
                       CLOSED       |                                                             | LISTEN
              0.000000 SYN-SENT     |-- S seq 0 win 65535 mss 1460 ws 5 (SYN) ------------------->| SYN-RECEIVED
              0.020000 ESTABLISHED  |<------------------ S. seq 0 ack 1 win 65535 mss 1460 ws 5 --|
              0.020000              |-- . seq 1 ack 1 win 32768 (immediate ACK) ----------------->| ESTABLISHED
              0.020000              |-- . seq 1:1449(1448) ack 1 win 32768 (new data) -X          |
              0.020000              |-- . seq 1449:2897(1448) ack 1 win 32768 (new data) -------->|
              0.040000              |<------------------ . seq 1 ack 1 win 32768 sack 1449:2897 --|
              0.045000              |== R . seq 1:1449(1448) ack 1 win 32768 (fast retransmit) ==>|
              0.065000              |<------------------- . seq 1:1449(1448) ack 2897 win 32768 --|
              0.065000              |-- P. seq 2897:4001(1104) ack 1449 win 32723 (new data) ---->|
              0.065000              |<--------------- P. seq 1449:2897(1448) ack 2897 win 32768 --|
              0.105000              |-- . seq 4001 ack 2897 win 32768 (delayed ACK) ------------->|
              0.125000              |<--------------- P. seq 2897:4001(1104) ack 4001 win 32734 --|
            """
        #expect(Self.ladder(out) == expected, "\n\(Self.ladder(out))")
        #expect(out.contains { $0.contains("out IP 10.0.0.1.") && $0.hasSuffix("[lost on the link]") },
                "trace says the link lost it:\n\(out.joined(separator: "\n"))")
    }
}
