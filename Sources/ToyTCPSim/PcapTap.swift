import ToyTCPDecode
import ToyTCPEngine

/// Writes the packets a `SimulatedNetwork` carries to a pcap file (through ToyTCPDecode's `PcapWriter`:
/// raw IPv4 link type, nanosecond timestamps in virtual time) that tcpdump, tshark and `toytcp decode`
/// read. A tap stage on the links' packet path (`SimulatedNetwork.addTap`): it writes and passes, so a
/// packet the link later drops is in the file as transmitted, like tcpdump on the sender's interface.
/// This file is the only place the simulation touches a capture format.
public final class PcapTap: PacketStage {
    private let writer: PcapWriter

    public init(path: String) throws(PcapError) {
        writer = try PcapWriter(path: path, precision: .nanoseconds)
    }

    public var packetsWritten: Int { writer.packetsWritten }

    public func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        Self.write(packet.bytes, at: now, to: writer)
        return .pass
    }

    public func flush() throws(PcapError) { try writer.flush() }

    public func close() throws(PcapError) { try writer.close() }

    static func write(_ bytes: [UInt8], at time: Instant, to writer: PcapWriter) {
        let ns = max(0, time.nanoseconds)
        writer.write(bytes, seconds: ns / 1_000_000_000, nanoseconds: Int32(ns % 1_000_000_000))
    }
}

extension RecentPacketsTap {
    /// Writes the kept packets to a pcap file (raw IPv4, nanosecond virtual timestamps).
    public func writePcap(path: String) throws(PcapError) {
        let writer = try PcapWriter(path: path, precision: .nanoseconds)
        for (time, bytes) in packets { PcapTap.write(bytes, at: time, to: writer) }
        try writer.close()
    }
}
