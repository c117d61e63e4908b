import Testing
@testable import ToyTCPLink
import ToyTCPWire

/// The rules of `SegmentRun` and `NextHopTable`'s route choice, without a lab: which segments the
/// kernel's segmentation can reproduce exactly, and the frame that asks it to.
@Suite("Segment runs for the GSO send path (issue 16)")
struct SegmentRunRules {
    static func segment(seq: UInt32, id: UInt16, payload: Int, flags: TCPFlags = .ack,
                        options: [TCPOption] = [.timestamps(value: 7, echoReply: 9)]) -> [UInt8] {
        IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 1, 1),
                                      identification: id),
                   segment: TCPSegment(sourcePort: 61_000, destinationPort: 8000, sequenceNumber: SequenceNumber(seq),
                                       acknowledgmentNumber: 1, flags: flags, window: 500, options: options,
                                       payload: [UInt8](repeating: UInt8(truncatingIfNeeded: seq), count: payload))).bytes()
    }

    static func appended(_ run: inout SegmentRun, _ packet: [UInt8]) -> Bool {
        packet.withUnsafeBytes { run.append($0) }
    }

    @Test("Contiguous full-size segments with consecutive IP IDs join; PSH only last; the frame asks for TCPv4 GSO with a partial checksum")
    func runAndFrame() {
        var run = SegmentRun()
        let first = Self.segment(seq: 1000, id: 5, payload: 1448)
        first.withUnsafeBytes { run.start($0, ethernetHeader: [UInt8](repeating: 0xEE, count: 12) + [8, 0]) }
        #expect(Self.appended(&run, Self.segment(seq: 2448, id: 6, payload: 1448)))
        #expect(!Self.appended(&run, Self.segment(seq: 3897, id: 7, payload: 1448)), "a gap in the sequence numbers")
        #expect(!Self.appended(&run, Self.segment(seq: 3896, id: 8, payload: 1448)), "an IP ID that skips one")
        #expect(!Self.appended(&run, Self.segment(seq: 3896, id: 7, payload: 1448, options: [.timestamps(value: 8, echoReply: 9)])),
                "different options")
        #expect(!Self.appended(&run, Self.segment(seq: 3896, id: 7, payload: 1448, flags: [.ack, .fin])), "a FIN")
        #expect(Self.appended(&run, Self.segment(seq: 3896, id: 7, payload: 100, flags: [.ack, .psh])))
        #expect(!Self.appended(&run, Self.segment(seq: 3996, id: 8, payload: 100)), "after a short or pushed segment")
        #expect(run.count == 3)
        run.finishFrame()
        let f = run.frame
        let tcpHeader = 20 + 12
        #expect(Array(f[0..<10]) == [1, 1, UInt8(14 + 20 + tcpHeader), 0, 0xA8, 0x05, 34, 0, 16, 0])
        #expect(Array(f[22..<24]) == [8, 0])
        let total = 20 + tcpHeader + 1448 * 2 + 100
        #expect(Int(f[26]) << 8 | Int(f[27]) == total)
        #expect(f.count == 24 + total)
        #expect(f[24 + 20 + 13] & 0x08 != 0, "PSH of the last segment on the super-segment")
        // The TCP checksum field holds the pseudo-header sum over the whole TCP length (not complemented).
        let pseudo = 0x0A00 + 0x0001 + 0x0A00 + 0x0101 + 6 + (total - 20)
        let folded = (pseudo & 0xFFFF) + (pseudo >> 16)
        #expect(Int(f[24 + 36]) << 8 | Int(f[24 + 37]) == folded)
    }

    @Test("What may not start a run: SYN, RST, no payload")
    func eligibility() {
        for packet in [Self.segment(seq: 1, id: 1, payload: 0, flags: .syn),
                       Self.segment(seq: 1, id: 1, payload: 10, flags: [.rst, .ack]),
                       Self.segment(seq: 1, id: 1, payload: 0)] {
            #expect(!packet.withUnsafeBytes { SegmentRun.isEligible($0) })
        }
        #expect(Self.segment(seq: 1, id: 1, payload: 10, flags: [.ack, .ece]).withUnsafeBytes { SegmentRun.isEligible($0) })
    }

    @Test("The route: longest prefix of /proc/net/route, the gateway when RTF_GATEWAY, else the destination")
    func routeChoice() {
        let table = """
        Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
        h1-r\t00000000\tFE00000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
        h1-r\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
        """
        let far = NextHopTable.route(toward: IPv4Address(10, 0, 1, 1), table: table)
        #expect(far?.interface == "h1-r" && far?.nextHop == IPv4Address(10, 0, 0, 254))
        let near = NextHopTable.route(toward: IPv4Address(10, 0, 0, 7), table: table)
        #expect(near?.interface == "h1-r" && near?.nextHop == IPv4Address(10, 0, 0, 7))
        #expect(NextHopTable.route(toward: IPv4Address(10, 0, 0, 7), table: "Iface\n") == nil)
    }
}
