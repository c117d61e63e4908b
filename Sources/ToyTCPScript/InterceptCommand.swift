import ToyTCPWire

/// The commands that step a live TCP like a debugger (issue 10): `intercept`, what to do with a held
/// segment (`step`, `drop`, `delay`, `dup`, `edit`, `continue`), `expect held`, breakpoints, and the
/// simulated link's impairments (`link`).
public enum InterceptCommand: Sendable {
    /// `intercept on [in|out|both] [TEMPLATE | on NAME]`: hold every segment of our stack that matches,
    /// before it goes out or before the stack processes it. `direction` nil: both.
    case on(direction: Direction?, template: SegmentTemplate?, connection: ConnectionRef?)
    case off
    /// Let the held segment go on.
    case step
    case drop
    case delay(Duration)
    /// The segment and N more copies.
    case dup(Int)
    /// Change fields (any field `inject` takes; flags as `+F -P`), then let it go.
    case edit(HeldEdit)
    /// Let everything held go; keep intercepting.
    case continue_
    /// `expect held TEMPLATE [within T] [as NAME]`: wait until a matching segment is held; bind it.
    case expectHeld(SegmentTemplate, within: Duration, name: String?)
    /// `break CONDITION`: stop (hold every segment from then on) when it becomes true.
    case breakpoint(BreakCondition)
    /// `breaks`: list them.
    case listBreaks
    /// `delete N`: remove breakpoint N.
    case deleteBreak(Int)
    /// `link [in|out|both] [IMPAIRMENTS]`: our host's link on the simulated network, per direction
    /// (`out`: from us; `in`: towards us); without impairments, prints them.
    case link(Direction?, String)

    /// Names the command binds for later lines (for the script checker).
    var binds: [String] {
        if case .expectHeld(_, _, let n?) = self { return [n] }
        return []
    }
}

/// What `edit` changes: a template of fields (inject's syntax) and flags to set or clear.
public struct HeldEdit: Sendable {
    public var template: SegmentTemplate
    public var setFlags: TCPFlags = []
    public var clearFlags: TCPFlags = []
}

/// What a breakpoint watches: a segment property (checked by the intercept stage on every segment, the
/// segment is then held) or an expression over connection variables (checked after every packet and
/// event the session sees; from then on every segment is held).
public enum BreakCondition: Sendable, CustomStringConvertible {
    /// `break flags R`: a segment with these flags set (any direction).
    case flags(TCPFlags)
    /// `break retransmission`: our stack resends (after an RTO, fast retransmit, tail-loss probe).
    case retransmission
    /// `break c.state == FIN-WAIT-2`, `break c.cwnd < 2*c.mss`.
    case expression(Expr, text: String)

    public var description: String {
        switch self {
        case .flags(let f): return "flags \(f)"
        case .retransmission: return "retransmission"
        case .expression(_, let text): return text
        }
    }
}
