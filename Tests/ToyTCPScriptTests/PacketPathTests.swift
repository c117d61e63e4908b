import Foundation
import Testing
@testable import ToyTCPScript

/// The packet path as the shell sees it on the simulated network: one rule for crafted conversations
/// (the lab's), `record` in wall-clock time from a fixed epoch, and why our stack sent each segment.
@Suite("Packet path in scripts (issue 10)")
struct PacketPathTests {
    @Test("a conversation crafted from our own address is not reset by our stack: the handshake completes and the peer echoes")
    func craftedConversationNotReset() throws {
        let (result, out, err) = try TestSupport.runScript("""
            trace on
            peer echo 10.0.1.1 7
            inject S 10.0.0.1:40000 > 10.0.1.1:7 seq=1000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40000 ack=1001 within 1s as synack
            inject . 10.0.0.1:40000 > 10.0.1.1:7 seq=1001 ack=synack.seq+1 win=65535
            inject P. 10.0.0.1:40000 > 10.0.1.1:7 seq=1001 ack=synack.seq+1 win=65535 "hi\\n"
            expect P. 10.0.1.1:7 > 10.0.0.1:40000 within 1s
            """)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        let resets = out.filter { $0.contains("out IP 10.0.0.1.40000 > 10.0.1.1.7: Flags [R") }
        #expect(resets.isEmpty, "our stack reset the crafted conversation:\n\(resets.joined(separator: "\n"))")
    }

    @Test("set crafted feed: the answers to a crafted SYN go to our stack, which resets the SYN-ACK it does not know; keep restores the rule")
    func craftedFeed() throws {
        let (result, out, err) = try TestSupport.runScript("""
            trace on
            peer echo 10.0.1.1 7
            inject S 10.0.0.1:40000 > 10.0.1.1:7 seq=1000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40000 ack=1001 within 1s
            assert stack.packets_received == 0
            set crafted feed
            inject S 10.0.0.1:40001 > 10.0.1.1:7 seq=5000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40001 ack=5001 within 1s as synack
            expect R 10.0.0.1:40001 > 10.0.1.1:7 seq=synack.ack within 1s
            assert stack.packets_received == 1
            set crafted keep
            inject S 10.0.0.1:40002 > 10.0.1.1:7 seq=9000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40002 ack=9001 within 1s
            sleep 100ms
            assert stack.packets_received == 1
            """)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        #expect(out.contains("crafted feed: answers to crafted segments go to our stack too (it resets what it does not know)"))
        let resets = out.filter { $0.contains("out IP 10.0.0.1.") && $0.contains("Flags [R") }
        #expect(resets.count == 1 && resets.first?.contains(".40001 >") == true, "only the fed conversation is reset:\n\(resets.joined(separator: "\n"))")
    }

    @Test("trace says why our stack sent each segment")
    func traceShowsReasons() throws {
        let (_, out, _) = try TestSupport.runScript("""
            trace on
            peer echo 10.0.1.1 7
            connect 10.0.1.1 7 as c
            send c "x"
            """)
        #expect(out.contains { $0.contains("out IP 10.0.0.1.") && $0.contains("Flags [S],") && $0.hasSuffix("(SYN)") },
                "\(out.joined(separator: "\n"))")
        #expect(out.contains { $0.contains("length 1") && $0.hasSuffix("(new data)") }, "\(out.joined(separator: "\n"))")
    }

    @Test("record on the simulated network writes virtual time from the fixed epoch 2026-01-01 00:00:00 UTC")
    func recordEpoch() throws {
        let path = NSTemporaryDirectory() + "toytcp-epoch-\(getpid()).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (result, _, err) = try TestSupport.runScript("""
            record \(path)
            peer echo 10.0.1.1 7
            sleep 2s
            connect 10.0.1.1 7 as c
            """)
        #expect(result.failures.isEmpty, "\(err)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count > 32)
        let seconds = UInt32(bytes[24]) | UInt32(bytes[25]) << 8 | UInt32(bytes[26]) << 16 | UInt32(bytes[27]) << 24
        #expect(seconds == UInt32(SimulatedScriptNetwork.epochSeconds) + 2, "first packet at \(seconds)")
    }

    @Test("link sets our link's impairments per direction: everything lost out, the SYN retries until the link is clean again")
    func linkImpairments() throws {
        let (result, out, err) = try TestSupport.runScript("""
            peer echo 10.0.1.1 7
            link out loss 100%
            link in delay 20ms
            connect 10.0.1.1 7 within 500ms as c
            assert c.state == SYN-SENT
            link out perfect
            wait c ESTABLISHED within 3s
            link
            """)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        #expect(out.contains("link host1-router: out delay 5ms loss 100%; in delay 5ms"), "\(out)")
        #expect(out.last == "link host1-router: out perfect; in delay 20ms", "\(out)")
    }
}
