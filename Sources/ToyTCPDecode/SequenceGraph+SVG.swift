/// Drawing a `SequenceGraph` as SVG: plot frame, axes with units, the folded columns, a legend and the
/// flow in the title. Every mark carries a `class` (data, rexmit, ack, window, sack, syn, fin, rst,
/// zero-window) and the numbers it stands for (`data-seq`, `data-end`, `data-t`, in bytes from the
/// sender's first sequence number and seconds from the first packet), so tests and scripts can read the
/// picture back.
extension SequenceGraph {
    static let marginLeft = 90.0, marginRight = 30.0, marginTop = 70.0, marginBottom = 50.0

    /// Colours as tcptrace/xplot use them, on a white background.
    enum Palette {
        static let data = "#000000", rexmit = "#d62728", ack = "#2ca02c", window = "#e6a700"
        static let sack = "#9467bd", zeroWindow = "#dddddd", marks = "#1f77b4"
    }

    public func svg(title: String? = nil, standalone: Bool = true) -> String {
        let plotW = Double(columns.count), plotH = Double(max(100, options.height))
        var w = SVGWriter(width: plotW + Self.marginLeft + Self.marginRight,
                          height: plotH + Self.marginTop + Self.marginBottom)
        let origin = extent.origin ?? 0
        let t0 = Double(extent.firstTime - origin) / 1e9
        let t1 = max(t0 + 1e-6, Double(extent.lastTime - origin) / 1e9)
        var yLow = Double(extent.lowest == .max ? 0 : extent.lowest)
        var yHigh = Double(extent.highest == .min ? 1 : extent.highest)
        let pad = max(1, (yHigh - yLow) * 0.02)
        yLow -= pad
        yHigh += pad
        let left = Self.marginLeft, top = Self.marginTop
        func x(_ column: Int) -> Double { left + Double(column) + 0.5 }
        func xTime(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * (plotW - 1) + 0.5 }
        func y(_ v: Int64) -> Double { top + plotH - (Double(v) - yLow) / (yHigh - yLow) * plotH }
        func seconds(_ ns: Int64) -> String { DecimalText.seconds(ns - origin, digits: 6) }

        let heading = title ?? "\(extent.sender) \u{2192} \(extent.flow.a == extent.sender ? extent.flow.b : extent.flow.a)"
        w.label(x: left, y: 22, "Time-sequence graph: " + heading, ["font-size": "15", "font-weight": "bold", "class": "title"])
        w.label(x: left, y: 40, "\(segments) segments from \(extent.sender), \(retransmissions) retransmitted; "
                + "each pixel column folds the segments that fell in it (min..max)", ["fill": "#555555"])
        legend(&w, x: left, y: 58)

        // Frame and axes.
        w.rect(x: left, y: top, width: plotW, height: plotH, ["fill": "none", "stroke": "#888888", "class": "frame"])
        w.open("g", ["class": "axes", "fill": "#333333", "font-size": "11"])
        for t in niceTicks(low: t0, high: t1) {
            let px = xTime(t)
            w.line(x1: px, y1: top + plotH, x2: px, y2: top + plotH + 5, ["stroke": "#888888"])
            w.label(x: px, y: top + plotH + 18, DecimalText.number(t, digits: 6), ["text-anchor": "middle", "class": "x-tick"])
        }
        w.label(x: left + plotW / 2, y: top + plotH + 38, "time (s)", ["text-anchor": "middle"])
        for v in niceTicks(low: yLow, high: yHigh) {
            let py = y(Int64(v))
            w.line(x1: left - 5, y1: py, x2: left, y2: py, ["stroke": "#888888"])
            w.line(x1: left, y1: py, x2: left + plotW, y2: py, ["stroke": "#f0f0f0"])
            w.label(x: left - 8, y: py + 4, Self.byteText(v), ["text-anchor": "end", "class": "y-tick",
                                                              "data-value": DecimalText.number(v, digits: 0)])
        }
        w.label(x: 16, y: top + plotH / 2, "relative sequence number (bytes)",
                ["text-anchor": "middle", "transform": "rotate(-90 16 \(DecimalText.number(top + plotH / 2)))"])
        w.close("g")

        // Zero-window periods: runs of marked columns.
        w.open("g", ["class": "zero-windows", "fill": Palette.zeroWindow])
        var c = 0
        while c < columns.count {
            guard columns[c].zeroWindow else { c += 1; continue }
            var e = c
            while e + 1 < columns.count && columns[e + 1].zeroWindow { e += 1 }
            w.rect(x: x(c) - 0.5, y: top, width: Double(e - c + 1), height: plotH, ["class": "zero-window"])
            c = e + 1
        }
        w.close("g")

        // The receive-window and ACK lines.
        for (name, colour, pick) in [("window", Palette.window, \Column.window), ("ack", Palette.ack, \Column.ack)] {
            var points: [(Double, Double)] = []
            for (i, col) in columns.enumerated() where col[keyPath: pick].count > 0 {
                let tr = col[keyPath: pick]
                if let last = points.last { points.append((x(i), last.1)) }   // a step, as the value held
                points.append((x(i), y(tr.first)))
                if tr.low != tr.first { points.append((x(i), y(tr.low))) }
                if tr.high != tr.low { points.append((x(i), y(tr.high))) }
                points.append((x(i), y(tr.last)))
            }
            w.polyline(points, ["class": name, "stroke": colour, "stroke-width": "1"])
        }

        // SACK blocks, data and retransmissions: one bar per column and kind.
        // An R beside each retransmission while they are few enough to read; past that the red bars say it.
        let labelRetransmissions = columns.lazy.filter { $0.retransmitted.count > 0 }.count <= 150
        func bars(_ name: String, _ colour: String, _ pick: KeyPath<Column, Span>, dx: Double) {
            w.open("g", ["class": name + "-bars", "stroke": colour, "stroke-width": "1"])
            for (i, col) in columns.enumerated() where col[keyPath: pick].count > 0 {
                let s = col[keyPath: pick]
                let y1 = y(s.low), y2 = min(y(s.high), y1 - 1)
                w.line(x1: x(i) + dx, y1: y1, x2: x(i) + dx, y2: y2,
                       ["class": name, "data-seq": String(s.low), "data-end": String(s.high),
                        "data-t": seconds(s.firstTime), "data-count": String(s.count)])
                if name == "rexmit" && labelRetransmissions {
                    w.label(x: x(i) + 3, y: y2 - 2, "R", ["class": "rexmit-label", "fill": colour, "stroke": "none",
                                                          "font-size": "10"])
                }
            }
            w.close("g")
        }
        bars("sack", Palette.sack, \.sack, dx: 2)
        bars("data", Palette.data, \.data, dx: 0)
        bars("rexmit", Palette.rexmit, \.retransmitted, dx: 0)

        // SYN, FIN and RST marks.
        w.open("g", ["class": "marks", "font-size": "10", "font-weight": "bold"])
        for (i, col) in columns.enumerated() {
            for (name, value, colour) in [("SYN", col.syn, Palette.marks), ("FIN", col.fin, Palette.marks),
                                          ("RST", col.rst, Palette.rexmit)] {
                guard let v = value else { continue }
                w.rect(x: x(i) - 2, y: y(v) - 2, width: 4, height: 4, ["class": name.lowercased(), "fill": colour])
                w.label(x: x(i) + 4, y: y(v) + 12, name, ["fill": colour])
            }
        }
        w.close("g")
        return w.document(standalone: standalone)
    }

