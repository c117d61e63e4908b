// RST processing and RFC 5961 mitigations (RFC 9293 §3.10.7.4 second and fourth steps, §3.5.2).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("ESTABLISHED: RST, SYN and ACK checks (RFC 9293 §3.10.7.4, RFC 5961)")
struct ResetTests {
    @Test("a RST at exactly RCV.NXT resets the connection (RFC 5961 §3.2)")
    func exactRST() throws {
        let h = Harness()
        let (id, _) = h.establishedPassive()
        h.deliver(.rst, seq: 1001)
        h.expectNothing()
        #expect(h.events().contains(.connection(id, .failed(.connectionReset))))
        #expect(h.stack.snapshot(id) == nil)
    }

    @Test("an in-window RST not at RCV.NXT draws a challenge ACK and changes nothing (RFC 5961 §3.2)")
    func inWindowRST() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.rst, seq: 1500)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        #expect(h.state(id) == .established)
        #expect(h.stack.statistics.challengeAcksSent == 1)
    }

    @Test("an out-of-window RST is dropped silently (RFC 9293 §3.10.7.4 first)")
    func outOfWindowRST() throws {
        let h = Harness()
        let (id, _) = h.establishedPassive()
        h.deliver(.rst, seq: 1001 &+ 100_000)
        h.deliver(.rst, seq: 900)
        h.expectNothing()
        #expect(h.state(id) == .established)
    }

    @Test("a SYN in ESTABLISHED draws a challenge ACK, whatever its sequence number (RFC 5961 §4.2)")
    func synInEstablished() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.syn, seq: 1001)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        h.deliver(.syn, seq: 5)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        #expect(h.state(id) == .established)
    }

    @Test("an ACK of data never sent is answered with an ACK and dropped (RFC 9293 §3.10.7.4 fifth)")
    func ackOfUnsent() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 50, payload: [1, 2])
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        #expect(h.stack.snapshot(id)?.receiveQueued == 0)
    }

    @Test("an ACK far below SND.UNA − MAX.SND.WND is dropped with a challenge ACK (RFC 5961 §5.2)")
    func ackTooOld() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &- 100_000, payload: [1, 2])
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1001)
        #expect(h.stack.snapshot(id)?.receiveQueued == 0)
        #expect(h.stack.statistics.challengeAcksSent == 1)
    }

    @Test("challenge ACKs are rate limited across the stack (RFC 5961 §7)")
    func challengeRateLimit() throws {
        let h = Harness(testConfiguration { $0.challengeAckLimit = 2 })
        _ = h.establishedPassive()
        h.deliver(.rst, seq: 1500)
        _ = h.expectTransmit(.ack)
        h.deliver(.rst, seq: 1500)
        _ = h.expectTransmit(.ack)
        for _ in 0..<3 {
            h.deliver(.rst, seq: 1500)
            h.expectNothing()
        }
        h.deliver(.rst, seq: 1500, at: .ms(1000))
        _ = h.expectTransmit(.ack)
        #expect(h.stack.statistics.challengeAcksSent == 3)
    }

    @Test("RST in TIME-WAIT closes the connection (RFC 9293 §3.10.7.4 second)")
    func rstInTimeWait() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 2)
        _ = h.expectTransmit(.ack)
        #expect(h.state(id) == .timeWait)
        h.deliver(.rst, seq: 1002)
        #expect(h.stack.snapshot(id) == nil)
    }

    @Test("a retransmitted SYN in SYN-RECEIVED draws the SYN-ACK again")
    func duplicateSYN() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        let first = try #require(h.expectTransmit([.syn, .ack]))
        h.deliver(.syn, seq: 1000)
        h.expectTransmit([.syn, .ack], seq: first.sequenceNumber.rawValue, ack: 1001)
        h.expectNothing()
    }
}

