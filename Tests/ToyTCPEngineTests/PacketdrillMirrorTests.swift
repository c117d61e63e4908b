// Scenarios mirrored from the kernel's packetdrill selftests (/work/shared/packetdrill/linux-selftests),
// rewritten against this harness. Sequence numbers are relative, as in the scripts.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Mirrored Linux packetdrill selftests")
struct PacketdrillMirrorTests {
    @Test("tcp_disorder_fin_in_FIN_WAIT: the ACK of our FIN arrives ahead of the peer's FIN")
    func disorderFinInFinWait() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        try h.stack.shutdown(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 1001)
        // `< . 2:2(0) ack 2`: out of order (one past the FIN that has not arrived), acknowledging our FIN.
        h.deliver(.ack, seq: 1002, ack: iss &+ 2)
        #expect(h.state(id) == .finWait2)
        h.expectNothing()
        // `< F. 1:1(0) ack 1`: the FIN, with an old ACK.
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 1)
        h.expectTransmit(.ack, seq: iss &+ 2, ack: 1002)
        #expect(h.state(id) == .timeWait)
    }

    @Test("tcp_close_close-local-close-then-remote-fin: client writes, closes, then the FIN arrives")
    func localCloseThenRemoteFin() throws {
        let h = Harness()
        let (id, iss) = h.establishedActive(peerOptions: [.mss(1000), .nop, .windowScale(6), .nop, .nop, .sackPermitted],
                                            window: 32768)
        _ = h.send(id, bytes(1000))
        h.expectTransmit([.psh, .ack], seq: iss &+ 1, ack: 5001, length: 1000)
        h.deliver(.ack, seq: 5001, ack: iss &+ 1001, window: 257)
        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1001, ack: 5001)
        h.deliver(.ack, seq: 5001, ack: iss &+ 1002, window: 257)
        h.deliver([.fin, .ack], seq: 5001, ack: iss &+ 1002, window: 257)
        h.expectTransmit(.ack, seq: iss &+ 1002, ack: 5002)
        #expect(h.state(id) == .timeWait)
    }

    @Test("tcp_close_close-on-syn-sent: a SYN-ACK after close() in SYN-SENT draws RST 1:1")
    func closeOnSynSent() throws {
        let h = Harness()
        let id = try h.stack.connect(to: peerAddress, port: h.peerPort, localPort: h.localPort, at: .zero)
        let syn = try #require(h.expectTransmit(.syn))
        try h.stack.close(id, at: h.now)
        #expect(h.stack.snapshot(id) == nil)
        h.deliver([.syn, .ack], seq: 0, ack: syn.sequenceNumber.rawValue &+ 1, window: 32000,
                  options: [.mss(1460), .nop, .windowScale(7)], at: .ms(100))
        h.expectTransmit(.rst, seq: syn.sequenceNumber.rawValue &+ 1)
        h.expectNothing()
    }

    @Test("tcp_close_no_rst: a retransmitted segment carrying the FIN is trimmed; close() sends FIN, not RST")
    func closeNoRst() throws {
        let h = Harness()
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000), .sackPermitted, .nop, .nop], window: 32792)
        h.deliver(.ack, seq: 1001, ack: iss &+ 1, window: 32792, payload: bytes(1000))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 2001)
        #expect(try h.stack.receive(id, maxLength: 1000, at: h.now)?.count == 1000)
        h.deliver([.fin, .ack], seq: 1001, ack: iss &+ 1, window: 32792, payload: bytes(1000))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 2002)
        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 1, ack: 2002)
    }

    @Test("tcp_rcv_zero_wnd_fin: a FIN at RCV.NXT is accepted in a zero window")
    func zeroWindowFin() throws {
        let h = Harness(testConfiguration { $0.receiveBufferSize = 3000 })
        let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
        for i in 0..<3 { h.deliver([.psh, .ack], seq: 1001 &+ UInt32(i * 1000), ack: iss &+ 1, payload: bytes(1000)) }
        while let s = h.transmit() { _ = s }
        #expect(h.stack.snapshot(id)?.rcv.wnd == 0)
        h.deliver([.fin, .ack], seq: 4001, ack: iss &+ 1)
        h.expectTransmit(.ack, ack: 4002, window: 0)
        #expect(h.state(id) == .closeWait)
    }

    @Test("tcp_ooo_rcv_mss: out-of-order data is SACKed in one block as it grows")
    func oooSack() throws {
        let h = Harness(testConfiguration { $0.sack = true })
        let (_, iss) = h.establishedPassive(peerOptions: [.mss(1000), .nop, .nop, .sackPermitted])
        h.deliver(.ack, seq: 3001, ack: iss &+ 1, payload: bytes(9000))
        var s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 3001, right: 12001)])
        h.deliver(.ack, seq: 12001, ack: iss &+ 1, payload: bytes(10000))
        s = try #require(h.expectTransmit(.ack, ack: 1001))
        #expect(s.options.sackBlocks == [SACKBlock(left: 3001, right: 22001)])
    }
}
