// Options an application changes on an open connection (setsockopt after connect or accept):
// RFC 9293 §3.7.4 (Nagle, and a sender may delay to fill segments: TCP_CORK), §3.8.6 (the send buffer).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Sending options of an open connection (RFC 9293 §3.7.4, §3.8.6)")
struct SendOptionsTests {
    @Test("a smaller send buffer takes only what fits; a larger one takes more")
    func sendBufferSize() throws {
        let h = Harness(testConfiguration { $0.sendBufferSize = 4000 })
        let (id, _) = h.establishedPassive()
        try h.stack.configureSending(id, sendBufferSize: 3000, at: h.now)
        #expect(h.send(id, bytes(5000)) == 3000)
        try h.stack.configureSending(id, sendBufferSize: 8000, at: h.now)
        #expect(h.send(id, bytes(9000)) == 5000)
    }

    @Test("corked, a partial segment waits even with nothing in flight; uncorking sends it")
    func corkHoldsPartialSegments() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        try h.stack.configureSending(id, corked: true, at: h.now)
        #expect(h.send(id, bytes(40)) == 40)
        #expect(h.send(id, bytes(40)) == 40)
        h.expectNothing()
        try h.stack.configureSending(id, corked: false, at: h.now)
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 80)
    }

    @Test("corked, full segments still go out and only the partial tail waits")
    func corkSendsFullSegments() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        try h.stack.configureSending(id, corked: true, at: h.now)
        #expect(h.send(id, bytes(1500)) == 1500)
        h.expectTransmit(.ack, seq: iss &+ 1, length: 1460)
        h.expectNothing()
    }

    @Test("turning Nagle off pushes the partial segment it was holding")
    func nodelayPushes() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        #expect(h.send(id, bytes(10)) == 10)
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 10)
        #expect(h.send(id, bytes(20)) == 20)
        h.expectNothing() // Nagle: 10 bytes are unacknowledged
        try h.stack.configureSending(id, nagle: false, at: h.now)
        h.expectTransmit([.ack, .psh], seq: iss &+ 11, length: 20)
    }

    // Already true before corking existed (the persist timer's override, RFC 9293 §3.8.6.2.1): kept so
    // corking never loses that bound.
    @Test("corked data waits at most until the persist timer, then goes (the cork's time bound)")
    func corkIsBoundedByThePersistTimer() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        try h.stack.configureSending(id, corked: true, at: h.now)
        #expect(h.send(id, bytes(40)) == 40)
        h.expectNothing()
        let deadline = try #require(h.stack.nextDeadline)
        h.at(deadline)
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 40)
    }

    @Test("MSG_MORE holds a partial segment until the next send without it, or the peer's next segment")
    func moreToCome() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        #expect(bytes(10).withUnsafeBytes { (try? h.stack.send(id, $0, moreToCome: true, at: h.now)) ?? -1 } == 10)
        h.expectNothing()
        #expect(h.send(id, bytes(20)) == 20)
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 30)
        h.deliver(.ack, seq: 1001, ack: iss &+ 31)
        #expect(bytes(5).withUnsafeBytes { (try? h.stack.send(id, $0, moreToCome: true, at: h.now)) ?? -1 } == 5)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: iss &+ 31, window: 60000)
        h.expectTransmit(.ack, seq: iss &+ 31, length: 5) // sent, but not pushed (no PSH)
    }

    @Test("data sent with MSG_MORE carries no PSH when something else sends it; a plain send pushes again")
    func moreToComeIsNotPushed() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        #expect(bytes(10).withUnsafeBytes { (try? h.stack.send(id, $0, moreToCome: true, at: h.now)) ?? -1 } == 10)
        h.expectNothing()
        try h.stack.configureSending(id, push: true, at: h.now)
        h.expectTransmit(.ack, seq: iss &+ 1, length: 10)
        #expect(h.send(id, bytes(20)) == 20)
        h.expectTransmit([.ack, .psh], seq: iss &+ 11, length: 20)
    }

    @Test("a larger receive buffer on an open connection opens the window with an update")
    func receiveBufferSize() throws {
        let h = Harness(testConfiguration { $0.receiveBufferSize = 4000 })
        let (id, iss) = h.establishedPassive()
        try h.stack.configureReceiving(id, receiveBufferSize: 20000, at: h.now)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001, window: 20000)
        // Smaller again: the edge offered stays, so the next ACK still offers what is left of it.
        try h.stack.configureReceiving(id, receiveBufferSize: 1000, at: h.now)
        h.expectNothing()
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(500))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1501, window: 19500)
    }
}
