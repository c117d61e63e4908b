// Loss recovery: fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582), SACK (RFC 2018, RFC 6675).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

/// Sequence numbers relative to our ISS + 1, like packetdrill writes them.
func rel(_ iss: UInt32, _ x: Int) -> UInt32 { iss &+ 1 &+ UInt32(x) }

@Suite("Fast retransmit and NewReno (RFC 5681 §3.2, RFC 6582 §3.2)")
struct NewRenoTests {
    @Test("three duplicate ACKs: fast retransmit, partial ACK retransmits the next hole, full ACK ends recovery")
    func fastRetransmitAndPartialAck() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(10_000))
        for i in 0..<10 { _ = h.expectTransmit(i == 9 ? [.ack, .psh] : .ack, seq: rel(iss, i * 1000), length: 1000) }
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(10))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(11))
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(11))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(12))
        h.expectTransmit(.ack, seq: rel(iss, 1000), length: 1000)
        h.expectNothing()
        var snap = try #require(h.stack.snapshot(id))
        #expect(snap.ssthresh == 4500)
        #expect(snap.cwnd == 4500 + 3000)
        // A fourth duplicate inflates the window (RFC 5681 §3.2 step 4).
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(13))
        #expect(h.stack.snapshot(id)?.cwnd == 8500)
        // Partial ACK: the next hole is retransmitted at once (RFC 6582 §3.2 step 5).
        h.deliver(.ack, seq: 1001, ack: rel(iss, 3000), at: .ms(20))
        h.expectTransmit(.ack, seq: rel(iss, 3000), length: 1000)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 10_000), at: .ms(30))
        snap = try #require(h.stack.snapshot(id))
        #expect(snap.cwnd == 2000, "RFC 6582 §3.2 step 3: min(ssthresh, max(FlightSize, SMSS) + SMSS)")
        #expect(snap.retransmissions == 2)
        h.expectNothing()
    }

    @Test("a timeout sets cwnd to one segment and ssthresh to half the flight (RFC 5681 §3.1 (4))")
    func timeoutCollapsesWindow() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(4000))
        for _ in 0..<4 { _ = h.transmit() }
        h.at(.ms(200))
        h.expectTransmit(.ack, seq: rel(iss, 0), length: 1000)
        h.expectNothing()
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.cwnd == 1000)
        #expect(snap.ssthresh == 2000)
        // Go-back-N after the timeout: each ACK lets the next segments go (slow start).
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(250))
        h.expectTransmit(.ack, seq: rel(iss, 1000), length: 1000)
        h.expectTransmit(.ack, seq: rel(iss, 2000), length: 1000)
        h.expectNothing()
    }
}

@Suite("SACK (RFC 2018, RFC 6675)")
struct SACKTests {
    @Test("SACK-permitted is negotiated; the receiver reports out-of-order blocks, most recent first (RFC 2018 §4)")
    func sackGeneration() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1460), .sackPermitted])
        #expect(h.stack.snapshot(id)?.sackEnabled == true)
        h.deliver(.ack, seq: 2001, ack: iss &+ 1, payload: bytes(100))
        var s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 2001, right: 2101)])
        h.deliver(.ack, seq: 3001, ack: iss &+ 1, payload: bytes(100))
        s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 3001, right: 3101), SACKBlock(left: 2001, right: 2101)])
        h.deliver(.ack, seq: 2101, ack: iss &+ 1, payload: bytes(100))
        s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 2001, right: 2201), SACKBlock(left: 3001, right: 3101)])
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: bytes(1000))
        s = try #require(h.expectTransmit(.ack, ack: 2201))
        #expect(s.options.sackBlocks == [SACKBlock(left: 3001, right: 3101)])
    }

    @Test("SACK-permitted is not offered back unless the peer offered it (RFC 2018 §2)")
    func noSackWithoutOffer() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        _ = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, options: [.mss(1460)])
        let synAck = try #require(h.expectTransmit([.syn, .ack]))
        #expect(!synAck.options.sackPermitted)
    }

    @Test("SACK recovery retransmits a second hole without waiting for a partial ACK (RFC 6675 §5 NextSeg)")
    func sackRecovery() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000), .sackPermitted])
        _ = h.send(id, bytes(10_000))
        for _ in 0..<10 { _ = h.transmit() }
        func block(_ l: Int, _ r: Int) -> SACKBlock { SACKBlock(left: SequenceNumber(rel(iss, l)), right: SequenceNumber(rel(iss, r))) }
        // Segments 2 (1000..<2000) and 4 (3000..<4000) are lost.
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(10))
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), options: [.sack([block(2000, 3000)])], at: .ms(11))
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), options: [.sack([block(4000, 5000), block(2000, 3000)])], at: .ms(12))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), options: [.sack([block(4000, 6000), block(2000, 3000)])], at: .ms(13))
        // Recovery: the first hole goes at once.
        h.expectTransmit(.ack, seq: rel(iss, 1000), length: 1000)
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.cwnd == 4500)
        // More SACKed data above the second hole marks it lost; pipe now allows its retransmission.
        h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), options: [.sack([block(4000, 7000), block(2000, 3000)])], at: .ms(14))
        h.expectTransmit(.ack, seq: rel(iss, 3000), length: 1000)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 3000), options: [.sack([block(4000, 10_000)])], at: .ms(20))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 10_000), at: .ms(21))
        #expect(h.stack.snapshot(id)?.retransmissions == 2)
        #expect(h.stack.snapshot(id)?.sendQueued == 0)
    }
}

