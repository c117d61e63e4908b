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

/// Where on a link a tap stage sits.
public enum TapPoint: Hashable, Sendable {
    /// Where the sending node puts packets on the link (what tcpdump on the sender's interface shows).
    case transmitted
    /// Where the link hands them to the receiving node, after its impairments (what the receiver sees).
    case delivered
}

/// One direction of a link as a chain of `PacketStage`s on the one packet path: taps that see packets
/// as transmitted, the five `LinkImpairmentStage`s, taps that see them as delivered. `carry` runs a
/// packet through them and says what became of it; the network's event queue does the waiting.
/// Deterministic: every random choice comes from the direction's own seeded generator.
public final class LinkChannel {
    /// What became of a packet `carry` ran (for each copy).
    public enum Outcome {
        /// Reached the end of the chain: hand it to the receiving node now.
        case arrived(PacketRecord)
        /// Waits until `until`, then goes on from stage `next` (`carry(_:from:at:_:)`).
        case delayed(PacketRecord, until: Instant, next: Int)
        /// Dropped by the link (loss, full queue): `fate` is `.lost`.
        case dropped(PacketRecord)
    }

    let state: LinkImpairmentState
    private(set) var stages: [any PacketStage]
    private var transmittedTaps = 0

    public init(impairments: LinkImpairments = .none, generator: SeededGenerator) {
        state = LinkImpairmentState(impairments: impairments, generator: generator)
        stages = LinkImpairmentStage.Step.allCases.map { [state] in LinkImpairmentStage($0, state: state) }
    }

    public var impairments: LinkImpairments {
        get { state.impairments }
        set { state.impairments = newValue }
    }

    public var statistics: LinkStatistics { state.statistics }

    /// Clears the counters (the shell's `stats reset`).
    public func resetStatistics() { state.statistics = LinkStatistics() }

    /// Adds a tap stage before the impairments (`.transmitted`) or after them (`.delivered`).
    public func addTap(_ tap: any PacketStage, at point: TapPoint) {
        switch point {
        case .transmitted:
            stages.insert(tap, at: transmittedTaps)
            transmittedTaps += 1
        case .delivered:
            stages.append(tap)
        }
    }

    public func removeTap(_ tap: any PacketStage) {
        guard let i = stages.firstIndex(where: { $0 === tap }), !(tap is LinkImpairmentStage) else { return }
        stages.remove(at: i)
        if i < transmittedTaps { transmittedTaps -= 1 }
    }

    /// The taps, which hear of the packets the link drops (`PacketStage.dropped`).
    var taps: some Sequence<any PacketStage> { stages.lazy.filter { !($0 is LinkImpairmentStage) } }

    /// Runs `record` through the stages from `index` at `now`; `handle` gets each copy's outcome, in
    /// order. A `hold` verdict has no meaning on a link (intercept lives on a host's port): it passes.
    public func carry(_ record: PacketRecord, from index: Int = 0, at now: Instant, _ handle: (Outcome) -> Void) {
        var record = record
        var i = index
        while let (verdict, next) = walkStages(stages, &record, from: i, step: 1, at: now) {
            i = next
            switch verdict {
            case .pass, .hold, .replace:
                continue
            case .drop:
                record.fate = .lost
                handle(.dropped(record))
                return
            case .delay(let until):
                handle(.delayed(record, until: until, next: i))
                return
            case .duplicate(let copies):
                carry(record, from: i, at: now, handle)
                record.fate = .duplicate
                for _ in 0..<min(max(0, copies), 1000) { carry(record, from: i, at: now, handle) }
                return
            }
        }
        handle(.arrived(record))
    }
}
