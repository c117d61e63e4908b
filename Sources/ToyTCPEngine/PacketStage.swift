/// What a `PacketStage` decides for one packet.
public enum PacketVerdict: Sendable, Equatable {
    /// Go on to the next stage.
    case pass
    /// Gone: neither on the wire nor to the stack.
    case drop
    /// Parked in the port until someone releases it (`PacketPort.release`): intercept.
    case hold
    /// Parked until the driver's clock reaches the instant, then goes on from the next stage.
    case delay(until: Instant)
    /// This packet and `n` more copies go on from the next stage.
    case duplicate(Int)
    /// These bytes go on instead (an edited segment).
    case replace([UInt8])
}

/// One step of the packet path between our `Stack` and the wire, like a wrapper device in smoltcp's
/// `src/phy/` (`Tracer`, `FaultInjector`, `PcapWriter`) or a handler in a swift-nio pipeline: trace,
/// pcap recording, observers, the crafted-conversation filter, impairments and intercept are stages.
///
/// Stages are ordered from the stack (index 0) to the wire: an outbound packet visits them 0, 1, …; an
/// inbound one from the last to 0. So a recorder placed last sees packets as they are on the wire in
/// both directions, and an intercept placed before it holds them before they go out or before the
/// stack sees them. Called on the driver's thread with the packet and the driver's clock.
///
/// `dropped(_:at:)` tells a stage that a packet it may have seen (or would have seen next) ended its
/// journey elsewhere: dropped by intercept, lost on a simulated link (`packet.fate` says which). An
/// observer reports it, so a picture draws the segment as lost; most stages ignore it.
public protocol PacketStage: AnyObject {
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict
    func dropped(_ packet: PacketRecord, at now: Instant)
}

/// Runs `record` through `stages` from `index`, stepping by `step` (+1 towards the wire, -1 towards
/// the stack), and applies the verdicts every chain treats alike: `.pass` goes on, `.replace` swaps the
/// bytes and goes on. Returns the first other verdict with the index of the stage after the one that
/// gave it, or nil when the packet went past the chain's end. The one walk for the host's port
/// (`PacketPort`) and the simulated link's direction (`LinkChannel`), which differ only in what they do
/// with that verdict.
@inlinable
public func walkStages(_ stages: [any PacketStage], _ record: inout PacketRecord, from index: Int, step: Int,
                       at now: Instant) -> (verdict: PacketVerdict, next: Int)? {
    var i = index
    while i >= 0 && i < stages.count {
        let verdict = stages[i].process(record, at: now)
        i += step
        switch verdict {
        case .pass: continue
        case .replace(let bytes): record.bytes = bytes
        default: return (verdict, i)
        }
    }
    return nil
}

extension PacketStage {
    public func dropped(_ packet: PacketRecord, at now: Instant) {}
}

/// A stage that only looks (trace, record, `observe`): every packet passes. It sees dropped packets
/// too (their `fate` says what happened), after the fact.
public final class PacketObserverStage: PacketStage {
    public let observe: (PacketRecord) -> Void
    public init(_ observe: @escaping (PacketRecord) -> Void) { self.observe = observe }
    public func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        observe(packet)
        return .pass
    }
    public func dropped(_ packet: PacketRecord, at now: Instant) { observe(packet) }
}
