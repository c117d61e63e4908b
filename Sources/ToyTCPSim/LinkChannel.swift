import ToyTCPEngine

/// Counters of one link direction.
public struct LinkStatistics: Hashable, Sendable {
    /// Packets offered to the link by the sending node.
    public var packetsOffered = 0
    public var bytesOffered = 0
    /// Copies scheduled for delivery (duplicates included).
    public var packetsDelivered = 0
    public var bytesDelivered = 0
    /// Lost in transit (`lossRate`).
    public var packetsLost = 0
    /// Tail-dropped because the bandwidth queue was full.
    public var packetsQueueDropped = 0
    /// Extra copies made (`duplicationRate`).
    public var packetsDuplicated = 0
    /// Copies held back so later packets overtook them (`reorderRate`).
    public var packetsReordered = 0
    /// Copies with one bit flipped (`corruptionRate`).
    public var packetsCorrupted = 0
    public init() {}
}

/// One direction of a link: applies `LinkImpairments` to each packet and says when each surviving copy
/// arrives. Pure and deterministic: the simulation's event queue does the delivering.
public struct LinkChannel: Sendable {
    /// A copy to deliver at `time`.
    public struct Delivery: Sendable {
        public var time: Instant
        public var bytes: [UInt8]
        /// Whether one bit of `bytes` was flipped.
        public var corrupted: Bool
    }

    public var impairments: LinkImpairments
    public private(set) var statistics = LinkStatistics()
    var generator: SeededGenerator
    /// When the transmitter finishes serializing what is queued (bandwidth limit).
    private var transmitterFreeAt = Instant.zero
    /// Latest arrival of an in-order copy: jitter never reorders.
    private var lastInOrderArrival = Instant.zero

    public init(impairments: LinkImpairments = .none, generator: SeededGenerator) {
        self.impairments = impairments
        self.generator = generator
    }

    /// Offers one packet to the link at `now`; appends zero, one or two deliveries to `deliveries`.
    public mutating func transmit(_ bytes: [UInt8], at now: Instant, into deliveries: inout [Delivery]) {
        statistics.packetsOffered += 1
        statistics.bytesOffered += bytes.count
        var departure = now
        // 1. Queue behind the transmitter: serialization delay, tail drop past the queue limit.
        if let bandwidth = impairments.bandwidth, bandwidth > 0 {
            let start = transmitterFreeAt < now ? now : transmitterFreeAt
            let waitingNs = start.nanoseconds - now.nanoseconds
            let waitingBytes = Int((Double(waitingNs) * Double(bandwidth) / 8e9).rounded(.up))
            if waitingBytes + bytes.count > impairments.queueLimit && waitingBytes > 0 {
                statistics.packetsQueueDropped += 1
                return
            }
            let serializationNs = Int64((Double(bytes.count) * 8e9 / Double(bandwidth)).rounded(.up))
            transmitterFreeAt = Instant(nanoseconds: start.nanoseconds + serializationNs)
            departure = transmitterFreeAt
        }
        // 2. Loss in transit.
        if generator.chance(impairments.lossRate) {
            statistics.packetsLost += 1
            return
        }
        // 3. Duplication.
        let copies = generator.chance(impairments.duplicationRate) ? 2 : 1
        if copies == 2 { statistics.packetsDuplicated += 1 }
        for _ in 0..<copies {
            var copy = bytes
            // 4. Corruption: one bit of the TCP part.
            var corrupted = false
            if generator.chance(impairments.corruptionRate) {
                Self.flipOneBit(&copy, using: &generator)
                corrupted = true
                statistics.packetsCorrupted += 1
            }
            // 5. Delay, jitter (order kept), reordering.
            var arrival = departure + impairments.delay
            let jitterNs = impairments.jitter.nanosecondsClampedForSim
            if jitterNs > 0 {
                arrival = Instant(nanoseconds: arrival.nanoseconds + Int64(generator.below(UInt64(jitterNs) + 1)))
            }
            if generator.chance(impairments.reorderRate) {
                arrival = arrival + impairments.reorderDelay
                statistics.packetsReordered += 1
            } else {
                if arrival < lastInOrderArrival { arrival = lastInOrderArrival }
                lastInOrderArrival = arrival
            }
            statistics.packetsDelivered += 1
            statistics.bytesDelivered += copy.count
            deliveries.append(Delivery(time: arrival, bytes: copy, corrupted: corrupted))
        }
    }

    /// Flips one random bit after the IPv4 header (in the TCP header or payload), so the receiver's TCP
    /// checksum catches it (a single-bit error always changes the one's-complement sum, RFC 1071).
    /// A packet too short to have a TCP part gets a bit flipped anywhere.
    static func flipOneBit(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        guard !bytes.isEmpty else { return }
        var start = 0
        if bytes[0] >> 4 == 6 {
            // IPv6: past the 40-byte fixed header (our stacks send no extension headers).
            if bytes.count > 40 { start = 40 }
        } else if bytes.count >= 20 {
            let ihl = Int(bytes[0] & 0x0F) * 4
            if ihl >= 20 && ihl < bytes.count { start = ihl }
        }
        let span = UInt64(bytes.count - start) * 8
        let bit = Int(generator.below(span))
        bytes[start + bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    }

    /// Clears the counters (the shell's `stats reset`).
    public mutating func resetStatistics() { statistics = LinkStatistics() }
}
