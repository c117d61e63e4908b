import ToyTCPEngine

/// Where on its way a captured packet was seen.
public enum CapturePoint: Hashable, Sendable {
    /// Put on a link by a node (what tcpdump on the sender's interface shows).
    case transmitted
    /// Handed to the receiving node after the link's impairments (what the receiver sees).
    case delivered
    /// Dropped by the network: lost, queue-dropped, no route, TTL expired, or addressed to a router.
    case dropped(DropReason)
}

/// Why the network dropped a packet.
public enum DropReason: String, Hashable, Sendable {
    case lost = "lost"
    case queueFull = "queue full"
    case noRoute = "no route"
    case ttlExpired = "TTL expired"
    case addressedToRouter = "addressed to a router"
}

/// One packet seen by a `PacketTap`.
public struct CapturedPacket {
    /// Virtual time of the capture.
    public var time: Instant
    /// The IPv4 packet, as it was at that point (a corrupted copy is captured corrupted on delivery).
    public var bytes: [UInt8]
    public var point: CapturePoint
    /// The link it crossed (`nil` for a drop before any link, e.g. no route).
    public var link: SimulatedLink?
    /// The node that sent it onto the link, and the one it was going to.
    public var from: (any SimulatedNode)?
    public var to: (any SimulatedNode)?
}

/// Something that watches every packet crossing the simulated network: a pcap writer, a ring of recent
/// packets for post-mortems, a counter. Installed with `SimulatedNetwork.addTap(_:)`.
///
/// This protocol is the only coupling between the network and packet-capture formats: the pcap file
/// writer lives in `PcapTap` (the one file that uses ToyTCPDecode).
public protocol PacketTap: AnyObject {
    func capture(_ packet: CapturedPacket)
}

/// Keeps the last `capacity` captured packets in memory, so a failing test can write a pcap of the end
/// of the run (`writePcap(path:)`) without paying for a file during every passing run.
public final class RecentPacketsTap: PacketTap {
    public let capacity: Int
    /// Which capture points are kept (default: packets as transmitted).
    public let keeps: (CapturePoint) -> Bool
    private var ring: [(Instant, [UInt8])] = []
    private var next = 0

    public init(capacity: Int = 20_000, keeps: @escaping (CapturePoint) -> Bool = { $0 == .transmitted }) {
        self.capacity = max(1, capacity)
        self.keeps = keeps
    }

    public func capture(_ packet: CapturedPacket) {
        guard keeps(packet.point) else { return }
        if ring.count < capacity {
            ring.append((packet.time, packet.bytes))
        } else {
            ring[next] = (packet.time, packet.bytes)
            next = (next + 1) % capacity
        }
    }

    /// The kept packets, oldest first.
    public var packets: [(time: Instant, bytes: [UInt8])] {
        Array(ring[next...] + ring[..<next]).map { (time: $0.0, bytes: $0.1) }
    }
}
