// Closing sequences of RFC 9293 §3.6 (figures 12 and 13) and the half-closed states.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Closing (RFC 9293 §3.6)")
struct CloseTests {
    @Test("active close: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED after 2*MSL (RFC 9293 §3.6 figure 12)")
    func activeClose() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        #expect(h.state(id) == .finWait1)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 1001)
        h.deliver(.ack, seq: 1001, ack: iss &+ 2)
        #expect(h.state(id) == .finWait2)
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 2, at: .ms(100))
        #expect(h.state(id) == .timeWait)
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 1002)
        #expect(h.stack.nextDeadline == .ms(2100))
        // A retransmitted FIN is acknowledged again and restarts the 2*MSL timer.
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 2, at: .ms(500))
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 1002)
        #expect(h.stack.nextDeadline == .ms(2500))
        h.at(.ms(2500))
        #expect(h.stack.snapshot(id) == nil)
        let ev = h.events()
        #expect(ev.contains(.connection(id, .stateChanged(from: .timeWait, to: .closed))))
        #expect(ev.contains(.connection(id, .closed)))
    }

    @Test("passive close: CLOSE-WAIT → LAST-ACK → CLOSED (RFC 9293 §3.6 figure 12)")
    func passiveClose() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 1)
        h.expectTransmit(.ack, ack: 1002)
        #expect(h.state(id) == .closeWait)
        #expect(h.events().contains(.connection(id, .peerClosed)))
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == nil)
        try h.stack.close(id, at: h.now)
        #expect(h.state(id) == .lastAck)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 1002)
        h.deliver(.ack, seq: 1002, ack: iss &+ 2)
        #expect(h.stack.snapshot(id) == nil)
        #expect(h.events().contains(.connection(id, .closed)))
    }

    @Test("simultaneous close: FIN-WAIT-1 → CLOSING → TIME-WAIT (RFC 9293 §3.6 figure 13)")
    func simultaneousClose() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 1001)
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 1)
        #expect(h.state(id) == .closing)
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 1002)
        h.deliver(.ack, seq: 1002, ack: iss &+ 2)
        #expect(h.state(id) == .timeWait)
    }

    @Test("FIN with the ACK of our FIN: FIN-WAIT-1 → TIME-WAIT directly (RFC 9293 §3.10.7.4 eighth)")
    func finAckInFinWait1() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 2)
        #expect(h.state(id) == .timeWait)
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 1002)
    }

    @Test("half-close: after shutdown we keep receiving in FIN-WAIT-2 (RFC 9293 §3.10.4)")
    func halfClose() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        _ = h.send(id, [9, 9])
        try h.stack.shutdown(id, at: h.now)
        h.expectTransmit([.fin, .psh, .ack], seq: iss &+ 1, length: 2)
        #expect(throws: EngineError.connectionClosing) { try [UInt8](repeating: 1, count: 1).withUnsafeBytes { try h.stack.send(id, $0, at: h.now) } }
        h.deliver(.ack, seq: 1001, ack: iss &+ 4)
        #expect(h.state(id) == .finWait2)
        h.deliver(.ack, seq: 1001, ack: iss &+ 4, payload: [1, 2, 3])
        h.expectTransmit(.ack, ack: 1004)
        h.deliver([.fin, .ack], seq: 1004, ack: iss &+ 4)
        h.expectTransmit(.ack, ack: 1005)
        #expect(h.state(id) == .timeWait)
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == [1, 2, 3])
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == nil)
    }

    @Test("half-close by the peer: we keep sending in CLOSE-WAIT (RFC 9293 §3.6)")
    func peerHalfClose() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 1)
        h.expectTransmit(.ack, ack: 1002)
        _ = h.send(id, [1, 2, 3])
        h.expectTransmit([.psh, .ack], seq: iss &+ 1, ack: 1002, length: 3)
        h.deliver(.ack, seq: 1002, ack: iss &+ 4)
        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 4, ack: 1002)
    }

    @Test("FIN is retransmitted on timeout (RFC 9293 §3.8.1)")
    func finRetransmission() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1)
        h.at(.ms(1000))
        h.expectTransmit([.fin, .ack], seq: iss &+ 1)
        h.deliver(.ack, seq: 1001, ack: iss &+ 2)
        #expect(h.state(id) == .finWait2)
    }

    @Test("abort sends RST and deletes the TCB (RFC 9293 §3.10.5)")
    func abort() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.stack.abort(id, at: h.now)
        h.expectTransmit(.rst, seq: iss &+ 1)
        #expect(h.stack.snapshot(id) == nil)
    }
}
