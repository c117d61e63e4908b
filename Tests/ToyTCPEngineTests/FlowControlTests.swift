// Flow control (RFC 9293 §3.8.6), window scaling (RFC 7323 §2), delayed ACK and Nagle.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Flow control: zero window and persist (RFC 9293 §3.8.6.1)")
struct ZeroWindowTests {
    @Test("a zero window stops sending; the persist timer probes with backoff until it opens")
    func persistProbes() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(3000))
        _ = h.expectTransmit(.ack, seq: iss &+ 1, length: 1000)
        _ = h.expectTransmit(.ack, seq: iss &+ 1001, length: 1000)
        _ = h.expectTransmit([.ack, .psh], seq: iss &+ 2001, length: 1000)
        // The peer takes everything but its buffer is now full.
        h.deliver(.ack, seq: 1001, ack: iss &+ 2001, window: 0, at: .ms(10))
        h.expectNothing()
        #expect(h.stack.snapshot(id)?.snd.wnd == 0)
        _ = h.send(id, bytes(500))
        h.deliver(.ack, seq: 1001, ack: iss &+ 3001, window: 0, at: .ms(20))
        h.expectNothing()
        let rto = try #require(h.stack.snapshot(id)?.rto)
        let first = try #require(h.stack.nextDeadline)
        #expect(first == .ms(20) + rto)
        h.at(first)
        // Linux-style probe: SND.UNA − 1, no data; the peer must answer with an ACK.
        h.expectTransmit(.ack, seq: iss &+ 3000, length: 0)
        h.expectNothing()
        let second = try #require(h.stack.nextDeadline)
        #expect(second == first + rto * 2)
        h.deliver(.ack, seq: 1001, ack: iss &+ 3001, window: 0, at: second - .milliseconds(1))
        h.at(second)
        h.expectTransmit(.ack, seq: iss &+ 3000, length: 0)
        // The window opens: the queued data goes at once.
        h.deliver(.ack, seq: 1001, ack: iss &+ 3001, window: 4000, at: second + .milliseconds(5))
        h.expectTransmit([.ack, .psh], seq: iss &+ 3001, length: 500)
        h.expectNothing()
    }

    @Test("the receiver offers a zero window when its buffer is full, and a window update after reading")
    func receiverZeroWindow() throws {
        let h = Harness(testConfiguration { $0.receiveBufferSize = 4000 })
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: bytes(1460))
        h.expectTransmit(.ack, ack: 2461, window: 2540)
        h.deliver(.ack, seq: 2461, ack: iss &+ 1, payload: bytes(1460))
        h.expectTransmit(.ack, ack: 3921, window: 1080)
        h.deliver(.ack, seq: 3921, ack: iss &+ 1, payload: bytes(1080))
        h.expectTransmit(.ack, ack: 5001, window: 0)
        // A zero-window probe (SEG.SEQ = RCV.NXT − 1) and data beyond the window are both unacceptable:
        // each draws an ACK repeating the zero window (RFC 9293 §3.10.7.4, case 3).
        h.deliver(.ack, seq: 5000, ack: iss &+ 1)
        h.expectTransmit(.ack, ack: 5001, window: 0)
        h.deliver(.ack, seq: 5001, ack: iss &+ 1, payload: [1])
        h.expectTransmit(.ack, ack: 5001, window: 0)
        // Reading a little does not reopen a silly window (RFC 9293 §3.8.6.2.2).
        _ = try h.stack.receive(id, maxLength: 100, at: h.now)
        h.expectNothing()
        // Reading enough announces the new window.
        _ = try h.stack.receive(id, maxLength: 4000, at: h.now)
        h.expectTransmit(.ack, ack: 5001, window: 4000)
    }

    @Test("sender SWS avoidance: no small segment into a small window while data is outstanding (RFC 9293 §3.8.6.2.1)")
    func senderSWS() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)], window: 10_000)
        _ = h.send(id, bytes(10_500))
        for i in 0..<10 { _ = h.expectTransmit(.ack, seq: iss &+ 1 &+ UInt32(i * 1000), length: 1000) }
        h.expectNothing()
        // 100 bytes of window open: less than MSS, less than half the largest window — wait.
        h.deliver(.ack, seq: 1001, ack: iss &+ 101, window: 10_000)
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: iss &+ 10_001, window: 10_000)
        h.expectTransmit([.ack, .psh], seq: iss &+ 10_001, length: 500)
    }
}

