/// Builds SVG text (SVG 1.1, standalone: no scripts, no external references), so the graphs open in any
/// browser and can be inlined into an HTML page as they are.
public struct SVGWriter {
    public private(set) var text = ""
    public let width: Double
    public let height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The whole document: the XML declaration and the root element around what was drawn.
    public func document(standalone: Bool = true) -> String {
        (standalone ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "")
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"white\"/>\n"
            + text + "</svg>\n"
    }

    /// `&`, `<`, `>`, `"` and `'` as entities.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    func n(_ v: Double) -> String { DecimalText.number(v) }

    /// Attributes as ` k="v"`, values escaped.
    static func attributes(_ attrs: KeyValuePairs<String, String>) -> String {
        var s = ""
        for (k, v) in attrs { s += " " + k + "=\"" + escape(v) + "\"" }
        return s
    }

    public mutating func open(_ element: String, _ attrs: KeyValuePairs<String, String> = [:]) {
        text += "<" + element + Self.attributes(attrs) + ">\n"
    }

    public mutating func close(_ element: String) { text += "</" + element + ">\n" }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, _ attrs: KeyValuePairs<String, String> = [:]) {
        text += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\"" + Self.attributes(attrs) + "/>\n"
    }

    public mutating func rect(x: Double, y: Double, width w: Double, height h: Double, _ attrs: KeyValuePairs<String, String> = [:]) {
        text += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, w)))\" height=\"\(n(max(0, h)))\"" + Self.attributes(attrs) + "/>\n"
    }

    public mutating func label(x: Double, y: Double, _ content: String, _ attrs: KeyValuePairs<String, String> = [:]) {
        text += "<text x=\"\(n(x))\" y=\"\(n(y))\"" + Self.attributes(attrs) + ">" + Self.escape(content) + "</text>\n"
    }

    /// A polyline through `points` (nothing for fewer than two).
    public mutating func polyline(_ points: [(Double, Double)], _ attrs: KeyValuePairs<String, String> = [:]) {
        guard points.count > 1 else { return }
        var s = "<polyline fill=\"none\" points=\""
        for (i, p) in points.enumerated() {
            if i > 0 { s += " " }
            s += n(p.0) + "," + n(p.1)
        }
        text += s + "\"" + Self.attributes(attrs) + "/>\n"
    }

    /// Raw markup (already escaped).
    public mutating func raw(_ markup: String) { text += markup }
}

/// Axis ticks at 1, 2 or 5 × 10^k, about `count` of them between `low` and `high`.
public func niceTicks(low: Double, high: Double, count: Int = 8) -> [Double] {
    guard high > low, count > 0 else { return [low] }
    let raw = (high - low) / Double(count)
    var magnitude = 1.0
    while magnitude * 10 <= raw { magnitude *= 10 }
    while magnitude > raw { magnitude /= 10 }
    let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
    var ticks: [Double] = []
    var t = (low / step).rounded(.up) * step
    while t <= high + step * 1e-9 && ticks.count < 100 {
        ticks.append(t)
        t += step
    }
    return ticks
}
