// ESTABLISHED: data both ways, acknowledgments, retransmission (RFC 9293 §3.8, RFC 6298, RFC 5681).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("ESTABLISHED: data (RFC 9293 §3.10.7.4 seventh, §3.8)")
struct DataTransferTests {
    @Test("in-order data is acknowledged and readable (RFC 9293 §3.10.7.4 seventh)")
    func receiveData() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: Array("hello".utf8))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1006)
        #expect(h.events() == [.connection(id, .readable)])
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now) == Array("hello".utf8))
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now) == [])
    }

    @Test("sent data goes out in MSS-sized segments and is freed when acknowledged")
    func sendData() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        #expect(h.send(id, bytes(2500)) == 2500)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001, length: 1000)
        h.expectTransmit(.ack, seq: iss &+ 1001, ack: 1001, length: 1000)
        // Nagle (RFC 1122 §4.2.3.4): the short tail waits while data is unacknowledged.
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.sendQueued == 2500)
        h.deliver(.ack, seq: 1001, ack: iss &+ 2001, at: .ms(10))
        h.expectTransmit([.ack, .psh], seq: iss &+ 2001, ack: 1001, length: 500)
        h.deliver(.ack, seq: 1001, ack: iss &+ 2501, at: .ms(20))
        #expect(h.stack.snapshot(id)?.sendQueued == 0)
        // RFC 6298 (2.3): the handshake sampled 0 ms, then 10 ms and 10 ms.
        #expect(h.stack.snapshot(id)?.srtt != nil)
        #expect(h.stack.nextDeadline == nil)
    }

    @Test("a lost segment is retransmitted when the RTO expires, with backoff (RFC 6298 (5.4)–(5.6))")
    func retransmitOnTimeout() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        _ = h.send(id, bytes(100))
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 100)
        // The handshake measured 0 ms, so RTO = the 200 ms minimum (RFC 6298 (2.4)).
        #expect(h.stack.nextDeadline == .ms(200))
        h.at(.ms(200))
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 100)
        h.expectNothing()
        #expect(h.stack.nextDeadline == .ms(600))
        h.at(.ms(600))
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 100)
        #expect(h.stack.snapshot(id)?.retransmissions == 2)
        #expect(h.stack.nextDeadline == .ms(1400))
        // Karn: the ACK of a retransmitted segment gives no sample (SRTT stays at the handshake's 0).
        h.deliver(.ack, seq: 1001, ack: iss &+ 101, at: .ms(650))
        #expect(h.stack.snapshot(id)?.srtt == .zero)
        #expect(h.stack.nextDeadline == nil)
    }

    @Test("data retries run out: .failed(.timedOut) (RFC 9293 §3.8.3 R2)")
    func dataRetryLimit() throws {
        let h = Harness(testConfiguration { $0.dataRetries = 3; $0.maximumRTO = .seconds(2) })
        let (id, _) = h.establishedPassive()
        _ = h.send(id, bytes(10))
        _ = h.expectTransmit([.ack, .psh])
        for t: Int64 in [200, 600, 1400] {
            h.at(.ms(t)); _ = h.expectTransmit([.ack, .psh])
        }
        #expect(h.stack.nextDeadline == .ms(3000))
        h.at(.ms(3000))
        h.expectNothing()
        #expect(h.events().contains(.connection(id, .failed(.timedOut))))
    }

    @Test("an out-of-window segment draws an ACK and is dropped (RFC 9293 §3.10.7.4 first)")
    func outOfWindow() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001 &+ 70000, ack: iss &+ 1, payload: [1])
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        h.deliver(.ack, seq: 500, ack: iss &+ 1, payload: [1, 2])
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        #expect(h.stack.snapshot(id)?.receiveQueued == 0)
    }

    @Test("a segment overlapping RCV.NXT is trimmed to the new bytes (RFC 9293 §3.10.7.4)")
    func overlapTrim() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1, 2, 3])
        h.expectTransmit(.ack, ack: 1004)
        h.deliver(.ack, seq: 1002, ack: iss &+ 1, payload: [2, 3, 4, 5])
        h.expectTransmit(.ack, ack: 1006)
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == [1, 2, 3, 4, 5])
    }

    @Test("out-of-order data is held and delivered when the gap fills (duplicate ACK at once, RFC 5681 §4.2)")
    func reassembly() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1004, ack: iss &+ 1, payload: [4, 5, 6])
        h.expectTransmit(.ack, ack: 1001)
        h.deliver(.ack, seq: 1008, ack: iss &+ 1, payload: [8])
        h.expectTransmit(.ack, ack: 1001)
        #expect(h.stack.snapshot(id)?.outOfOrderQueued == 4)
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1, 2, 3])
        h.expectTransmit(.ack, ack: 1007)
        h.deliver(.ack, seq: 1006, ack: iss &+ 1, payload: [6, 7])
        h.expectTransmit(.ack, ack: 1009)
        #expect(try h.stack.receive(id, maxLength: 20, at: h.now) == [1, 2, 3, 4, 5, 6, 7, 8])
    }
}
