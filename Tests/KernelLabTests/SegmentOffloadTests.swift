import Foundation
import Testing
import ToyTCPTestSupport
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    @Suite("Segmentation offload: runs of segments as one GSO frame on an AF_PACKET socket (issue 16)")
    struct SegmentOffload {
        @Test("A bulk send goes out as GSO runs, and host2 receives exactly the segments the engine made, in order (IP header but TTL, whole TCP header with checksum)")
        func wireCarriesTheEngineSegments() throws {
            Lab.run("gso-wire") { lab in
                let capture = try PcapCapture(lab, in: lab.host2, device: "h2-r", name: "gso-h2")
                let sink = try lab.spawn(in: lab.host2, ["nc", "-l", "10.0.1.1", "8100"], stdout: "/dev/null")
                try lab.waitForKernelListener(in: lab.host2, port: 8100)
                let loop = try lab.stack(in: lab.host1)
                let emitted = LockedList<[UInt8]>()
                loop.observePackets { record in
                    if record.direction == .outbound { emitted.append(SegmentKey.of(ipPacket: record.bytes[...])) }
                }
                let connection = try loop.connect(to: Lab.host2Address, port: 8100, timeout: .seconds(5))
                var data = [UInt8](repeating: 0, count: 3_000_000)
                for i in data.indices { data[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
                // A push in the middle: a run must end there (the kernel keeps PSH only on a run's last).
                try connection.send(Array(data[0..<1_000_001]), timeout: .seconds(20))
                try connection.send(Array(data[1_000_001...]), timeout: .seconds(20))
                try connection.close()
                _ = sink.wait(timeout: .seconds(10))
                usleep(300_000)
                let link = try loop.statistics().link
                let received = try capture.stop().compactMap { frame -> [UInt8]? in
                    // Ethernet II, IPv4, from host1 only (host2's own ACKs leave through the same veth).
                    guard frame.count > 34, frame[12] == 0x08, frame[13] == 0x00,
                          Array(frame[26..<30]) == [10, 0, 0, 1] else { return nil }
                    return SegmentKey.of(ipPacket: frame[14...])
                }
                let sent = emitted.all
                lab.expect(link.segmentRuns > 0 && link.segmentsInRuns >= 2 * link.segmentRuns,
                           "no GSO runs: \(link.segmentRuns) runs carrying \(link.segmentsInRuns) segments")
                print("[gso-wire] \(sent.count) segments emitted, \(link.segmentsInRuns) of them in \(link.segmentRuns) GSO frames; host2 captured \(received.count)")
                try lab.require(sent.count > 2000, "the engine emitted only \(sent.count) packets")
                if let i = (0..<min(sent.count, received.count)).first(where: { sent[$0] != received[$0] }) {
                    lab.fail("segment \(i) differs: engine \(SegmentKey.describe(sent[i])), host2 \(SegmentKey.describe(received[i]))")
                } else {
                    lab.expect(sent.count == received.count, "engine emitted \(sent.count), host2 captured \(received.count)")
                }
            }
        }
    }
}

/// What must be equal between a segment the engine emitted and the one captured in host2: the IPv4
/// header without TTL and header checksum (the router rewrites both), and the whole TCP header
/// including its checksum (which covers the payload) and options.
enum SegmentKey {
    static func of(ipPacket p: ArraySlice<UInt8>) -> [UInt8] {
        let b = Array(p)
        guard b.count >= 40 else { return b }
        let tcpEnd = min(b.count, 20 + Int(b[32] >> 4) * 4)
        return Array(b[0..<8]) + [b[9]] + Array(b[12..<tcpEnd])
    }

    static func describe(_ key: [UInt8]) -> String {
        guard key.count >= 33 else { return "\(key)" }
        func u(_ i: Int, _ n: Int) -> UInt32 { key[i..<(i + n)].reduce(0) { $0 << 8 | UInt32($1) } }
        // key offsets: IP 0..<8, protocol 8, addresses 9..<17, TCP from 17.
        return "len \(u(2, 2)) id \(u(4, 2)) seq \(u(21, 4)) ack \(u(25, 4)) flags 0x\(String(key[30], radix: 16)) "
            + "win \(u(31, 2)) tcp-sum 0x\(String(u(33, 2), radix: 16)) options \(Array(key[37...]))"
    }
}

final class LockedList<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []
    func append(_ item: Element) { lock.lock(); items.append(item); lock.unlock() }
    var all: [Element] { lock.lock(); defer { lock.unlock() }; return items }
}

/// A tcpdump capture (headers: 128 bytes a packet) inside one namespace of a lab, read back as the
/// link-layer frames of the pcap file.
final class PcapCapture {
    let path: String
    private let process: Subprocess

    init(_ lab: Lab, in ns: String, device: String, name: String) throws {
        path = lab.temporaryPath("\(name).pcap")
        process = try lab.spawn(in: ns, ["tcpdump", "-i", device, "-nn", "-U", "--immediate-mode", "-B", "16384",
                                         "-s", "128", "-w", path, "tcp"])
        try lab.require(process.waitForStderr(containing: "listening on", timeout: .seconds(5)), "tcpdump did not start")
    }

    /// Stops tcpdump and returns the frames it wrote (pcap, little-endian, micro- or nanoseconds).
    func stop() throws -> [[UInt8]] {
        process.signal(SIGINT)
        _ = process.wait(timeout: .seconds(5))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var frames: [[UInt8]] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
                | Int(bytes[offset + 11]) << 24
            let start = offset + 16
            guard start + captured <= bytes.count else { break }
            frames.append(Array(bytes[start..<(start + captured)]))
            offset = start + captured
        }
        return frames
    }
}
