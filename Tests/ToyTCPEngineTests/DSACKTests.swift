// RFC 2883 (D-SACK): the receiver reports a duplicate segment in the first SACK block; the sender
// recognises it (§4.1) and, when every retransmission of a loss episode is reported duplicate, undoes
// the window reduction (RFC 3708 §3, Linux's tcp_try_undo_dsack).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("D-SACK (RFC 2883)")
struct DSACKTests {
    /// Ten segments of 1000 bytes in flight; SACKs of segments 1...3 make the sender retransmit segment 0.
    private func fastRetransmitOfFirstSegment() -> (Harness, ConnectionID, UInt32) {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000), .sackPermitted])
        _ = h.send(id, bytes(10_000))
        for _ in 0..<10 { _ = h.transmit() }
        for k in 1...3 {
            h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([SACKBlock(left: SequenceNumber(rel(iss, 1000)),
                                                                                          right: SequenceNumber(rel(iss, 1000 + k * 1000)))])],
                      at: .ms(10 + Int64(k)))
        }
        h.expectTransmit(.ack, seq: rel(iss, 0), length: 1000)
        return (h, id, iss)
    }

    @Test("an in-order segment that also repeats queued out-of-order data reports that data as a D-SACK (RFC 2883 §4.1.2)")
    func inOrderSegmentRepeatingQueuedData() throws {
        // tcp_dsack_mult.pkt: 1001:3001 and 4001:5001 are queued, then 1:6001 arrives in one segment.
        let h = Harness(testConfiguration { $0.sack = true })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1460), .sackPermitted])
        h.deliver([.ack], seq: 2001, ack: iss &+ 1, payload: bytes(2000))
        _ = h.transmit()
        h.deliver([.ack], seq: 5001, ack: iss &+ 1, payload: bytes(1000))
        _ = h.transmit()
        h.deliver([.ack], seq: 1001, ack: iss &+ 1, payload: bytes(5000))
        let s = try #require(h.expectTransmit(.ack, ack: 6001))
        #expect(s.options.sackBlocks?.first == SACKBlock(left: 2001, right: 4001))
    }

    @Test("a duplicate below RCV.NXT is reported as the first SACK block, once (RFC 2883 §4.1.1)")
    func duplicateBelowCumulativeAck() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1460), .sackPermitted])
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        var s = try #require(h.expectTransmit(.ack, ack: 1101))
        #expect(s.options.sackBlocks == nil)
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        s = try #require(h.expectTransmit(.ack, ack: 1101))
        #expect(s.options.sackBlocks == [SACKBlock(left: 1001, right: 1101)])
        // Partly old: only the old part is a duplicate.
        h.deliver([.ack, .psh], seq: 1051, ack: iss &+ 1, payload: bytes(100))
        s = try #require(h.expectTransmit(.ack, ack: 1151))
        #expect(s.options.sackBlocks == [SACKBlock(left: 1051, right: 1101)])
        h.deliver([.ack, .psh], seq: 1151, ack: iss &+ 1, payload: bytes(10))
        s = try #require(h.expectTransmit(.ack, ack: 1161))
        #expect(s.options.sackBlocks == nil)
        #expect(h.stack.statistics.dsacksSent == 2)
    }

    @Test("a duplicate of out-of-order data: D-SACK first, then the block holding it (RFC 2883 §4.1.2)")
    func duplicateAboveCumulativeAck() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1460), .sackPermitted])
        h.deliver(.ack, seq: 2001, ack: iss &+ 1, payload: bytes(200))
        _ = h.expectTransmit(.ack, ack: 1001)
        h.deliver(.ack, seq: 2101, ack: iss &+ 1, payload: bytes(50))
        let s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 2101, right: 2151), SACKBlock(left: 2001, right: 2201)])
    }

    @Test("off with `dsack = false`: a duplicate draws a plain ACK")
    func dsackOff() throws {
        let h = Harness(testConfiguration { $0.sack = true; $0.dsack = false })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1460), .sackPermitted])
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        _ = h.expectTransmit(.ack, ack: 1101)
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        let s = try #require(h.expectTransmit(.ack, ack: 1101))
        #expect(s.options.sackBlocks == nil)
    }

    @Test("a fast retransmit caused by reordering is undone when its retransmission is D-SACKed (RFC 3708 §3)")
    func spuriousFastRetransmitUndone() throws {
        // Segment 0 is delayed (reordered): three SACKs of the segments after it.
        let (h, id, iss) = fastRetransmitOfFirstSegment()
        let reduced = try #require(h.stack.snapshot(id))
        #expect(reduced.cwnd < 10_000)
        // The original arrives and is acknowledged with everything SACKed; then the retransmission
        // arrives and the receiver reports it as a duplicate.
        h.deliver(.ack, seq: 1001, ack: rel(iss, 4000), at: .ms(20))
        h.deliver(.ack, seq: 1001, ack: rel(iss, 4000),
                  options: [.sack([SACKBlock(left: SequenceNumber(rel(iss, 0)), right: SequenceNumber(rel(iss, 1000)))])],
                  at: .ms(21))
        let restored = try #require(h.stack.snapshot(id))
        #expect(restored.cwnd >= 10_000, "cwnd \(restored.cwnd) not restored")
        #expect(restored.ssthresh > 10_000)
        #expect(restored.spuriousUndos == 1)
        #expect(h.stack.statistics.dsacksReceived == 1 && h.stack.statistics.spuriousUndos == 1)
    }

    @Test("a real loss is not undone: a D-SACK of other data leaves the reduction")
    func realLossKept() throws {
        // Segment 0 is lost: three SACKs of the segments after it.
        let (h, id, iss) = fastRetransmitOfFirstSegment()
        let reduced = try #require(h.stack.snapshot(id)).cwnd
        // The retransmission fills the hole; a duplicate of segment 1 (network duplication) is D-SACKed.
        h.deliver(.ack, seq: 1001, ack: rel(iss, 4000),
                  options: [.sack([SACKBlock(left: SequenceNumber(rel(iss, 1000)), right: SequenceNumber(rel(iss, 2000)))])],
                  at: .ms(30))
        let after = try #require(h.stack.snapshot(id))
        #expect(after.cwnd <= reduced + 2000)
        #expect(after.spuriousUndos == 0)
    }
}
