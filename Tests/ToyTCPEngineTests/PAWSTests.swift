// RFC 7323 §5 (PAWS): §5.3 R1 drops a segment with an older TSval while TS.Recent is valid; §5.5 a
// TS.Recent not updated for 24 days is invalid, so after a long idle the peer's (possibly wrapped)
// clock is accepted again instead of locking the connection out.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("PAWS (RFC 7323 §5)")
struct PAWSTests {
    static let day: Int64 = 86_400_000

    private func established() -> (Harness, ConnectionID, UInt32) {
        let h = Harness(testConfiguration { $0.timestamps = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1460), .timestamps(value: 3_000_000_000, echoReply: 0)])
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, options: [.timestamps(value: 3_000_000_001, echoReply: 0)], payload: [1])
        _ = h.expectTransmit(.ack, ack: 1002)
        return (h, id, iss)
    }

    @Test("after 23 idle days an older TSval is still an old duplicate: dropped with an ACK (§5.3 R1)")
    func validRecentStillProtects() throws {
        let (h, id, iss) = established()
        h.deliver(.ack, seq: 1002, ack: iss &+ 1, options: [.timestamps(value: 2_999_999_000, echoReply: 0)], payload: [2],
                  at: .ms(23 * Self.day))
        _ = h.expectTransmit(.ack, ack: 1002)
        #expect(h.stack.snapshot(id)?.receiveQueued == 1)
        #expect(h.stack.statistics.pawsRejected == 1)
    }

    @Test("after 25 idle days TS.Recent is invalid: the segment is accepted and TS.Recent taken from it (§5.5)")
    func staleRecentInvalid() throws {
        let (h, id, iss) = established()
        // The peer's 1 ms clock moved 25 days: 2.16e9 ticks, past half the space, so it looks older.
        let later = UInt32(truncatingIfNeeded: 3_000_000_001 + 25 * Int(Self.day))
        h.deliver(.ack, seq: 1002, ack: iss &+ 1, options: [.timestamps(value: later, echoReply: 0)], payload: [2],
                  at: .ms(25 * Self.day))
        let ack = try #require(h.expectTransmit(.ack, ack: 1003))
        #expect(ack.options.timestamps?.echoReply == later)
        #expect(h.stack.snapshot(id)?.receiveQueued == 2)
        // TS.Recent is valid again: an older TSval is refused once more.
        h.deliver(.ack, seq: 1003, ack: iss &+ 1, options: [.timestamps(value: later &- 10, echoReply: 0)], payload: [3],
                  at: .ms(25 * Self.day + 10))
        _ = h.expectTransmit(.ack, ack: 1003)
        #expect(h.stack.statistics.pawsStaleRecent == 1)
    }
}
