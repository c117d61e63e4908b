import ToyTCPEngine
import ToyTCPWire

/// Intercept as a packet stage: holds every segment of our stack that matches, outbound before it goes
/// out, inbound before the stack processes it. Placed between the crafted-conversation rule (next to
/// the stack) and the observer (at the wire end), so `trace` shows an inbound segment when it arrives
/// and an outbound one when it really leaves. Crafted packets are never held.
///
/// Lives where the port lives (the lab's loop thread); `notify` tells the interpreter's side that a
/// segment is now held (on the lab it wakes the shell at the prompt).
final class InterceptStage: PacketStage {
    var enabled = false
    /// `nil`: both directions.
    var direction: Direction?
    /// Fields to match (an `expect` template, evaluated when `intercept on` ran); `nil`: any segment.
    var template: ResolvedTemplate?
    /// `on NAME`: the connection's two endpoints, either way.
    var endpoints: (Endpoint, Endpoint)?
    /// A breakpoint fired: every segment is held until `continue`.
    var stopped = false
    /// Segment breakpoints (flags, retransmission), by number.
    var segmentBreaks: [(number: Int, condition: BreakCondition)] = []
    let notify: (PacketRecord, Int?) -> Void

    init(notify: @escaping (PacketRecord, Int?) -> Void) { self.notify = notify }

    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        guard !packet.crafted else { return .pass }
        if stopped {
            notify(packet, nil)
            return .hold
        }
        if let hit = segmentBreaks.first(where: { matches($0.condition, packet) }) {
            stopped = true
            notify(packet, hit.number)
            return .hold
        }
        guard enabled else { return .pass }
        if let direction, packet.direction != direction { return .pass }
        if template != nil || endpoints != nil {
            guard let parsed = try? IPPacket.parse(packet.bytes) else { return .pass }
            if let (a, b) = endpoints {
                let src = parsed.sourceEndpoint
                let dst = parsed.destinationEndpoint
                guard (src == a && dst == b) || (src == b && dst == a) else { return .pass }
            }
            if let template {
                guard template.isCandidate(parsed, direction: packet.direction), template.mismatches(parsed).isEmpty
                else { return .pass }
            }
        }
        notify(packet, nil)
        return .hold
    }

    private func matches(_ condition: BreakCondition, _ packet: PacketRecord) -> Bool {
        switch condition {
        case .retransmission:
            guard let r = packet.reason else { return false }
            return r == .retransmissionAfterRTO || r == .fastRetransmit || r == .tailLossProbe
                || r == .synRetry || r == .synAckRetry
        case .flags(let f):
            guard let p = try? IPPacket.parse(packet.bytes) else { return false }
            return p.segment.flags.isSuperset(of: f)
        case .expression:
            return false
        }
    }
}
