import ToyTCPEngine

/// Reading impairments from text, in the words `LinkImpairments.description` prints, for the shell
/// (`link host1-router loss 10% delay 5ms`) and scripts.
///
/// Grammar: a sequence of `name value` pairs, applied left to right:
/// `delay D`, `jitter D`, `loss P`, `dup P`, `reorder P [by D]`, `corrupt P`, `rate R`, `queue B`,
/// or the single word `perfect` (or `none`) for a clean link. D is a duration (`5ms`, `1.5s`, `200us`,
/// `100ns`; a bare number is milliseconds), P a probability (`10%` or `0.1`), R a rate (`10Mbit/s`,
/// `100kbit`, `1Gbit/s`, or bits per second; `off` removes the limit), B bytes (`64KiB`, `64KB`,
/// `1500B`, `1500`).
extension LinkImpairments {
    /// Parses `text` from a perfect link.
    public init(parsing text: String) throws(SimulationError) {
        self.init()
        try apply(parsing: text)
    }

    /// Changes only the fields `text` names (`loss 5%` keeps the delay), then validates the result.
    public mutating func apply(parsing text: String) throws(SimulationError) {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)[...]
        var result = self
        while let word = words.popFirst() {
            let name = word.lowercased()
            if name == "perfect" || name == "none" { result = .none; continue }
            guard let value = words.popFirst() else {
                throw .invalidImpairment("'\(word)' needs a value (e.g. \(Self.example(for: name)))")
            }
            switch name {
            case "delay": result.delay = try Self.duration(value, for: name)
            case "jitter": result.jitter = try Self.duration(value, for: name)
            case "loss": result.lossRate = try Self.probability(value, for: name)
            case "dup", "duplicate", "duplication": result.duplicationRate = try Self.probability(value, for: name)
            case "reorder", "reordering":
                result.reorderRate = try Self.probability(value, for: name)
                if words.first?.lowercased() == "by" {
                    words.removeFirst()
                    guard let d = words.popFirst() else { throw .invalidImpairment("'reorder … by' needs a duration (e.g. by 3ms)") }
                    result.reorderDelay = try Self.duration(d, for: "reorder by")
                }
            case "corrupt", "corruption": result.corruptionRate = try Self.probability(value, for: name)
            case "rate", "bandwidth":
                result.bandwidth = value.lowercased() == "off" ? nil : try Self.rate(value)
            case "queue": result.queueLimit = try Self.bytes(value)
            default:
                throw .invalidImpairment("unknown impairment '\(word)' (known: delay, jitter, loss, dup, reorder, corrupt, rate, queue, perfect)")
            }
        }
        try result.validate()
        self = result
    }

    static func example(for name: String) -> String {
        switch name {
        case "delay", "jitter": return "\(name) 5ms"
        case "rate", "bandwidth": return "rate 10Mbit/s"
        case "queue": return "queue 64KiB"
        default: return "\(name) 10%"
        }
    }

    /// `5ms`, `1.5s`, `200us`, `100ns`; a bare number is milliseconds.
    static func duration(_ text: String, for name: String) throws(SimulationError) -> Duration {
        guard let d = DurationLiteral.parse(text.lowercased(), bareUnit: .milliseconds(1)) else {
            throw .invalidImpairment("\(name) needs a duration like 5ms or 1.5s, got '\(text)'")
        }
        return d
    }

    /// `10%` or `0.1`.
    static func probability(_ text: String, for name: String) throws(SimulationError) -> Double {
        let isPercent = text.hasSuffix("%")
        guard let v = Double(isPercent ? String(text.dropLast()) : text), v.isFinite else {
            throw .invalidImpairment("\(name) needs a probability like 10% or 0.1, got '\(text)'")
        }
        return isPercent ? v / 100 : v
    }

    /// `10Mbit/s`, `100kbit`, `1Gbit/s`, `2500000` (bits per second).
    static func rate(_ text: String) throws(SimulationError) -> Int {
        var lower = text.lowercased()
        if lower.hasSuffix("/s") { lower.removeLast(2) }
        if lower.hasSuffix("bps") { lower.removeLast(3) } else if lower.hasSuffix("bit") { lower.removeLast(3) }
        var scale = 1.0
        if let last = lower.last, let s = ["k": 1e3, "m": 1e6, "g": 1e9][last] {
            scale = s
            lower.removeLast()
        }
        guard let v = Double(lower), v.isFinite, v > 0, v * scale >= 1 else {
            throw .invalidImpairment("rate needs bits per second like 10Mbit/s or 100kbit, got '\(text)'")
        }
        return Int((v * scale).rounded())
    }

    /// `64KiB`, `64KB`, `1MiB`, `1500B`, `1500`.
    static func bytes(_ text: String) throws(SimulationError) -> Int {
        var lower = text.lowercased()
        var scale = 1.0
        for (suffix, s) in [("kib", 1024.0), ("mib", 1_048_576.0), ("kb", 1000.0), ("mb", 1e6), ("b", 1.0)]
        where lower.hasSuffix(suffix) {
            scale = s
            lower.removeLast(suffix.count)
            break
        }
        guard let v = Double(lower), v.isFinite, v > 0 else {
            throw .invalidImpairment("queue needs a size in bytes like 64KiB or 1500B, got '\(text)'")
        }
        return Int((v * scale).rounded())
    }
}
