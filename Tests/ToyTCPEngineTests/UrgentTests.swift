// RFC 9293 §3.9.1 and RFC 6093: urgent data. The urgent pointer points one past the last urgent byte
// (RFC 6093 §3, as every stack implements it); data stays inline, and the mark is visible in STATUS.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Urgent data (RFC 6093)")
struct UrgentTests {
    @Test("send with urgent: URG set, pointer one past the last urgent byte, until it is acknowledged")
    func sendUrgent() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(10))
        h.expectTransmit([.ack, .psh], seq: rel(iss, 0), length: 10)
        let n = try bytes(1500).withUnsafeBytes { try h.stack.send(id, $0, urgent: true, at: h.now) }
        #expect(n == 1500)
        #expect(h.stack.snapshot(id)?.sendUrgentPointer?.rawValue == rel(iss, 1510))
        let first = try #require(h.expectTransmit([.ack, .urg], seq: rel(iss, 10), length: 1000))
        #expect(first.urgentPointer == 1500)
        let second = try #require(h.expectTransmit([.ack, .psh, .urg], seq: rel(iss, 1010), length: 500))
        #expect(second.urgentPointer == 500)
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1510))
        #expect(h.stack.snapshot(id)?.sendUrgentPointer == nil)
        _ = h.send(id, bytes(10))
        let after = try #require(h.expectTransmit([.ack, .psh], seq: rel(iss, 1510), length: 10))
        #expect(after.urgentPointer == 0)
        #expect(h.stack.statistics.urgentSegmentsSent == 2)
    }

    @Test("received urgent data is delivered inline; the mark and the unread urgent bytes show in the snapshot")
    func receiveUrgent() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        let seg = TCPSegment(sourcePort: h.peerPort, destinationPort: h.localPort, sequenceNumber: 1001,
                             acknowledgmentNumber: SequenceNumber(iss &+ 1), flags: [.ack, .psh, .urg],
                             window: 65535, urgentPointer: 50, payload: bytes(100))
        let packet = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress), segment: seg)
        packet.bytes().withUnsafeBytes { h.stack.handle(packet: $0, at: h.now) }
        var snap = try #require(h.stack.snapshot(id))
        #expect(snap.receiveUrgentPointer == 1051)
        #expect(snap.urgentUnread == 50)
        #expect(try h.stack.receive(id, maxLength: 30, at: h.now)?.count == 30)
        #expect(h.stack.snapshot(id)?.urgentUnread == 20)
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now) == Array(bytes(100)[30...]))
        snap = try #require(h.stack.snapshot(id))
        #expect(snap.urgentUnread == 0)
        #expect(h.stack.statistics.urgentSegmentsReceived == 1)
    }
}
