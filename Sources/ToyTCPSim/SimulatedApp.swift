import ToyTCPEngine

/// A program running on a simulated host, driven by its stack's events: the peer the shell talks to
/// when there is no lab (`PeerApp`: echo, discard, send N bytes), or a test's own traffic generator.
///
/// The host calls `start` once, then after every input to its stack: `poll` (act on anything, e.g.
/// push more bytes into a send buffer that has room), and `handle` for each event. All calls happen
/// inside the network's step, with the virtual time `now`.
public protocol SimulatedApp: AnyObject, CustomStringConvertible {
    /// Opens the app's listener or connection.
    func start(on host: SimulatedHost, at now: Instant) throws(EngineError)
    /// One event of the host's stack (every event of the host: check the ids you own).
    func handle(_ event: StackEvent, on host: SimulatedHost, at now: Instant)
    /// A chance to act after each input to the stack (send what is pending, read what arrived).
    func poll(on host: SimulatedHost, at now: Instant)
    /// Closes the app's listener and connections.
    func stop(on host: SimulatedHost, at now: Instant)
}

extension SimulatedApp {
    public func poll(on host: SimulatedHost, at now: Instant) {}
    public func stop(on host: SimulatedHost, at now: Instant) {}
}
