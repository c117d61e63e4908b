#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine

/// The engine's time on a real machine: `CLOCK_MONOTONIC` in nanoseconds, the clock `timerfd` uses too,
/// so a deadline the engine asks for is armed without conversion.
@inline(__always)
public func monotonicNow() -> Instant {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Instant(nanoseconds: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
}

/// A wall-clock time (`CLOCK_REALTIME`), for packet records (pcap wants seconds since 1970).
public struct WallClockTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    @inline(__always)
    public static func now() -> WallClockTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallClockTime(seconds: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    public static func < (a: WallClockTime, b: WallClockTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// The time from `b` to `a`.
    public static func - (a: WallClockTime, b: WallClockTime) -> Duration {
        .seconds(a.seconds - b.seconds) + .nanoseconds(Int64(a.nanoseconds) - Int64(b.nanoseconds))
    }

    /// `seconds.nanoseconds` since 1970.
    public var description: String {
        var frac = String(nanoseconds)
        frac = String(repeating: "0", count: max(0, 9 - frac.count)) + frac
        return "\(seconds).\(frac)"
    }
}
