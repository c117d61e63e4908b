/// A small, fast, deterministic random number generator (SplitMix64, Steele, Lea and Flood 2014), so a
/// run is fully determined by its seed: a failing test prints the seed and repeats exactly. The one
/// copy of it: the simulated network (`SeededGenerator`), the fuzz and property tests all use it. It
/// lives in the lowest module because every layer's tests need it; nothing in Wire decodes with it.
///
/// Not for cryptography.
@frozen
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; equal states give equal futures.
    public var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in `0..<1` (53 random bits).
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// `true` with probability `p` (0 never draws, so a zero rate costs no randomness).
    @inlinable
    public mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return nextUnit() < p
    }

    /// A uniform integer in `0..<bound` (`bound` > 0), without modulo bias worth noticing for simulation.
    @inlinable
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "SplitMix64.below: bound must be positive")
        return next().multipliedFullWidth(by: bound).high
    }

    /// An independent generator for a sub-stream `label` (a link direction, a host), keyed on this
    /// generator's current state without advancing it.
    @inlinable
    public func derived(_ label: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: state ^ (label &* 0xD6E8_FEB8_6659_FD93))
        _ = g.next()
        return g
    }
}