@Suite("Timestamps (RFC 7323 §3–§5)")
struct TimestampTests {
    @Test("timestamps are negotiated, echoed, and give RTT samples (RFC 7323 §4)")
    func timestamps() throws {
        let h = Harness(testConfiguration { $0.timestamps = true })
        _ = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, options: [.mss(1460), .timestamps(value: 777, echoReply: 0)])
        let synAck = try #require(h.expectTransmit([.syn, .ack]))
        let ts = try #require(synAck.options.timestamps)
        #expect(ts.echoReply == 777)
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1,
                  options: [.timestamps(value: 778, echoReply: ts.value)], at: .ms(30))
        let id = try #require(h.stack.connectionIDs.first)
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.timestampsEnabled)
        #expect(snap.srtt == .milliseconds(30))
        #expect(snap.mss == 1460)
        _ = h.send(id, bytes(2000))
        let data = try #require(h.expectTransmit(.ack, length: 1448), "payload shrinks by the 12 option bytes (RFC 6691)")
        #expect(data.options.timestamps?.echoReply == 778)
    }

    @Test("PAWS: a segment with an older TSval is dropped with an ACK (RFC 7323 §5.3)")
    func paws() throws {
        let h = Harness(testConfiguration { $0.timestamps = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1460), .timestamps(value: 1000, echoReply: 0)])
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, options: [.timestamps(value: 1001, echoReply: 0)], payload: [1])
        _ = h.expectTransmit(.ack, ack: 1002)
        h.deliver(.ack, seq: 1002, ack: iss &+ 1, options: [.timestamps(value: 900, echoReply: 0)], payload: [2])
        _ = h.expectTransmit(.ack, ack: 1002)
        #expect(h.stack.snapshot(id)?.receiveQueued == 1)
    }
}

@Suite("Options come out of the MSS (RFC 6691)")
struct OptionSpaceTests {
    @Test("a data segment carrying SACK blocks shrinks its payload to stay within the peer's MSS")
    func sackBlocksShrinkPayload() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000), .sackPermitted])
        h.deliver(.ack, seq: 3001, ack: iss &+ 1, payload: [1])
        _ = h.expectTransmit(.ack, ack: 1001)
        _ = h.send(id, bytes(2000))
        let s = try #require(h.expectTransmit(.ack, seq: iss &+ 1, length: 1000 - 12))
        #expect(s.options.sackBlocks == [SACKBlock(left: 3001, right: 3002)])
    }
}

@Suite("Small flights: limited transmit and early retransmit (RFC 3042, RFC 5827)")
struct SmallFlightTests {
    @Test("each of the first two duplicate ACKs sends one new segment beyond cwnd (RFC 3042 §2)")
    func limitedTransmit() throws {
        let h = Harness(testConfiguration { $0.initialWindowSegments = 4 })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(8000))
        for i in 0..<4 { _ = h.expectTransmit(.ack, seq: rel(iss, i * 1000), length: 1000) }
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), at: .ms(10))
        h.expectTransmit(.ack, seq: rel(iss, 4000), length: 1000)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), at: .ms(11))
        h.expectTransmit(.ack, seq: rel(iss, 5000), length: 1000)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), at: .ms(12))
        h.expectTransmit(.ack, seq: rel(iss, 0), length: 1000)
    }

    @Test("with three segments out and nothing new to send, two duplicate ACKs retransmit (RFC 5827 §3.1)")
    func earlyRetransmit() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(3000))
        for _ in 0..<3 { _ = h.transmit() }
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), at: .ms(10))
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: rel(iss, 0), at: .ms(11))
        h.expectTransmit(.ack, seq: rel(iss, 0), length: 1000)
        #expect(h.stack.snapshot(id)?.retransmissions == 1)
    }
}
