/// A point in time, in nanoseconds from an arbitrary origin chosen by whoever drives the engine.
///
/// The engine never reads a clock (sans-IO): every input carries `now`, and `nextDeadline` tells the
/// driver when to call back. The simulated network passes virtual time, the event loop a monotonic clock.
@frozen
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    @inlinable public static func seconds(_ s: Double) -> Instant { Instant(nanoseconds: Int64(s * 1e9)) }
    @inlinable public static func milliseconds(_ ms: Int64) -> Instant { Instant(nanoseconds: ms * 1_000_000) }

    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    @inlinable public static func + (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds &+ d.nanosecondsClamped)
    }

    @inlinable public static func - (a: Instant, d: Duration) -> Instant {
        Instant(nanoseconds: a.nanoseconds &- d.nanosecondsClamped)
    }

    /// The time from `b` to `a`.
    @inlinable public static func - (a: Instant, b: Instant) -> Duration {
        .nanoseconds(a.nanoseconds &- b.nanoseconds)
    }

    /// Seconds since the origin, for printing (`12.000345s`).
    public var description: String {
        let us = nanoseconds / 1000
        let sign = us < 0 ? "-" : ""
        let a = us.magnitude
        var frac = String(a % 1_000_000)
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        return "\(sign)\(a / 1_000_000).\(frac)s"
    }
}

extension Duration {
    /// This duration in nanoseconds (truncated toward zero), clamped to `Int64`. One division of the
    /// attoseconds: `components` takes two.
    @inlinable public var nanosecondsClamped: Int64 {
        let ns = attoseconds / 1_000_000_000
        return Int64(exactly: ns) ?? (ns < 0 ? .min : .max)
    }
}

extension Duration {
    /// `self * k`, as `Duration`'s own operator computes it (on attoseconds), without its generic
    /// integer parameter: that operator is not specialized outside the standard library and converted
    /// `k` through `Int128(exactly:)` at run time, ~550 instructions an operation (callgrind).
    /// The engine's timers use these: an RTT sample, each ACK's RTO and loss-probe arming.
    func times(_ k: Int128) -> Duration { Duration(attoseconds: attoseconds * k) }

    /// `self / k`, as `Duration`'s own operator computes it (attoseconds, truncating); see `times`.
    func over(_ k: Int128) -> Duration { Duration(attoseconds: attoseconds / k) }
}