    func legend(_ w: inout SVGWriter, x: Double, y: Double) {
        let items: [(String, String, Bool)] = [
            ("data", Palette.data, false), ("retransmission (R)", Palette.rexmit, false),
            ("ACK", Palette.ack, false), ("receive window (ACK + win)", Palette.window, false),
            ("SACK", Palette.sack, false), ("zero window", Palette.zeroWindow, true),
            ("SYN/FIN", Palette.marks, true), ("RST", Palette.rexmit, true),
        ]
        w.open("g", ["class": "legend", "font-size": "11"])
        var px = x
        for (name, colour, block) in items {
            if block {
                w.rect(x: px, y: y - 8, width: 10, height: 10, ["fill": colour])
            } else {
                w.line(x1: px, y1: y - 3, x2: px + 14, y2: y - 3, ["stroke": colour, "stroke-width": "3"])
            }
            w.label(x: px + 18, y: y + 1, name)
            px += 18 + Double(name.count) * 6.2 + 14
        }
        w.close("g")
    }

    /// `1500`, `64k`, `1.5M`: compact byte counts for the y axis.
    static func byteText(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return DecimalText.number(v / 1e9, digits: 2) + "G" }
        if a >= 1e6 { return DecimalText.number(v / 1e6, digits: 2) + "M" }
        if a >= 1e4 { return DecimalText.number(v / 1e3, digits: 1) + "k" }
        return DecimalText.number(v, digits: 0)
    }
}
