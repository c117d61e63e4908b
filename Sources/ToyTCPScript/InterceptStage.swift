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
    /// Expression breakpoints over connection variables, evaluated before each packet this stage sees
    /// (so against the state after the packet before it): edge-triggered, `last` is the value then.
    var expressionBreaks: [ExpressionBreak] = []
    let notify: (PacketRecord, Int?) -> Void
    /// An expression breakpoint fired; the packet seen before (the one after which it holds).
    let notifyBreak: (Int, PacketRecord?) -> Void
    private var previous: PacketRecord?

    struct ExpressionBreak {
        let number: Int
        let expression: Expr
        let scope: StackSnapshotScope
        var last: Bool
    }

    init(notify: @escaping (PacketRecord, Int?) -> Void, notifyBreak: @escaping (Int, PacketRecord?) -> Void) {
        self.notify = notify
        self.notifyBreak = notifyBreak
    }

    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        defer { previous = packet }
        if !expressionBreaks.isEmpty, let n = firedExpressionBreak(), !stopped {
            // Every segment is held from here on (a crafted one still passes: intercept never holds
            // those); this one is the first if it is ours.
            stopped = true
            notifyBreak(n, previous)
        }
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

    /// Evaluates every expression breakpoint (keeping each one's last value, also while stopped) and
    /// returns the first that became true. A condition that cannot be evaluated here (a name the stack
    /// does not know) counts as false.
    private func firedExpressionBreak() -> Int? {
        let location = SourceLocation(file: "<break>", line: 0, column: 1)
        var fired: Int?
        for i in expressionBreaks.indices {
            let b = expressionBreaks[i]
            let now = (try? b.expression.evaluate(in: b.scope, location: location, sourceLine: ""))?.truthValue ?? false
            if now && !b.last && fired == nil { fired = b.number }
            expressionBreaks[i].last = now
        }
        return fired
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
