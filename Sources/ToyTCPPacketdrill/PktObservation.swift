import Foundation

/// One thing the system under test did during a run: an outbound segment (relative numbers, as the
/// script writes them) or a system call's result, at its script time. `--stack both` compares the
/// kernel's observations with our stack's.
public struct PktObservation: Sendable, CustomStringConvertible {
    public var time: Double
    public var what: String

    public init(time: Double, what: String) {
        self.time = time
        self.what = what
    }

    public var description: String { String(format: "%.6f ", time) + what }

    /// The part that must agree between two systems: timestamp values are each system's own clock.
    public var comparable: String {
        what.replacingOccurrences(of: #"TS val \d+ ecr \d+"#, with: "TS", options: .regularExpression)
    }

    /// What kind of thing it was, without the details two systems may differ in: a segment's flags,
    /// sequence and ACK numbers (not its window or options), a call's name (not its result).
    public var shape: String {
        if what.hasPrefix("> ") { return what.components(separatedBy: " win ")[0].components(separatedBy: " <")[0] }
        return what.components(separatedBy: " = ")[0]
    }
}
