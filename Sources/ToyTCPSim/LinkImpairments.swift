/// What one direction of a simulated link does to the packets crossing it, in the manner of Linux netem
/// (which this lab's kernel lacks; see LAB-NOTES.md): loss, duplication, reordering, delay with jitter,
/// bit corruption and a bandwidth limit with a bounded queue.
///
/// Every choice is drawn from the link direction's own `SeededGenerator`, so a run repeats exactly.
/// The order applied to each packet offered to the link (each step a `LinkImpairmentStage` on the
/// direction's `LinkChannel`, the one packet path):
/// 1. **queue**: with a `bandwidth`, the packet waits for the transmitter; if the bytes already waiting
///    plus this packet exceed `queueLimit`, it is tail-dropped;
/// 2. **loss**: dropped in transit with probability `lossRate`;
/// 3. **duplication**: a second copy is delivered with probability `duplicationRate`;
/// 4. per copy, **corruption**: one random bit of the TCP part is flipped with probability
///    `corruptionRate` (a single-bit error is always caught by the Internet checksum, RFC 1071, so the
///    receiving stack counts and drops it);
/// 5. per copy, **delay**: `delay` plus a uniform jitter in `0...jitter`. Jitter keeps packet order (as a
///    real link does); only **reordering** (probability `reorderRate`) holds a copy back by an extra
///    `reorderDelay`, so later packets overtake it.
public struct LinkImpairments: Hashable, Sendable, CustomStringConvertible {
    /// One-way propagation delay.
    public var delay: Duration
    /// Upper bound of the uniform random extra delay added to each packet.
    public var jitter: Duration
    /// Probability that a packet is lost (0...1).
    public var lossRate: Double
    /// Probability that a packet is delivered twice (0...1).
    public var duplicationRate: Double
    /// Probability that a packet is held back and overtaken by later ones (0...1).
    public var reorderRate: Double
    /// How long a reordered packet is held back beyond its normal delivery time.
    public var reorderDelay: Duration
    /// Probability that one bit of a delivered copy is flipped (0...1).
    public var corruptionRate: Double
    /// Link rate in bits per second (serialization delay); `nil` is unlimited.
    public var bandwidth: Int?
    /// With a `bandwidth`: the most bytes not yet serialized (the packet on the wire included) the link
    /// holds; a packet that would exceed it is tail-dropped (an empty queue always takes one packet).
    public var queueLimit: Int

    public init(delay: Duration = .zero, jitter: Duration = .zero, lossRate: Double = 0,
                duplicationRate: Double = 0, reorderRate: Double = 0, reorderDelay: Duration = .milliseconds(3),
                corruptionRate: Double = 0, bandwidth: Int? = nil, queueLimit: Int = 256 * 1024) {
        self.delay = delay; self.jitter = jitter; self.lossRate = lossRate
        self.duplicationRate = duplicationRate; self.reorderRate = reorderRate; self.reorderDelay = reorderDelay
        self.corruptionRate = corruptionRate; self.bandwidth = bandwidth; self.queueLimit = queueLimit
    }

    /// A perfect link: no delay, no loss, unlimited rate.
    public static let none = LinkImpairments()

    /// Checks every field; the error says which field is wrong and what is allowed.
    public func validate() throws(SimulationError) {
        func rate(_ name: String, _ v: Double) throws(SimulationError) {
            guard v.isFinite, v >= 0, v <= 1 else {
                throw .invalidImpairment("\(name) must be between 0 and 1 (a probability), got \(v)")
            }
        }
        try rate("loss", lossRate)
        try rate("duplication", duplicationRate)
        try rate("reordering", reorderRate)
        try rate("corruption", corruptionRate)
        guard delay >= .zero else { throw .invalidImpairment("delay must not be negative") }
        guard jitter >= .zero else { throw .invalidImpairment("jitter must not be negative") }
        guard reorderDelay >= .zero else { throw .invalidImpairment("reorder delay must not be negative") }
        if let bw = bandwidth, bw <= 0 {
            throw .invalidImpairment("bandwidth must be positive bits per second, got \(bw)")
        }
        guard queueLimit > 0 else { throw .invalidImpairment("queue limit must be positive bytes, got \(queueLimit)") }
    }

    /// `delay 1ms jitter 0.5ms loss 10% dup 5% reorder 5% corrupt 1% rate 10Mbit/s queue 256KiB`;
    /// only the fields that differ from a perfect link.
    public var description: String {
        var parts: [String] = []
        func pct(_ v: Double) -> String {
            let scaled = (v * 1000).rounded() / 10
            return scaled == scaled.rounded() ? "\(Int(scaled))%" : "\(scaled)%"
        }
        if delay != .zero { parts.append("delay \(Self.format(delay))") }
        if jitter != .zero { parts.append("jitter \(Self.format(jitter))") }
        if lossRate > 0 { parts.append("loss \(pct(lossRate))") }
        if duplicationRate > 0 { parts.append("dup \(pct(duplicationRate))") }
        if reorderRate > 0 { parts.append("reorder \(pct(reorderRate)) by \(Self.format(reorderDelay))") }
        if corruptionRate > 0 { parts.append("corrupt \(pct(corruptionRate))") }
        if let bw = bandwidth {
            let rate: String
            if bw % 1_000_000 == 0 { rate = "\(bw / 1_000_000)Mbit/s" }
            else if bw % 1000 == 0 { rate = "\(bw / 1000)kbit/s" }
            else { rate = "\(bw)bit/s" }
            parts.append("rate \(rate) queue \(queueLimit)B")
        }
        return parts.isEmpty ? "perfect" : parts.joined(separator: " ")
    }

    static func format(_ d: Duration) -> String {
        let ns = d.nanosecondsClampedForSim
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1000 == 0 { return "\(ns / 1000)us" }
        return "\(ns)ns"
    }
}

extension Duration {
    /// Nanoseconds, clamped to `Int64` (the engine's `nanosecondsClamped`, restated here so the Sim
    /// module does not depend on an engine helper's availability).
    var nanosecondsClampedForSim: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return ns &+ atto / 1_000_000_000
    }
}
