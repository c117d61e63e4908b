// RFC 3168 (ECN): negotiated on the SYN when enabled (off by default), new data sent ECT(0), a CE mark
// echoed with ECE until CWR, and ECE answered by one window reduction per window and CWR.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("ECN (RFC 3168)")
struct ECNTests {
    /// The next packet the stack sends, with its IP header.
    private func nextPacket(_ h: Harness) -> IPv4Packet? {
        var w = ByteWriter(capacity: 2048)
        guard h.stack.pollTransmit(into: &w, at: h.now) else { return nil }
        return try? IPv4Packet.parse(w.bytes, verifyChecksum: true)
    }

    /// Delivers a segment from the peer with the IP ECN codepoint `ecn`.
    private func deliver(_ h: Harness, _ flags: TCPFlags, seq: UInt32, ack: UInt32, ecn: UInt8 = 0, payload: [UInt8] = []) {
        let seg = TCPSegment(sourcePort: h.peerPort, destinationPort: h.localPort, sequenceNumber: SequenceNumber(seq),
                             acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: 65535, payload: payload)
        let p = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress, tos: ecn), segment: seg)
        p.bytes().withUnsafeBytes { h.stack.handle(packet: $0, at: h.now) }
    }

    @Test("off by default: the SYN asks for nothing and data is not ECT")
    func offByDefault() throws {
        let h = Harness()
        _ = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: h.now)
        let syn = try #require(nextPacket(h))
        #expect(syn.segment.flags == .syn)
        #expect(syn.header.tos & 3 == 0)
    }

    @Test("active open: SYN+ECE+CWR; a SYN-ACK with ECE turns ECN on; new data is ECT(0), retransmissions not (§6.1.1, §6.1.5)")
    func activeNegotiation() throws {
        let h = Harness(testConfiguration { $0.ecn = true })
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: h.now)
        let syn = try #require(nextPacket(h))
        #expect(syn.segment.flags == [.syn, .ece, .cwr])
        #expect(syn.header.tos & 3 == 0, "a SYN is not ECT")
        let iss = syn.segment.sequenceNumber.rawValue
        deliver(h, [.syn, .ack, .ece], seq: 5000, ack: iss &+ 1)
        let ack = try #require(nextPacket(h))
        #expect(ack.segment.flags == .ack && ack.header.tos & 3 == 0)
        #expect(h.stack.snapshot(id)?.ecnEnabled == true)
        _ = h.send(id, bytes(100))
        let data = try #require(nextPacket(h))
        #expect(data.header.tos & 3 == 2)
        h.at(.ms(1000))
        let again = try #require(nextPacket(h))
        #expect(again.segment.payload.count == 100 && again.header.tos & 3 == 0)
    }

    @Test("passive open: SYN+ECE+CWR is answered with SYN-ACK+ECE")
    func passiveNegotiation() throws {
        let h = Harness(testConfiguration { $0.ecn = true })
        _ = try h.stack.listen(port: h.localPort)
        deliver(h, [.syn, .ece, .cwr], seq: 1000, ack: 0)
        let synAck = try #require(nextPacket(h))
        #expect(synAck.segment.flags == [.syn, .ack, .ece])
    }

    @Test("a CE mark is echoed with ECE on every ACK until a segment with CWR (§6.1.3)")
    func echoUntilCWR() throws {
        let h = Harness(testConfiguration { $0.ecn = true })
        _ = try h.stack.listen(port: h.localPort)
        deliver(h, [.syn, .ece, .cwr], seq: 1000, ack: 0)
        let iss = try #require(nextPacket(h)).segment.sequenceNumber.rawValue
        deliver(h, .ack, seq: 1001, ack: iss &+ 1)
        deliver(h, [.ack, .psh], seq: 1001, ack: iss &+ 1, ecn: 3, payload: bytes(100))
        #expect(try #require(nextPacket(h)).segment.flags == [.ack, .ece])
        deliver(h, [.ack, .psh], seq: 1101, ack: iss &+ 1, ecn: 2, payload: bytes(100))
        #expect(try #require(nextPacket(h)).segment.flags == [.ack, .ece])
        deliver(h, [.ack, .psh, .cwr], seq: 1201, ack: iss &+ 1, ecn: 2, payload: bytes(100))
        #expect(try #require(nextPacket(h)).segment.flags == .ack)
        #expect(h.stack.statistics.ecnCEReceived == 1)
    }

    @Test("ECE halves the window once per window, and the next new data carries CWR (§6.1.2)")
    func reactToECE() throws {
        let h = Harness(testConfiguration { $0.ecn = true; $0.nagle = false })
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: h.now)
        let iss = try #require(nextPacket(h)).segment.sequenceNumber.rawValue
        deliver(h, [.syn, .ack, .ece], seq: 5000, ack: iss &+ 1)
        _ = nextPacket(h)
        _ = h.send(id, bytes(10 * 536))
        for _ in 0..<10 { _ = try #require(nextPacket(h)) }
        let before = try #require(h.stack.snapshot(id)).cwnd
        deliver(h, [.ack, .ece], seq: 5001, ack: iss &+ 1 &+ 536)
        let after = try #require(h.stack.snapshot(id))
        #expect(after.cwnd == (9 * 536) / 2 && after.cwnd < before)
        deliver(h, [.ack, .ece], seq: 5001, ack: iss &+ 1 &+ 2 * 536)
        #expect(h.stack.snapshot(id)?.cwnd == after.cwnd, "one reduction per window")
        deliver(h, .ack, seq: 5001, ack: iss &+ 1 &+ 10 * 536)
        _ = h.send(id, bytes(536))
        let next = try #require(nextPacket(h))
        #expect(next.segment.flags.contains(.cwr) && next.header.tos & 3 == 2)
        #expect(h.stack.statistics.ecnReductions == 1 && h.stack.statistics.ecnCwrSent == 1)
    }
}
