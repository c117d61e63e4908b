/// Durations as people type them: `500ms`, `1.5s`, `100us` (or `100µs`), `250ns`, `2m`. The one parser
/// for scripts and the shell (`sleep 500ms`, `set rto-min 200ms`), the simulated link's impairments
/// (`link out delay 5ms`) and the event loop's settings (`set loop spin 200us`, `--loop-spin`).
public enum DurationLiteral {
    /// `bareUnit`: what a number without a unit means (scripts: seconds; the link: milliseconds; `nil`:
    /// a unit is required). Negative, non-finite and malformed text gives nil.
    public static func parse(_ text: String, bareUnit: Duration? = .seconds(1)) -> Duration? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard let v = Double(number), v >= 0, v.isFinite else { return nil }
            return .nanoseconds(Int64((v * scale * 1e9).rounded()))
        }
        guard let bareUnit, let v = Double(text), v >= 0, v.isFinite else { return nil }
        return .nanoseconds(Int64((v * Double(bareUnit.nanosecondsClamped)).rounded()))
    }
}
