// Tail loss probe and time-order loss detection (RFC 8985 §6.2, §7): a loss at the end of a flight and
// a lost fast retransmission are both repaired well before the retransmission timer (RTO ≥ 200 ms here).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

/// A passive connection with SACK, MSS 1000 and a measured RTT of 20 ms (SYN-ACK at 0, its ACK at 20 ms).
private func sackConnection(_ h: Harness) -> (ConnectionID, UInt32) {
    let l = try! h.stack.listen(port: h.localPort)
    h.deliver(.syn, seq: 1000, options: [.mss(1000), .sackPermitted], at: .ms(0))
    let iss = h.expectTransmit([.syn, .ack], ack: 1001)!.sequenceNumber.rawValue
    h.deliver(.ack, seq: 1001, ack: iss &+ 1, at: .ms(20))
    let id = h.stack.accept(l)!
    _ = h.events()
    return (id, iss)
}

/// Every segment the stack sends now, as (offset from ISS+1, payload length).
private func drain(_ h: Harness, _ iss: UInt32) -> [[Int]] {
    var out: [[Int]] = []
    for _ in 0..<100 {
        guard let s = h.transmit() else { break }
        out.append([Int(s.sequenceNumber.rawValue &- iss &- 1), s.payload.count])
    }
    return out
}

@Suite("Tail loss probe and lost retransmissions (RFC 8985)")
struct TailLossProbeTests {
    @Test("the last five segments of a flight are lost: a probe at 2·SRTT, then SACK recovery, no RTO (RFC 8985 §7)")
    func tailLoss() throws {
        // RFC 6675's recovery as written (PRR, RFC 6937, would send the repairs one ACK-clocked segment
        // at a time: see PRRTests).
        let h = Harness(testConfiguration { $0.sack = true; $0.proportionalRateReduction = false })
        let (id, iss) = sackConnection(h)
        #expect(h.stack.snapshot(id)?.srtt == .milliseconds(20))
        func block(_ l: Int, _ r: Int) -> SACKBlock { SACKBlock(left: SequenceNumber(rel(iss, l)), right: SequenceNumber(rel(iss, r))) }
        _ = h.send(id, bytes(10_000))
        #expect(drain(h, iss) == (0..<10).map { [$0 * 1000, 1000] })
        // Only the first half arrives; 5000..<10000 is lost at the tail, so no duplicate ACK ever comes.
        h.deliver(.ack, seq: 1001, ack: rel(iss, 5000), at: .ms(40))
        h.expectNothing()
        // PTO = 2·SRTT = 40 ms after the ACK; the RTO would be 200 ms.
        h.at(.ms(79))
        h.expectNothing()
        h.at(.ms(80))
        h.expectTransmit([.ack, .psh], seq: rel(iss, 9000), length: 1000)
        h.expectNothing()
        #expect(h.stack.statistics.lossProbes == 1)
        // The probe arrives and is SACKed: everything below it, sent a PTO earlier, is lost (§6.2).
        h.deliver(.ack, seq: 1001, ack: rel(iss, 5000), options: [.sack([block(9000, 10_000)])], at: .ms(100))
        #expect(drain(h, iss) == [[5000, 1000], [6000, 1000], [7000, 1000]])
        #expect(h.stack.snapshot(id)?.cwnd == 2500)
        h.deliver(.ack, seq: 1001, ack: rel(iss, 8000), options: [.sack([block(9000, 10_000)])], at: .ms(120))
        #expect(drain(h, iss) == [[8000, 1000]])
        h.deliver(.ack, seq: 1001, ack: rel(iss, 10_000), at: .ms(140))
        h.expectNothing()
        // SACK recovery ends with cwnd = ssthresh, not deflated to FlightSize + SMSS (RFC 6675 §5).
        #expect(h.stack.snapshot(id)?.cwnd == 2500)
        #expect(h.stack.snapshot(id)?.sendQueued == 0)
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
        #expect(h.stack.snapshot(id)?.retransmissions == 5)
    }

