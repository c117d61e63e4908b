/// Line plots of variables over time, sharing one time axis, with shaded spans: the stack's own
/// variables (cwnd, ssthresh, flight size, receive window, SRTT, RTO) beside its time-sequence graph,
/// and its recovery episodes (fast recovery, RTO, tail-loss probe) as spans across every panel.
///
/// Values are drawn as steps (a variable holds its value until the next sample). Like `SequenceGraph`,
/// samples are folded per pixel column (first, min, max, last), so the drawing stays O(width).
public struct TimeSeriesPlot {
    public struct Series: Sendable {
        public var name: String
        public var colour: String
        /// (time in nanoseconds, value), in time order.
        public var points: [(Int64, Double)]
        public init(name: String, colour: String, points: [(Int64, Double)]) {
            self.name = name
            self.colour = colour
            self.points = points
        }
    }

    public struct Panel: Sendable {
        public var title: String
        /// The unit of the y axis ("bytes", "ms").
        public var unit: String
        public var series: [Series]
        public init(title: String, unit: String, series: [Series]) {
            self.title = title
            self.unit = unit
            self.series = series
        }
    }

    public struct Span: Sendable {
        public var start: Int64
        public var end: Int64
        public var label: String
        public init(start: Int64, end: Int64, label: String) {
            self.start = start
            self.end = end
            self.label = label
        }
    }

    public var title: String
    public var panels: [Panel]
    public var spans: [Span]
    /// The time range (nanoseconds) and its zero.
    public var from: Int64
    public var to: Int64
    public var origin: Int64
    public var width = 1000
    public var panelHeight = 220

    public init(title: String, panels: [Panel], spans: [Span], from: Int64, to: Int64, origin: Int64) {
        self.title = title
        self.panels = panels
        self.spans = spans
        self.from = from
        self.to = max(to, from + 1)
        self.origin = origin
    }

    static let spanColours = ["fast recovery": "#fde0dd", "RTO": "#fbb4ae", "tail-loss probe": "#ccebc5"]

    public func svg(standalone: Bool = true) -> String {
        let left = 90.0, top = 50.0, gap = 60.0
        let plotW = Double(width), plotH = Double(panelHeight)
        var w = SVGWriter(width: plotW + left + 30, height: top + Double(panels.count) * (plotH + gap) + 10)
        w.label(x: left, y: 22, title, ["font-size": "15", "font-weight": "bold", "class": "title"])
        func x(_ t: Int64) -> Double { left + Double(t - from) / Double(to - from) * (plotW - 1) + 0.5 }
        let t0 = Double(from - origin) / 1e9, t1 = Double(to - origin) / 1e9
        // Span legend.
        var lx = left
        for (name, colour) in Self.spanColours.sorted(by: { $0.key < $1.key }) where spans.contains(where: { $0.label == name }) {
            w.rect(x: lx, y: 32, width: 10, height: 10, ["fill": colour])
            w.label(x: lx + 14, y: 41, name, ["font-size": "11"])
            lx += 30 + Double(name.count) * 6.2
        }
        for (i, panel) in panels.enumerated() {
            let ptop = top + Double(i) * (plotH + gap) + 20
            let values = panel.series.flatMap { $0.points.map(\.1) }
            let vLow = min(0, values.min() ?? 0), vHigh = max((values.max() ?? 1) * 1.05, vLow + 1)
            func y(_ v: Double) -> Double { ptop + plotH - (v - vLow) / (vHigh - vLow) * plotH }
            w.label(x: left, y: ptop - 8, panel.title, ["font-weight": "bold", "class": "panel-title"])
            w.open("g", ["class": "spans"])
            for s in spans where s.end >= from && s.start <= to {
                let x1 = x(max(s.start, from)), x2 = x(min(s.end, to))
                w.rect(x: x1, y: ptop, width: max(1, x2 - x1), height: plotH,
                       ["class": "span", "fill": Self.spanColours[s.label] ?? "#eeeeee", "data-label": s.label])
            }
            w.close("g")
            w.rect(x: left, y: ptop, width: plotW, height: plotH, ["fill": "none", "stroke": "#888888", "class": "frame"])
            w.open("g", ["class": "axes", "font-size": "11", "fill": "#333333"])
            for v in niceTicks(low: vLow, high: vHigh, count: 5) {
                w.line(x1: left - 5, y1: y(v), x2: left, y2: y(v), ["stroke": "#888888"])
                w.label(x: left - 8, y: y(v) + 4, SequenceGraph.byteText(v), ["text-anchor": "end"])
            }
            for t in niceTicks(low: t0, high: t1) {
                let px = left + (t - t0) / (t1 - t0) * (plotW - 1) + 0.5
                w.line(x1: px, y1: ptop + plotH, x2: px, y2: ptop + plotH + 5, ["stroke": "#888888"])
                w.label(x: px, y: ptop + plotH + 17, DecimalText.number(t, digits: 6), ["text-anchor": "middle"])
            }
            w.label(x: 16, y: ptop + plotH / 2, panel.unit,
                    ["text-anchor": "middle", "transform": "rotate(-90 16 \(DecimalText.number(ptop + plotH / 2)))"])
            w.label(x: left + plotW - 40, y: ptop + plotH + 32, "time (s)", ["text-anchor": "middle"])
            w.close("g")
            // Series legend, then the lines.
            var sx = left + Double(panel.title.count) * 7.5 + 20
            for s in panel.series {
                w.line(x1: sx, y1: ptop - 12, x2: sx + 14, y2: ptop - 12, ["stroke": s.colour, "stroke-width": "3"])
                w.label(x: sx + 18, y: ptop - 8, s.name, ["font-size": "11"])
                sx += 32 + Double(s.name.count) * 6.2
                w.polyline(steps(s.points, x: x, y: y), ["class": "series", "data-name": s.name, "stroke": s.colour,
                                                         "stroke-width": "1.5"])
            }
        }
        return w.document(standalone: standalone)
    }

    /// Step points for one series, folded per pixel column (first, min, max, last).
    func steps(_ points: [(Int64, Double)], x: (Int64) -> Double, y: (Double) -> Double) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var column = Int.min
        var first = 0.0, low = 0.0, high = 0.0, last = 0.0
        func flush() {
            guard column != Int.min else { return }
            let px = Double(column) + 0.5
            if let prev = out.last { out.append((px, prev.1)) }
            out.append((px, y(first)))
            if low != first { out.append((px, y(low))) }
            if high != low { out.append((px, y(high))) }
            out.append((px, y(last)))
        }
        for (t, v) in points where t >= from && t <= to {
            let c = Int(x(t))
            if c != column {
                flush()
                column = c
                first = v; low = v; high = v
            }
            low = min(low, v); high = max(high, v); last = v
        }
        flush()
        if let end = out.last { out.append((x(to), end.1)) }
        return out
    }
}
