import Testing
import ToyTCPWire
@testable import ToyTCPPacketdrill

/// Our stack's bursts shown as the kernel's tun0 shows its TSO segments.
@Suite struct GSOCoalescerTests {
    func segment(seq: UInt32, length: Int, flags: TCPFlags = [.ack], ack: UInt32 = 1) -> [UInt8] {
        IPv4Packet(header: IPv4Header(source: IPv4Address("10.0.0.1")!, destination: IPv4Address("10.0.1.1")!),
                   segment: TCPSegment(sourcePort: 8080, destinationPort: 40000, sequenceNumber: SequenceNumber(seq),
                                       acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: 100,
                                       payload: [UInt8](repeating: 7, count: length))).bytes()
    }

    func parsed(_ b: [[UInt8]]) -> [TCPSegment] { b.compactMap { try? IPv4Packet.parse($0).segment } }

    @Test func aBurstOfNewDataBecomesOneSegmentWithPSH() {
        var g = GSOCoalescer()
        let out = parsed(g.merge([segment(seq: 1, length: 1000), segment(seq: 1001, length: 1000),
                                  segment(seq: 2001, length: 500, flags: [.ack, .psh])]))
        #expect(out.count == 1)
        #expect(out.first?.sequenceNumber == 1 && out.first?.payload.count == 2500 && out.first?.flags == [.ack, .psh])
    }

    @Test func retransmissionsGapsAndOtherFlagsStayApart() {
        var g = GSOCoalescer()
        _ = g.merge([segment(seq: 1, length: 1000), segment(seq: 1001, length: 1000)])
        // Sent again (below what was sent): separate, as Linux retransmits.
        #expect(parsed(g.merge([segment(seq: 1, length: 1000), segment(seq: 1001, length: 1000)])).count == 2)
        // A gap, another ACK number, a FIN: not merged.
        #expect(parsed(g.merge([segment(seq: 2001, length: 100), segment(seq: 2201, length: 100)])).count == 2)
        #expect(parsed(g.merge([segment(seq: 2301, length: 100), segment(seq: 2401, length: 100, ack: 5)])).count == 2)
        #expect(parsed(g.merge([segment(seq: 2501, length: 100), segment(seq: 2601, length: 100, flags: [.ack, .fin])])).count == 2)
    }
}
