import ToyTCPDecode

/// `record FILE.pcap`: every observed packet, in and out, into a pcap file (the decoder's `PcapWriter`,
/// LINKTYPE_RAW), readable with `tcpdump -r` or `toytcp-shell decode`. Timestamps are the network's
/// clock: virtual seconds on the simulated network, monotonic time in the lab.
final class PcapRecorder {
    private let writer: PcapWriter

    init(path: String) throws(PcapError) {
        writer = try PcapWriter(path: path, precision: .nanoseconds)
    }

    func write(_ p: ObservedPacket) {
        let ns = p.time.nanoseconds
        writer.write(p.bytes, seconds: ns / 1_000_000_000, nanoseconds: Int32(ns % 1_000_000_000))
    }

    func close() {
        try? writer.close()
    }
}
