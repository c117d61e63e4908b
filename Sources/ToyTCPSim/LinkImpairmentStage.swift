import ToyTCPEngine

/// One step of what a simulated link does to a packet, as a `PacketStage` on the link direction's chain
/// (`LinkChannel`), so the link's impairments travel the same packet path as intercept, trace and taps.
/// The five steps of `LinkImpairments`, in its order, each a verdict:
/// 1. `queue`: with a bandwidth, wait for the transmitter (the departure time is kept for `delay`), or
///    tail-drop past the queue limit: `.drop`;
/// 2. `loss`: `.drop` with probability `lossRate`;
/// 3. `duplication`: `.duplicate(1)` with probability `duplicationRate`; the copies run on from here;
/// 4. per copy, `corruption`: `.replace` with one bit flipped, probability `corruptionRate`;
/// 5. per copy, `delay`: `.delay(until:)` the departure plus delay, jitter (order kept) and reordering.
///
/// The five stages of one direction share a `LinkImpairmentState`: its settings, counters and seeded
/// generator. A packet and its copies run through them synchronously, so the draws come in the same
/// order as one function applying the five steps would make them, and a seed repeats exactly.
final class LinkImpairmentStage: PacketStage {
    enum Step: CaseIterable {
        case queue, loss, duplication, corruption, delay
    }

    let step: Step
    let state: LinkImpairmentState

    init(_ step: Step, state: LinkImpairmentState) {
        self.step = step
        self.state = state
    }

    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        let impairments = state.impairments
        switch step {
        case .queue:
            state.statistics.packetsOffered += 1
            state.statistics.bytesOffered += packet.bytes.count
            state.departure = now
            guard let bandwidth = impairments.bandwidth, bandwidth > 0 else { return .pass }
            let start = state.transmitterFreeAt < now ? now : state.transmitterFreeAt
            let waitingNs = start.nanoseconds - now.nanoseconds
            let waitingBytes = Int((Double(waitingNs) * Double(bandwidth) / 8e9).rounded(.up))
            if waitingBytes + packet.bytes.count > impairments.queueLimit && waitingBytes > 0 {
                state.statistics.packetsQueueDropped += 1
                return .drop
            }
            let serializationNs = Int64((Double(packet.bytes.count) * 8e9 / Double(bandwidth)).rounded(.up))
            state.transmitterFreeAt = Instant(nanoseconds: start.nanoseconds + serializationNs)
            state.departure = state.transmitterFreeAt
            return .pass
        case .loss:
            guard state.generator.chance(impairments.lossRate) else { return .pass }
            state.statistics.packetsLost += 1
            return .drop
        case .duplication:
            guard state.generator.chance(impairments.duplicationRate) else { return .pass }
            state.statistics.packetsDuplicated += 1
            return .duplicate(1)
        case .corruption:
            guard state.generator.chance(impairments.corruptionRate) else { return .pass }
            var copy = packet.bytes
            Self.flipOneBit(&copy, using: &state.generator)
            state.statistics.packetsCorrupted += 1
            return .replace(copy)
        case .delay:
            var arrival = state.departure + impairments.delay
            let jitterNs = impairments.jitter.nanosecondsClampedForSim
            if jitterNs > 0 {
                arrival = Instant(nanoseconds: arrival.nanoseconds + Int64(state.generator.below(UInt64(jitterNs) + 1)))
            }
            if state.generator.chance(impairments.reorderRate) {
                arrival = arrival + impairments.reorderDelay
                state.statistics.packetsReordered += 1
            } else {
                if arrival < state.lastInOrderArrival { arrival = state.lastInOrderArrival }
                state.lastInOrderArrival = arrival
            }
            state.statistics.packetsDelivered += 1
            state.statistics.bytesDelivered += packet.bytes.count
            return .delay(until: arrival)
        }
    }

    /// Flips one random bit after the IP header (in the TCP header or payload), so the receiver's TCP
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
}

/// What the impairment stages of one link direction share: the settings, the counters, the seeded
/// generator, the transmitter's queue and the departure time of the packet being carried.
final class LinkImpairmentState {
    var impairments: LinkImpairments
    var statistics = LinkStatistics()
    var generator: SeededGenerator
    /// When the transmitter finishes serializing what is queued (bandwidth limit).
    var transmitterFreeAt = Instant.zero
    /// Latest arrival of an in-order copy: jitter never reorders.
    var lastInOrderArrival = Instant.zero
    /// When the packet being carried leaves the transmitter (set by `queue`, read by `delay`).
    var departure = Instant.zero

    init(impairments: LinkImpairments, generator: SeededGenerator) {
        self.impairments = impairments
        self.generator = generator
    }
}
