/// Fixed-point decimal text for the pictures, without Foundation's `String(format:)` (Decode stays
/// Foundation-free; see STYLE.md, performance habits).
public enum DecimalText {
    /// `nanoseconds` as seconds with `digits` decimals (truncated), e.g. `1.250000`.
    public static func seconds(_ nanoseconds: Int64, digits: Int = 6) -> String {
        let negative = nanoseconds < 0
        let magnitude = nanoseconds.magnitude
        var scale: UInt64 = 1
        for _ in 0..<max(0, 9 - digits) { scale *= 10 }
        let whole = magnitude / 1_000_000_000
        var fraction = String((magnitude % 1_000_000_000) / scale)
        if fraction.count < digits { fraction = String(repeating: "0", count: digits - fraction.count) + fraction }
        return (negative ? "-" : "") + String(whole) + (digits > 0 ? "." + fraction : "")
    }

    /// `value` rounded to `digits` decimals, trailing zeros dropped (`12.5`, `3`, `0.25`): SVG coordinates.
    public static func number(_ value: Double, digits: Int = 2) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard abs(scaled) < 9.0e15 else { return String(Int64(value.rounded())) }
        let n = Int64(scaled)
        let negative = n < 0
        let m = n.magnitude
        let unit = UInt64(scale)
        var text = (negative ? "-" : "") + String(m / unit)
        let fraction = m % unit
        if fraction != 0 {
            var digitsText = String(fraction)
            if digitsText.count < digits {
                digitsText = String(repeating: "0", count: digits - digitsText.count) + digitsText
            }
            while digitsText.hasSuffix("0") { digitsText.removeLast() }
            text += "." + digitsText
        }
        return text
    }
}
