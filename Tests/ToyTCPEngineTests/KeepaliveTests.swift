// RFC 9293 §3.8.4 and RFC 1122 §4.2.3.6: keep-alives are off by default; when on, an idle connection
// sends SEG.SEQ = SND.NXT−1 with no data, a peer's answer keeps it, and `count` unanswered probes end it.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6)")
struct KeepaliveTests {
    let settings = KeepaliveSettings(idle: .seconds(10), interval: .seconds(2), count: 3)

    @Test("off by default: three idle hours send nothing and arm no timer")
    func offByDefault() throws {
        let h = Harness()
        let (id, _) = h.establishedPassive()
        #expect(h.stack.nextDeadline == nil)
        h.at(.seconds(3 * 3600))
        h.expectNothing()
        #expect(h.state(id) == .established)
        #expect(h.stack.snapshot(id)?.keepalive == nil)
    }

    @Test("after `idle`, a probe at SND.NXT−1 with no data; the peer's ACK keeps the connection")
    func probeAnswered() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.setKeepalive(id, settings, at: h.now)
        h.at(.seconds(9.9))
        h.expectNothing()
        h.at(.seconds(10))
        h.expectTransmit(.ack, seq: iss, ack: 1001, length: 0)
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.keepaliveProbesSent == 1)
        // Linux answers the old sequence number with an ACK of what it expects.
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, at: .seconds(10.001))
        h.at(.seconds(12))
        h.expectNothing()
        // Idle again: the next probe comes `idle` after the answer.
        h.at(.seconds(20))
        h.expectNothing()
        h.at(.seconds(20.001))
        h.expectTransmit(.ack, seq: iss, ack: 1001, length: 0)
        #expect(h.state(id) == .established)
        #expect(h.stack.statistics.keepaliveProbes == 2)
        #expect(h.stack.snapshot(id)?.keepaliveProbesSent == 1)
    }

    @Test("`count` unanswered probes, `interval` apart, end the connection with a timeout")
    func probesUnanswered() throws {
        let h = Harness(testConfiguration { $0.keepalive = KeepaliveSettings(idle: .seconds(10), interval: .seconds(2), count: 3) })
        let (id, iss) = h.establishedPassive()
        for t in [10.0, 12.0, 14.0] {
            h.at(.seconds(t))
            h.expectTransmit(.ack, seq: iss, ack: 1001, length: 0)
            h.expectNothing()
            #expect(h.state(id) == .established)
        }
        h.at(.seconds(16))
        h.expectNothing()
        #expect(h.stack.snapshot(id) == nil)
        #expect(h.events().contains(.connection(id, .failed(.timedOut))))
        #expect(h.stack.statistics.keepaliveTimeouts == 1)
        #expect(h.stack.statistics.counters.contains { $0.name == "keepalive_probes" && $0.value == 3 })
    }

    @Test("received data restarts the idle time; outstanding data leaves probing to the retransmission timer")
    func trafficDefersProbes() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.setKeepalive(id, settings, at: h.now)
        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: bytes(10), at: .seconds(8))
        h.expectTransmit(.ack, ack: 1011)
        h.at(.seconds(10))
        h.expectNothing()
        h.at(.seconds(18))
        h.expectTransmit(.ack, seq: iss, ack: 1011, length: 0)
    }
}
