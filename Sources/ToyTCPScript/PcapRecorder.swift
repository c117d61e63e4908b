import ToyTCPDecode
import ToyTCPEngine

/// `record FILE.pcap`: every observed packet, in and out, into a pcap file (the decoder's `PcapWriter`,
/// LINKTYPE_RAW), readable with `tcpdump -r` or `toytcp-shell decode`. Timestamps are wall-clock time:
/// the real time on the lab (so the file lines up with a tcpdump capture of the same traffic), and a
/// fixed epoch plus virtual time on the simulated network (`SimulatedScriptNetwork.epochSeconds`).
final class PcapRecorder {
    private let writer: PcapWriter

    init(path: String) throws(PcapError) {
        writer = try PcapWriter(path: path, precision: .nanoseconds)
    }

    /// Writes `p` stamped `wallClock` (`ScriptNetwork.wallClock(p.time)`).
    func write(_ p: PacketRecord, at wallClock: (seconds: Int64, nanoseconds: Int32)) {
        writer.write(p.bytes, seconds: wallClock.seconds, nanoseconds: wallClock.nanoseconds)
    }

    func close() {
        try? writer.close()
    }
}
