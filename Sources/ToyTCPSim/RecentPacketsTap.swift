import ToyTCPEngine

/// Keeps the last `capacity` packets a link carried, so a failing test can write a pcap of the end of
/// the run (`writePcap(path:)`) without paying for a file during every passing run. A tap stage
/// (`SimulatedNetwork.addTap`): it records and passes.
public final class RecentPacketsTap: PacketStage {
    public let capacity: Int
    private var ring: [(Instant, [UInt8])] = []
    private var next = 0

    public init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
    }

    public func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        if ring.count < capacity {
            ring.append((now, packet.bytes))
        } else {
            ring[next] = (now, packet.bytes)
            next = (next + 1) % capacity
        }
        return .pass
    }

    /// The kept packets, oldest first.
    public var packets: [(time: Instant, bytes: [UInt8])] {
        Array(ring[next...] + ring[..<next]).map { (time: $0.0, bytes: $0.1) }
    }
}
