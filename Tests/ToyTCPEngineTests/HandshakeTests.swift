// Scenarios of RFC 9293 §3.5 (establishing a connection), by state.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("LISTEN and SYN-RECEIVED (RFC 9293 §3.10.7.2)")
struct PassiveOpenTests {
    @Test("three-way handshake, passive side (RFC 9293 §3.5 figure 6)")
    func passiveHandshake() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, options: [.mss(1000)])
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 1001))
        #expect(synAck.options.mss == 1460)
        h.expectNothing()
        #expect(h.stack.accept(l) == nil)
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1)
        h.expectNothing()
        let id = try #require(h.stack.accept(l))
        #expect(h.state(id) == .established)
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.mss == 1000)
        #expect(snap.rcv.irs == 1000)
        let ev = h.events()
        #expect(ev.contains(.incoming(l)))
        #expect(ev.contains(.connection(id, .stateChanged(from: .listen, to: .synReceived))))
        #expect(ev.contains(.connection(id, .stateChanged(from: .synReceived, to: .established))))
        #expect(ev.contains(.connection(id, .connected)))
    }

    @Test("an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2)")
    func ackToListener() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        h.deliver(.ack, seq: 1, ack: 777)
        h.expectTransmit(.rst, seq: 777)
        h.expectNothing()
    }

    @Test("a RST to a listener is ignored (RFC 9293 §3.10.7.2)")
    func rstToListener() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        h.deliver(.rst, seq: 1)
        h.expectNothing()
    }

    @Test("SYN-ACK is retransmitted with backoff; the final ACK still completes (RFC 6298 (5.5))")
    func synAckRetransmission() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, at: .ms(0))
        let first = try #require(h.expectTransmit([.syn, .ack]))
        #expect(h.stack.nextDeadline == .ms(1000))
        h.at(.ms(1000))
        h.expectTransmit([.syn, .ack], seq: first.sequenceNumber.rawValue, ack: 1001)
        #expect(h.stack.nextDeadline == .ms(3000))
        h.deliver(.ack, seq: 1001, ack: first.sequenceNumber.rawValue &+ 1, at: .ms(1100))
        #expect(h.stack.accept(l) != nil)
    }

    @Test("ACK in SYN-RECEIVED acknowledging nothing sent draws a RST (RFC 9293 §3.10.7.4 fifth)")
    func badAckInSynReceived() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        let synAck = try #require(h.expectTransmit([.syn, .ack]))
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 100)
        h.expectTransmit(.rst, seq: synAck.sequenceNumber.rawValue &+ 100)
    }

    @Test("RST in SYN-RECEIVED from a passive open drops the embryonic connection (RFC 9293 §3.10.7.4 second)")
    func rstInSynReceived() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        _ = h.expectTransmit([.syn, .ack])
        h.deliver(.rst, seq: 1001)
        h.expectNothing()
        #expect(h.stack.connectionIDs.isEmpty)
        #expect(h.stack.accept(l) == nil)
    }
}

