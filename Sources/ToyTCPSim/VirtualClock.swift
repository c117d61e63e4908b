import ToyTCPEngine

/// The simulated network's notion of "now": virtual time that only moves when the simulation moves it.
///
/// A 3 s retransmission timeout or a 60 s TIME-WAIT costs no wall time: the event loop jumps straight
/// to the next delivery or timer. Time never goes backwards (an `advance` into the past is ignored).
public struct VirtualClock: Sendable, Hashable {
    /// The current virtual time.
    public private(set) var now: Instant

    public init(start: Instant = .zero) { now = start }

    /// Moves the clock forward to `instant`; earlier instants leave it where it is.
    public mutating func advance(to instant: Instant) {
        if now < instant { now = instant }
    }

    /// Moves the clock forward by `duration` (negative durations are ignored).
    public mutating func advance(by duration: Duration) {
        advance(to: now + duration)
    }
}
