import ToyTCPDecode
import ToyTCPEngine

/// Writes the packets a `SimulatedNetwork` carries to a pcap file (through ToyTCPDecode's `PcapWriter`:
/// raw IPv4 link type, nanosecond timestamps in virtual time) that tcpdump, tshark and `toytcp decode`
/// read.
///
/// By default it records packets as transmitted onto each link (like tcpdump on every interface);
/// pass `points` to record deliveries or drops instead, and `link` to record one link only.
/// This file is the only place the simulation touches a capture format.
public final class PcapTap: PacketTap {
    private let writer: PcapWriter
    private let points: (CapturePoint) -> Bool
    private let linkName: String?

    public init(path: String, link: String? = nil,
                points: @escaping (CapturePoint) -> Bool = { $0 == .transmitted }) throws(PcapError) {
        writer = try PcapWriter(path: path, precision: .nanoseconds)
        self.points = points
        linkName = link
    }

    public var packetsWritten: Int { writer.packetsWritten }

    public func capture(_ packet: CapturedPacket) {
        guard points(packet.point) else { return }
        if let linkName, packet.link?.name != linkName { return }
        Self.write(packet.bytes, at: packet.time, to: writer)
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
