// RFC 9293 §3.10.7.2 (LISTEN, "fourth other text or control"): data on a SYN is queued and processed
// once the connection is ESTABLISHED, not dropped.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Data on a SYN (RFC 9293 §3.10.7.2)")
struct SynDataTests {
    @Test("the SYN's data is held, unacknowledged, and delivered when the handshake completes")
    func deliveredAfterHandshake() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, options: [.mss(1460)], payload: bytes(100, seed: 3))
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1)
        h.expectTransmit(.ack, ack: 1101)
        let id = try #require(h.stack.accept(l))
        let got = try h.stack.receive(id, maxLength: 1000, at: h.now)
        #expect(got == bytes(100, seed: 3))
        #expect(h.stack.statistics.synDataQueued == 1)
    }

    @Test("the peer's retransmission of that data on its third segment is delivered once")
    func retransmittedOnce() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, options: [.mss(1460)], payload: bytes(100, seed: 3))
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        h.deliver([.ack, .psh], seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1, payload: bytes(150, seed: 3))
        h.expectTransmit(.ack, ack: 1151)
        let id = try #require(h.stack.accept(l))
        let got = try h.stack.receive(id, maxLength: 1000, at: h.now)
        #expect(got?.count == 150)
        #expect(got.map { Array($0.prefix(100)) } == bytes(100, seed: 3))
    }

    @Test("a FIN on the SYN closes the peer's side after the handshake")
    func finOnSyn() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver([.syn, .fin], seq: 1000, payload: bytes(10))
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1)
        h.expectTransmit(.ack, ack: 1012)
        let id = try #require(h.stack.accept(l))
        #expect(h.state(id) == .closeWait)
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now)?.count == 10)
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now) == nil)
    }
}
