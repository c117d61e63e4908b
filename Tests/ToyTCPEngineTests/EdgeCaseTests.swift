// Less common paths of RFC 9293 §3.10: out-of-order FIN, data on a SYN-ACK, user-call errors, timers.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Edge cases (RFC 9293 §3.10)")
struct EdgeCaseTests {
    @Test("a FIN beyond a gap takes effect when the gap fills (RFC 9293 §3.10.7.4 eighth)")
    func outOfOrderFin() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver([.fin, .ack], seq: 1004, ack: iss &+ 1, payload: [4, 5])
        h.expectTransmit(.ack, ack: 1001)
        #expect(h.state(id) == .established)
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1, 2, 3])
        h.expectTransmit(.ack, ack: 1007)
        #expect(h.state(id) == .closeWait)
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == [1, 2, 3, 4, 5])
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == nil)
    }

    @Test("data on the SYN-ACK is delivered (RFC 9293 §3.10.7.3: 'continue processing at the sixth step')")
    func dataOnSynAck() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        h.deliver([.syn, .ack], seq: 300, ack: syn.sequenceNumber.rawValue &+ 1, payload: [7, 8])
        h.expectTransmit(.ack, ack: 303)
        #expect(try h.stack.receive(id, maxLength: 10, at: h.now) == [7, 8])
    }

    @Test("handleTimeout early or twice does nothing (sans-IO contract)")
    func harmlessTimeouts() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        _ = h.send(id, [1])
        _ = h.expectTransmit([.ack, .psh])
        h.at(.ms(100)); h.at(.ms(100)); h.at(.ms(199))
        h.expectNothing()
        h.at(.ms(200)); h.at(.ms(200))
        h.expectTransmit([.ack, .psh], seq: iss &+ 1)
        h.expectNothing()
    }

    @Test("user calls fail with the RFC's errors (RFC 9293 §3.10)")
    func userCallErrors() throws {
        let h = Harness()
        let unknown = ConnectionID(rawValue: 999)
        #expect(throws: EngineError.unknownConnection) { try h.stack.close(unknown, at: .zero) }
        #expect(throws: EngineError.addressNotAvailable) {
            try h.stack.connect(to: peerAddress, port: 1, from: IPv4Address(9, 9, 9, 9), at: .zero)
        }
        let (id, _) = h.establishedPassive()
        #expect(throws: EngineError.addressInUse) {
            try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        }
        try h.stack.close(id, at: h.now)
        #expect(throws: EngineError.connectionClosing) {
            try [UInt8(1)].withUnsafeBytes { try h.stack.send(id, $0, at: h.now) }
        }
    }

    @Test("after a reset the id is gone; the failure came as an event (RFC 9293 §3.10.7.4)")
    func resetThenCalls() throws {
        let h = Harness()
        let (id, _) = h.establishedPassive()
        h.deliver(.rst, seq: 1001)
        #expect(throws: EngineError.unknownConnection) { try h.stack.receive(id, maxLength: 1, at: h.now) }
        #expect(h.events().contains(.connection(id, .failed(.connectionReset))))
    }

    @Test("close with unread data sends RST (RFC 9293 §3.10.4, RFC 1122 §4.2.2.13)")
    func closeWithUnreadData() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1, 2, 3])
        _ = h.expectTransmit(.ack)
        try h.stack.close(id, at: h.now)
        h.expectTransmit(.rst, seq: iss &+ 1)
        #expect(h.stack.snapshot(id) == nil)
    }

    @Test("FIN-WAIT-2 after a full close gives up after 2*MSL (deviation like Linux tcp_fin_timeout)")
    func finWait2Limit() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.close(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver(.ack, seq: 1001, ack: iss &+ 2)
        #expect(h.state(id) == .finWait2)
        #expect(h.stack.nextDeadline == .ms(2000))
        h.at(.ms(2000))
        #expect(h.stack.snapshot(id) == nil)
    }

    @Test("a half-closed FIN-WAIT-2 waits for the peer as long as it takes (RFC 9293 §3.6)")
    func finWait2NoLimitAfterShutdown() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        try h.stack.shutdown(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver(.ack, seq: 1001, ack: iss &+ 2)
        #expect(h.state(id) == .finWait2)
        #expect(h.stack.nextDeadline == nil)
    }

    @Test("every transition is announced as .stateChanged (the shell traces them)")
    func transitionsAnnounced() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        h.deliver([.syn, .ack], seq: 300, ack: syn.sequenceNumber.rawValue &+ 1)
        _ = h.expectTransmit(.ack)
        try h.stack.close(id, at: h.now)
        _ = h.expectTransmit([.fin, .ack])
        h.deliver([.fin, .ack], seq: 301, ack: syn.sequenceNumber.rawValue &+ 1)
        _ = h.expectTransmit(.ack)
        h.deliver(.ack, seq: 302, ack: syn.sequenceNumber.rawValue &+ 2)
        h.at(.ms(5000))
        let transitions = h.events().compactMap { e -> String? in
            if case .connection(_, .stateChanged(let a, let b)) = e { return "\(a)>\(b)" }
            return nil
        }
        #expect(transitions == ["CLOSED>SYN-SENT", "SYN-SENT>ESTABLISHED", "ESTABLISHED>FIN-WAIT-1",
                                "FIN-WAIT-1>CLOSING", "CLOSING>TIME-WAIT", "TIME-WAIT>CLOSED"])
    }
}

