import ToyTCPEngine

/// When a statement is due, written packetdrill's way at the start of a line (packetdrill's
/// "timing" column): `0.250` (absolute, seconds since the script started), `+0.1` (after the previous
/// statement's event), `+0.1~+0.3` (a range), `*` (any time). An action waits until its time; an
/// `expect` fails if its segment arrives before or after its time by more than `set tolerance`
/// (packetdrill's default is 4 ms).
public enum StatementTime: Hashable, Sendable {
    case absolute(Duration)
    case relative(Duration)
    indirect case range(StatementTime, StatementTime)
    case any

    /// Parses `0.250`, `+0.1`, `+0.1~+0.3`, `*`; `nil` if the word is not a time.
    public static func parse(_ text: String) -> StatementTime? {
        if text == "*" { return .any }
        if let tilde = text.firstIndex(of: "~") {
            guard let lo = parse(String(text[..<tilde])), let hi = parse(String(text[text.index(after: tilde)...])),
                  lo != .any, hi != .any else { return nil }
            return .range(lo, hi)
        }
        var t = Substring(text)
        let relative = t.first == "+"
        if relative { t = t.dropFirst() }
        guard let first = t.first, first.isNumber || first == "." else { return nil }
        guard let d = DurationLiteral.parse(String(t)) else { return nil }
        return relative ? .relative(d) : .absolute(d)
    }

    /// The earliest and latest instants the statement is due, given the script's start and the
    /// previous statement's event; `nil` for `*`.
    func window(start: Instant, previous: Instant) -> (Instant, Instant)? {
        switch self {
        case .any: return nil
        case .absolute(let d): return (start + d, start + d)
        case .relative(let d): return (previous + d, previous + d)
        case .range(let a, let b):
            guard let lo = a.window(start: start, previous: previous), let hi = b.window(start: start, previous: previous) else { return nil }
            return (lo.0, hi.1)
        }
    }
}
