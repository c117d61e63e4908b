// RFC 6937 (Proportional Rate Reduction): during SACK recovery the sender sends about ssthresh/RecoverFS
// of what is delivered (here one segment per two SACKs), where RFC 6675 alone stays silent until pipe
// falls below cwnd = ssthresh, half a window later.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Proportional rate reduction (RFC 6937)")
struct PRRTests {
    /// 20 segments in flight, the first lost; SACKs for segments 1...10 arrive one by one. Returns the
    /// new-data segments sent after each SACK.
    private func newDataPerSACK(prr: Bool) throws -> [Int] {
        let h = Harness(testConfiguration {
            $0.sack = true
            $0.initialWindowSegments = 20
            $0.proportionalRateReduction = prr
            // The handshake here measures an RTT of 0, so RACK's window (capped by SRTT) would be 0 and
            // the first SACK alone would start recovery: this test is about PRR's pacing.
            $0.rack = false
        })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000), .sackPermitted])
        _ = h.send(id, bytes(40_000))
        for _ in 0..<20 { _ = try #require(h.transmit()) }
        h.expectNothing()
        var sent: [Int] = []
        for k in 1...10 {
            h.deliver(.ack, seq: 1001, ack: rel(iss, 0),
                      options: [.sack([SACKBlock(left: SequenceNumber(rel(iss, 1000)), right: SequenceNumber(rel(iss, 1000 + k * 1000)))])],
                      at: .ms(10 + Int64(k)))
            var n = 0
            while let s = h.transmit() {
                if s.sequenceNumber.rawValue == rel(iss, 0) { continue } // the fast retransmission
                #expect(s.sequenceNumber.rawValue >= rel(iss, 20_000), "only new data beyond the flight")
                n += 1
            }
            sent.append(n)
        }
        return sent
    }

    @Test("one new segment per two SACKs while pipe > ssthresh (RFC 6937 §3 proportional part)")
    func proportional() throws {
        let sent = try newDataPerSACK(prr: true)
        // SACKs 1 and 2: limited transmit (RFC 3042). Recovery starts on the third, with RecoverFS =
        // 22 segments and ssthresh = 11: the retransmission of segment 0 is prr_out = 1, and then each
        // second SACK releases one segment (SACKs 6, 8 and 10).
        #expect(Array(sent.prefix(2)) == [1, 1], "\(sent)")
        #expect(Array(sent.dropFirst(2)) == [0, 0, 0, 1, 0, 1, 0, 1], "\(sent)")
    }

    @Test("without PRR, RFC 6675 sends nothing until pipe falls below ssthresh")
    func withoutPRR() throws {
        let sent = try newDataPerSACK(prr: false)
        #expect(Array(sent.prefix(2)) == [1, 1], "\(sent)")
        #expect(sent.dropFirst(2).reduce(0, +) == 0, "\(sent)")
    }
}
