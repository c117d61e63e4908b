import ToyTCPEngine
import ToyTCPWire

/// Why a simulated-network call failed. Each message says what was wrong and what to do.
public enum SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A run exceeded its step bound: a livelock in the engine or the scenario, or a bound too small.
    case stepLimitExceeded(steps: Int, at: Instant)
    /// A `LinkImpairments` field is out of range.
    case invalidImpairment(String)
    /// Two nodes were given the same address.
    case duplicateAddress(IPAddress)
    /// No host or router has that name.
    case unknownNode(String)
    /// A node name is used twice.
    case duplicateName(String)
    /// A packet to inject is too short to be IPv4.
    case notIPv4(length: Int)
    /// The two nodes are not joined by a link.
    case noLink(String, String)
    /// An app could not start (its listen or connect failed).
    case appFailed(String, EngineError)

    public var description: String {
        switch self {
        case let .stepLimitExceeded(steps, at):
            return "simulation stopped after \(steps) steps at \(at) without finishing (raise the step bound, or look for a livelock)"
        case let .invalidImpairment(message):
            return "invalid link impairment: \(message)"
        case let .duplicateAddress(a):
            return "address \(a) is already used by another node of the simulated network"
        case let .unknownNode(name):
            return "no host or router named '\(name)' in the simulated network"
        case let .duplicateName(name):
            return "a node named '\(name)' already exists in the simulated network"
        case let .notIPv4(length):
            return "cannot inject \(length) bytes: an IPv4 packet needs at least a 20-byte header"
        case let .noLink(a, b):
            return "no link joins '\(a)' and '\(b)'"
        case let .appFailed(name, error):
            return "app \(name) could not start: \(error)"
        }
    }
}