@Suite("Window scale (RFC 7323 §2)")
struct WindowScaleTests {
    @Test("shifts are exchanged on SYNs; windows after the handshake are scaled both ways")
    func scaling() throws {
        let h = Harness(testConfiguration { $0.windowScaling = true; $0.receiveBufferSize = 1 << 20 })
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, window: 65535, options: [.mss(1460), .nop, .windowScale(7)])
        let synAck = try #require(h.expectTransmit([.syn, .ack]))
        #expect(synAck.options.windowScale == 5)
        #expect(synAck.window == 65535, "a SYN's window is never scaled")
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1, window: 100)
        let id = try #require(h.stack.accept(l))
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.snd.wnd == 100 << 7)
        #expect(snap.snd.windowShift == 7)
        #expect(snap.rcv.windowShift == 5)
        h.deliver(.ack, seq: 1001, ack: synAck.sequenceNumber.rawValue &+ 1, window: 100, payload: [1])
        h.expectTransmit(.ack, ack: 1002, window: UInt16(((1 << 20) - 1) >> 5))
    }

    @Test("without the peer's option neither side scales (RFC 7323 §2.2)")
    func noScaling() throws {
        let h = Harness(testConfiguration { $0.windowScaling = true; $0.receiveBufferSize = 1 << 20 })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1460)])
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.rcv.windowShift == 0 && snap.snd.windowShift == 0)
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: [1])
        h.expectTransmit(.ack, ack: 1002, window: 65535)
    }

    @Test("an announced shift above 14 is used as 14 (RFC 7323 §2.3)")
    func clampShift() throws {
        let h = Harness(testConfiguration { $0.windowScaling = true })
        let (id, _) = h.establishedPassive(peerOptions: [.mss(1460), .windowScale(20)], window: 1)
        #expect(h.stack.snapshot(id)?.snd.windowShift == 14)
    }
}

@Suite("Delayed ACK and Nagle (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2 and §4.2.3.4)")
struct DelayedAckNagleTests {
    @Test("one segment: the ACK waits for the delayed-ACK timer")
    func delayedAck() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true; $0.delayedAckTimeout = .milliseconds(40) })
        let (_, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: bytes(100), at: .ms(100))
        h.expectNothing()
        #expect(h.stack.nextDeadline == .ms(140))
        h.at(.ms(140))
        h.expectTransmit(.ack, ack: 1101)
    }

    @Test("every second full-sized segment is acknowledged at once")
    func ackEverySecondSegment() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true })
        let (_, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: bytes(1460))
        h.expectNothing()
        h.deliver(.ack, seq: 2461, ack: iss &+ 1, payload: bytes(1460))
        h.expectTransmit(.ack, ack: 3921)
        #expect(h.stack.nextDeadline == nil)
    }

    @Test("out-of-order data is acknowledged at once even with delayed ACKs (RFC 5681 §4.2)")
    func outOfOrderImmediate() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true })
        let (_, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 2001, ack: iss &+ 1, payload: bytes(10))
        h.expectTransmit(.ack, ack: 1001)
    }

    @Test("data to send carries the delayed ACK (piggybacking)")
    func piggyback() throws {
        let h = Harness(testConfiguration { $0.delayedAck = true })
        let (id, iss) = h.establishedPassive()
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, payload: bytes(10))
        _ = h.send(id, [1, 2, 3])
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, ack: 1011, length: 3)
        h.expectNothing()
        #expect(h.stack.nextDeadline != nil) // the retransmission timer, not the delayed ACK
    }

    @Test("Nagle on: a second small write waits for the ACK of the first")
    func nagleOn() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive()
        _ = h.send(id, [1])
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 1)
        _ = h.send(id, [2])
        _ = h.send(id, [3])
        h.expectNothing()
        h.deliver(.ack, seq: 1001, ack: iss &+ 2)
        h.expectTransmit([.ack, .psh], seq: iss &+ 2, length: 2)
    }

    @Test("Nagle off: small writes go at once")
    func nagleOff() throws {
        let h = Harness(testConfiguration { $0.nagle = false })
        let (id, iss) = h.establishedPassive()
        _ = h.send(id, [1])
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, length: 1)
        _ = h.send(id, [2])
        h.expectTransmit([.ack, .psh], seq: iss &+ 2, length: 1)
    }
}

@Suite("A window shrunk to zero with data in flight (RFC 9293 §3.8.6.1, MUST-36)")
struct ShrunkWindowTests {
    @Test("retransmissions become probes and do not time the connection out while the peer answers")
    func shrunkWindow() throws {
        let h = Harness(testConfiguration { $0.dataRetries = 2; $0.maximumRTO = .seconds(1) })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        _ = h.send(id, bytes(2000))
        _ = h.expectTransmit(.ack, seq: iss &+ 1, length: 1000)
        _ = h.expectTransmit([.ack, .psh], seq: iss &+ 1001, length: 1000)
        // The peer takes nothing and closes its window (it "shrinks" it, RFC 9293 §3.8.6).
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, window: 0, at: .ms(10))
        for _ in 0..<6 {
            let d = try #require(h.stack.nextDeadline)
            h.at(d)
            h.expectTransmit(.ack, seq: iss &+ 1, length: 1000)
            h.expectNothing()
            h.deliver(.ack, seq: 1001, ack: iss &+ 1, window: 0, at: d + .milliseconds(5))
        }
        #expect(h.state(id) == .established)
        h.deliver(.ack, seq: 1001, ack: iss &+ 1001, window: 5000, at: h.now + .milliseconds(10))
        h.expectTransmit([.ack, .psh], seq: iss &+ 1001, length: 1000)
    }
}