    @Test("a probe sends new data when there is some, beyond cwnd (RFC 8985 §7.3)")
    func probeWithNewData() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = sackConnection(h)
        _ = h.send(id, bytes(12_000))
        #expect(drain(h, iss).count == 10)
        h.at(.ms(60))
        h.expectTransmit(.ack, seq: rel(iss, 10_000), length: 1000)
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.retransmissions == 0)
    }

    @Test("a lost fast retransmission is sent again once data sent after it is SACKed, before the RTO (RFC 8985 §6.2)")
    func lostFastRetransmission() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = sackConnection(h)
        func block(_ l: Int, _ r: Int) -> SACKBlock { SACKBlock(left: SequenceNumber(rel(iss, l)), right: SequenceNumber(rel(iss, r))) }
        _ = h.send(id, bytes(30_000))
        #expect(drain(h, iss).count == 10)
        // Segment 0 is lost; three duplicate ACKs SACK 1000..<4000: fast retransmit.
        for (i, r) in [2000, 3000, 4000].enumerated() {
            h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([block(1000, r)])], at: .ms(40 + Int64(i)))
        }
        #expect(drain(h, iss) == [[0, 1000]])
        // The rest of the flight is SACKed; pipe falls below cwnd (5000) and new data goes out.
        var sent: [[Int]] = []
        for (i, r) in [5000, 6000, 7000, 8000, 9000, 10_000].enumerated() {
            h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([block(1000, r)])], at: .ms(45 + Int64(i)))
            sent += drain(h, iss)
        }
        #expect(sent.allSatisfy { $0[0] >= 10_000 }, "only new data while the retransmission is in flight")
        #expect(sent.first == [10_000, 1000])
        #expect(h.stack.statistics.lostRetransmissions == 0)
        // The retransmission of 0..<1000 is lost too. New data sent after it is SACKed: time order says
        // the retransmission should have arrived first, so it goes again now (t = 70 ms, RTO at 240 ms).
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([block(10_000, 11_000), block(1000, 10_000)])], at: .ms(70))
        let again = drain(h, iss)
        #expect(again.first == [0, 1000])
        #expect(h.stack.statistics.lostRetransmissions == 1)
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
        h.deliver(.ack, seq: 1001, ack: rel(iss, 11_000), at: .ms(90))
        #expect(h.stack.snapshot(id)?.snd.una == SequenceNumber(rel(iss, 11_000)))
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
    }

    @Test("recovery whose last retransmission (or its only ACK) is lost: a probe at 2·SRTT resends the hole, no RTO")
    func probeInRecovery() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = sackConnection(h)
        func block(_ l: Int, _ r: Int) -> SACKBlock { SACKBlock(left: SequenceNumber(rel(iss, l)), right: SequenceNumber(rel(iss, r))) }
        _ = h.send(id, bytes(10_000))
        #expect(drain(h, iss).count == 10)
        // Segment 0 is lost; the rest is SACKed; the fast retransmission is the last thing sent.
        for (i, r) in [2000, 3000, 4000].enumerated() {
            h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([block(1000, r)])], at: .ms(40 + Int64(i)))
        }
        #expect(drain(h, iss) == [[0, 1000]])
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), options: [.sack([block(1000, 10_000)])], at: .ms(45))
        h.expectNothing()
        // Its ACK never comes. PTO = 2·SRTT = 40 ms after the retransmission (sent at 42 ms); RTO at 242 ms.
        h.at(.ms(81))
        h.expectNothing()
        h.at(.ms(82))
        #expect(drain(h, iss) == [[0, 1000]])
        #expect(h.stack.statistics.lossProbes == 1)
        h.deliver(.ack, seq: 1001, ack: rel(iss, 10_000), at: .ms(100))
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.sendQueued == 0)
        #expect(h.stack.snapshot(id)?.cwnd == 5000, "recovery ended with cwnd = ssthresh, no RTO collapse")
        #expect(h.stack.statistics.retransmissionTimeouts == 0)
    }
}