@Suite("SYN-SENT (RFC 9293 §3.10.7.3)")
struct ActiveOpenTests {
    @Test("three-way handshake, active side (RFC 9293 §3.5 figure 6)")
    func activeHandshake() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: 80, at: .zero)
        #expect(h.state(id) == .synSent)
        let syn = try #require(h.expectTransmit(.syn))
        #expect(syn.options.mss == 1460)
        #expect(h.stack.configuration.ephemeralPorts.contains(syn.sourcePort))
        h.deliver([.syn, .ack], seq: 300, ack: syn.sequenceNumber.rawValue &+ 1, options: [.mss(536)],
                  sourcePort: 80, destinationPort: syn.sourcePort)
        h.expectTransmit(.ack, seq: syn.sequenceNumber.rawValue &+ 1, ack: 301)
        #expect(h.state(id) == .established)
        #expect(h.stack.snapshot(id)?.mss == 536)
        #expect(h.events().contains(.connection(id, .connected)))
    }

    @Test("SYN-ACK with a bad ACK draws <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.3 first)")
    func badAckInSynSent() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        h.deliver([.syn, .ack], seq: 300, ack: syn.sequenceNumber.rawValue &+ 5)
        h.expectTransmit(.rst, seq: syn.sequenceNumber.rawValue &+ 5)
        h.expectNothing()
        #expect(h.state(id) == .synSent)
    }

    @Test("RST with an acceptable ACK in SYN-SENT: connection refused (RFC 9293 §3.10.7.3 second)")
    func refused() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        h.deliver([.rst], seq: 0, ack: syn.sequenceNumber.rawValue &+ 1)
        h.expectNothing()
        h.deliver([.rst, .ack], seq: 0, ack: syn.sequenceNumber.rawValue &+ 1)
        h.expectNothing()
        #expect(h.events().contains(.connection(id, .failed(.connectionRefused))))
        #expect(h.stack.snapshot(id) == nil)
    }

    @Test("simultaneous open: SYN in SYN-SENT → SYN-RECEIVED → ESTABLISHED (RFC 9293 §3.5 figure 7)")
    func simultaneousOpen() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        let iss = syn.sequenceNumber.rawValue
        h.deliver(.syn, seq: 300)
        #expect(h.state(id) == .synReceived)
        h.expectTransmit([.syn, .ack], seq: iss, ack: 301)
        h.deliver([.syn, .ack], seq: 300, ack: iss &+ 1)
        #expect(h.state(id) == .established)
        // Figure 7 line 6: the SYN-ACK completes the handshake; nothing more is owed.
        h.expectNothing()
    }

    @Test("SYN retries back off and end in .failed(.timedOut) (RFC 6298 (5.5), RFC 9293 §3.8.3)")
    func synRetryLimit() throws {
        let h = Harness(testConfiguration { $0.synRetries = 2 })
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        _ = h.expectTransmit(.syn)
        h.at(.ms(1000)); h.expectTransmit(.syn)
        #expect(h.stack.nextDeadline == .ms(3000))
        h.at(.ms(3000)); h.expectTransmit(.syn)
        #expect(h.stack.nextDeadline == .ms(7000))
        h.at(.ms(7000)); h.expectNothing()
        #expect(h.events().contains(.connection(id, .failed(.timedOut))))
        #expect(h.stack.snapshot(id) == nil)
    }
}

@Suite("CLOSED (RFC 9293 §3.10.7.1)")
struct ClosedPortTests {
    @Test("SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>")
    func synToClosedPort() {
        let h = Harness()
        h.deliver(.syn, seq: 1000)
        h.expectTransmit([.rst, .ack], seq: 0, ack: 1001)
        h.expectNothing()
        #expect(h.stack.statistics.noConnectionSegments == 1)
    }

    @Test("data with ACK to a closed port draws <SEQ=SEG.ACK><CTL=RST>")
    func ackToClosedPort() {
        let h = Harness()
        h.deliver([.ack, .psh], seq: 1000, ack: 99, payload: [1, 2, 3])
        h.expectTransmit(.rst, seq: 99)
    }

    @Test("a RST to a closed port is dropped")
    func rstToClosedPort() {
        let h = Harness()
        h.deliver(.rst, seq: 1000)
        h.expectNothing()
    }

    @Test("malformed packets and bad checksums are counted and dropped")
    func malformed() {
        let h = Harness()
        [UInt8](repeating: 0x45, count: 10).withUnsafeBytes { h.stack.handle(packet: $0, at: .zero) }
        let seg = TCPSegment(sourcePort: 1, destinationPort: 2, sequenceNumber: 1, flags: .syn)
        var bytes = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress), segment: seg).bytes()
        bytes[bytes.count - 1] ^= 0xFF
        bytes.withUnsafeBytes { h.stack.handle(packet: $0, at: .zero) }
        h.expectNothing()
        #expect(h.stack.statistics.malformedDropped == 1)
        #expect(h.stack.statistics.badChecksumDropped == 1)
    }
}