@Suite("CLOSE in SYN-RECEIVED (RFC 9293 §3.10.4, figure 5 SYN-RCVD → FIN-WAIT-1)")
struct CloseInSynReceivedTests {
    @Test("simultaneous open, then CLOSE in SYN-RECEIVED: FIN at once, SYN-ACK still retransmitted")
    func closeInSynReceived() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let iss = try #require(h.expectTransmit(.syn)).sequenceNumber.rawValue
        h.deliver(.syn, seq: 300)
        h.expectTransmit([.syn, .ack], seq: iss, ack: 301)
        #expect(h.state(id) == .synReceived)
        try h.stack.close(id, at: h.now)
        #expect(h.state(id) == .finWait1)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 301)
        h.expectNothing()
        // Nothing acknowledged: the timer resends the SYN-ACK, then the FIN.
        let deadline = try #require(h.stack.nextDeadline)
        h.at(deadline)
        h.expectTransmit([.syn, .ack], seq: iss, ack: 301)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 301)
        // The peer's SYN-ACK acknowledges our SYN; its FIN-ACK then our FIN.
        h.deliver([.syn, .ack], seq: 300, ack: iss &+ 1)
        #expect(h.state(id) == .finWait1)
        h.deliver([.fin, .ack], seq: 301, ack: iss &+ 2)
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 302)
        #expect(h.state(id) == .timeWait)
    }
}

@Suite("Regressions found by the simulated network (sim branch, EngineRegressionTests)")
struct SimRegressionTests {
    @Test("after a timeout rewinds SND.NXT, pure ACKs carry SND.MAX so the peer accepts them")
    func ackSequenceAfterRTO() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(3000))
        for _ in 0..<3 { _ = h.transmit() }
        h.at(.ms(200))
        _ = h.expectTransmit(.ack, seq: iss &+ 1, length: 1000)
        // Data from the peer: our ACK must not use the rewound SND.NXT (iss + 1001).
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1], at: .ms(210))
        h.expectTransmit(.ack, seq: iss &+ 3001, ack: 1002)
    }

    @Test("with timestamps, every second 1448-byte segment is acknowledged at once (RFC 5681 §4.2)")
    func delayedAckWithTimestamps() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true; $0.timestamps = true })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1460), .timestamps(value: 1, echoReply: 0)])
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, options: [.timestamps(value: 2, echoReply: 0)], payload: bytes(1448))
        h.expectNothing()
        h.deliver(.ack, seq: 2449, ack: iss &+ 1, options: [.timestamps(value: 3, echoReply: 0)], payload: bytes(1448))
        h.expectTransmit(.ack, ack: 3897)
    }

    @Test("after a timeout, cwnd is one segment of payload: no tiny sliver follows the retransmission")
    func noSliverAfterRTO() throws {
        let h = Harness(testConfiguration { $0.timestamps = true })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1460), .timestamps(value: 1, echoReply: 0)])
        _ = h.send(id, bytes(10_000))
        while h.transmit() != nil {}
        h.at(try #require(h.stack.nextDeadline))
        h.expectTransmit(.ack, seq: iss &+ 1, length: 1448)
        h.expectNothing()
    }
}
