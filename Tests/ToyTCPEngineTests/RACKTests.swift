// RFC 8985 §6 (RACK): a segment is lost when one sent after it was delivered and it is older than
// RACK.rtt + RACK.reo_wnd; the reordering timer waits out the window.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("RACK (RFC 8985 §6)")
struct RACKTests {
    /// A passive connection with SACK, MSS 1000 and an RTT of 20 ms; ten segments sent at 20 ms.
    private func flight(rack: Bool) -> (Harness, ConnectionID, UInt32) {
        let h = Harness(testConfiguration { $0.sack = true; $0.rack = rack })
        let l = try! h.stack.listen(port: h.localPort)
        h.deliver(.syn, seq: 1000, options: [.mss(1000), .sackPermitted], at: .ms(0))
        let iss = h.expectTransmit([.syn, .ack], ack: 1001)!.sequenceNumber.rawValue
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, at: .ms(20))
        let id = h.stack.accept(l)!
        _ = h.send(id, bytes(10_000))
        for _ in 0..<10 { _ = h.transmit() }
        return (h, id, iss)
    }

    private func sackSecond(_ h: Harness, _ iss: UInt32, at t: Int64) {
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0),
                  options: [.sack([SACKBlock(left: SequenceNumber(rel(iss, 1000)), right: SequenceNumber(rel(iss, 2000)))])],
                  at: .ms(t))
    }

    @Test("one SACK above a hole: the hole is lost after RACK.reo_wnd = min_RTT/4, long before the PTO")
    func lossAfterReorderingWindow() throws {
        let (h, _, iss) = flight(rack: true)
        sackSecond(h, iss, at: 40)
        h.expectNothing()
        // min_RTT = 20 ms (segment 1 sent at 20, SACKed at 40): the window is 5 ms.
        #expect(h.stack.nextDeadline == .ms(45))
        h.at(.ms(45))
        h.expectTransmit(.ack, seq: rel(iss, 0), length: 1000)
        #expect(h.stack.statistics.rackLosses == 1)
        #expect(h.stack.statistics.lossProbes == 0)
    }

    @Test("without RACK the same hole waits for the tail loss probe (2·SRTT)")
    func withoutRACK() throws {
        let (h, _, iss) = flight(rack: false)
        sackSecond(h, iss, at: 40)
        h.at(.ms(45))
        h.expectNothing()
        #expect(h.stack.nextDeadline.map { $0 >= .ms(60) } == true, "PTO at \(String(describing: h.stack.nextDeadline))")
    }

    @Test("the hole filled within the window (reordering) is not retransmitted")
    func reorderingWithinWindow() throws {
        let (h, id, iss) = flight(rack: true)
        sackSecond(h, iss, at: 40)
        h.deliver(.ack, seq: 1001, ack: rel(iss, 2000), at: .ms(43))
        h.at(.ms(46))
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.retransmissions == 0)
    }
}
