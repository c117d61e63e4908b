// Quick ACKs at the start of a connection (Linux's quick-ACK mode), a configuration choice within
// RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: when to delay an ACK is left to the receiver.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Quick ACKs at connection start (StackConfiguration.quickAcks)")
struct QuickAckTests {
    @Test("with quickAcks = 2 the first two data segments are acknowledged at once, the third is delayed")
    func firstSegmentsAckedAtOnce() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true; $0.quickAcks = 2 })
        let (_, iss) = h.establishedPassive()
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1101)
        h.deliver([.ack, .psh], seq: 1101, ack: iss &+ 1, payload: bytes(100))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1201)
        h.deliver([.ack, .psh], seq: 1201, ack: iss &+ 1, payload: bytes(100))
        h.expectNothing()
        // RFC 9293 §3.8.6.3: the delayed ACK comes with the timer.
        h.at(.ms(40))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1301)
    }

    @Test("without quick ACKs (the default) the first data segment's ACK is delayed")
    func defaultDelaysTheFirstAck() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true })
        let (_, iss) = h.establishedPassive()
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(100))
        h.expectNothing()
        h.at(.ms(40))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1101)
    }
}