@Suite("Listener backlog and TIME-WAIT reuse")
struct ListenerTests {
    @Test("without SYN cookies a full backlog drops further SYNs (SYN flood bound, RFC 4987 §3.2)")
    func backlogLimit() throws {
        let h = Harness(testConfiguration { $0.synFloodDefense = .drop })
        let l = try h.stack.listen(port: 8080, backlog: 2)
        for port: UInt16 in 1...5 { h.deliver(.syn, seq: 1000, sourcePort: port) }
        _ = h.expectTransmit([.syn, .ack])
        _ = h.expectTransmit([.syn, .ack])
        h.expectNothing()
        #expect(h.stack.statistics.synBacklogDrops == 3)
        #expect(h.stack.connectionIDs.count == 2)
        // Accepting frees a slot.
        h.deliver(.ack, seq: 1001, ack: h.stack.snapshot(h.stack.connectionIDs[0])!.snd.iss.rawValue &+ 1, sourcePort: 1)
        #expect(h.stack.accept(l) != nil)
        h.deliver(.syn, seq: 1000, sourcePort: 9)
        _ = h.expectTransmit([.syn, .ack])
    }

    @Test("listening twice on a port fails with addressInUse")
    func addressInUse() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        #expect(throws: EngineError.addressInUse) { try h.stack.listen(port: 8080) }
        #expect(throws: EngineError.addressNotAvailable) { try h.stack.listen(address: IPv4Address(1, 2, 3, 4), port: 1) }
    }

    @Test("closing a listener resets connections not yet accepted")
    func closeListener() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        let synAck = try #require(h.expectTransmit([.syn, .ack]))
        h.stack.closeListener(l, at: h.now)
        h.expectTransmit(.rst, seq: synAck.sequenceNumber.rawValue &+ 1)
        #expect(h.stack.connectionIDs.isEmpty)
        h.deliver(.syn, seq: 1000)
        h.expectTransmit([.rst, .ack], ack: 1001)
    }

    @Test("a connection reset while it waits in the accept queue is still accepted, and its reset reported")
    func resetInAcceptQueue() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1)
        h.deliver(.rst, seq: 1001)
        _ = h.events()
        #expect(h.stack.listenerSnapshot(l)?.acceptQueued == 1)
        // accept(2) returns it, as Linux's does: the application learns the peer connected and reset.
        let id = try #require(h.stack.accept(l))
        #expect(h.events() == [.connection(id, .failed(.connectionReset))])
        #expect(h.stack.listenerSnapshot(l)?.acceptQueued == 0)
        #expect(h.stack.snapshot(id) == nil)
        #expect(h.stack.accept(l) == nil)
    }

    @Test("a connection reset in SYN-RECEIVED never reaches the accept queue (RFC 9293 §3.10.7.4)")
    func resetBeforeHandshakeCompletes() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        _ = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        h.deliver(.rst, seq: 1001)
        #expect(h.stack.listenerSnapshot(l)?.acceptQueued == 0)
        #expect(h.stack.accept(l) == nil)
        #expect(h.stack.connectionIDs.isEmpty)
    }

    @Test("a new SYN with a higher sequence number reopens a TIME-WAIT tuple (RFC 9293 §3.6.1, RFC 6191)")
    func timeWaitReuse() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 2)
        _ = h.expectTransmit(.ack)
        #expect(h.state(id) == .timeWait)
        // A SYN below RCV.NXT is an old duplicate: it gets the TIME-WAIT ACK, not a new connection.
        h.deliver(.syn, seq: 500)
        h.expectTransmit(.ack, ack: 1002)
        #expect(h.state(id) == .timeWait)
        h.deliver(.syn, seq: 90_000, at: .ms(10))
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 90_001))
        #expect(h.stack.snapshot(id) == nil)
        let newID = try #require(h.stack.connectionIDs.first)
        #expect(h.state(newID) == .synReceived)
        #expect(synAck.sequenceNumber.rawValue != iss)
    }
}
