import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire
import ToyTCPTestSupport
@testable import ToyTCPSim

/// Keeps every packet as transmitted, and which of them the link lost, as the pictures' input.
final class PictureTap: PacketStage {
    var packets: [LadderPacket] = []
    var lost: [[UInt8]] = []
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        packets.append(LadderPacket(time: now.nanoseconds, bytes: packet.bytes))
        return .pass
    }
    func dropped(_ packet: PacketRecord, at now: Instant) { lost.append(packet.bytes) }
}

/// The SVG's marks, read back with XMLParser: the elements of one class and their attributes.
final class SVGMarks: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [(attributes: [String: String], text: String)] = []
    private var currentText: [String: String]?
    private var buffer = ""

    static func parse(_ svg: String) throws -> SVGMarks {
        let marks = SVGMarks()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = marks
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        return marks
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        if name == "text" { currentText = attributes; buffer = "" }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { buffer += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let a = currentText { texts.append((a, buffer)); currentText = nil }
    }

    func of(class c: String) -> [[String: String]] { elements.filter { $0.attributes["class"] == c }.map(\.attributes) }
}

extension [String: String] {
    func number(_ key: String) -> Double? { self[key].flatMap(Double.init) }
}

@Suite("Pictures of a simulated lossy transfer: time-sequence graph (SVG) and the browser's rendering", .serialized)
struct PictureTests {
    /// 500 kB from a to b over a 10 ms link losing 5 % (seed 13): the run and its packets.
    static func lossyTransfer() throws -> (packets: [LadderPacket], lost: [[UInt8]]) {
        let net = SimulatedNetwork(seed: 13)
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(10), lossRate: 0.05))
        let tap = PictureTap()
        net.addTap(tap)
        try b.start(PeerApp.discard())
        try a.start(PeerApp(.source(bytes: 500_000), connectingTo: b.address, port: 9))
        try net.run(for: .seconds(60))
        return (tap.packets, tap.lost)
    }

    static func graph(_ packets: [LadderPacket], width: Int = 1000) -> SequenceGraph {
        let segments = packets.compactMap { FlowSegment(ipv4: $0.bytes, time: $0.time) }
        let first = segments[0]
        var extent = SequenceGraphExtent(flow: FlowKey(a: first.source, b: first.destination), sender: first.source)
        for s in segments { extent.add(s) }
        var graph = SequenceGraph(extent: extent, options: .init(width: width))
        for s in segments { graph.add(s) }
        return graph
    }

    @Test("Each retransmission of a lossy transfer is drawn in red with an R, at its sequence number and time")
    func retransmissionsInTheSVG() throws {
        let (packets, lost) = try Self.lossyTransfer()
        let segments = packets.compactMap { FlowSegment(ipv4: $0.bytes, time: $0.time) }
        let sender = segments[0].source
        let isn = segments[0].sequence
        let origin = segments[0].time
        let lastTime = segments.last!.time
        // The retransmissions, found from the packets: data starting below the highest byte already sent.
        var highest = 0
        var retransmitted: [(seq: Int, end: Int, t: Int64)] = []
        for s in segments where s.source == sender && s.payloadLength > 0 {
            let seq = s.sequence - isn
            if seq < highest { retransmitted.append((seq, seq + s.payloadLength, s.time)) }
            highest = max(highest, seq + s.payloadLength)
        }
        // Every data segment the link lost had to be sent again for the transfer to finish.
        let lostData = lost.compactMap { FlowSegment(ipv4: $0, time: 0) }.filter { $0.source == sender && $0.payloadLength > 0 }
        print("picture test: \(segments.count) segments, \(lost.count) lost (\(lostData.count) data), \(retransmitted.count) retransmitted, last at \(Double(lastTime - origin) / 1e9) s")
        #expect(lostData.count >= 3)
        #expect(retransmitted.count >= lostData.count)
        for l in lostData {
            let seq = l.sequence - isn
            #expect(retransmitted.contains { $0.seq <= seq && seq < $0.end }, "lost \(seq) never retransmitted")
        }

        let svg = Self.graph(packets).svg()
        let marks = try SVGMarks.parse(svg)
        let bars = marks.of(class: "rexmit")
        let frame = try #require(marks.of(class: "frame").first)
        let frameX = try #require(frame.number("x")), frameW = try #require(frame.number("width"))
        // The y axis from two of its tick labels (value at y + 4).
        let ticks = marks.texts.filter { $0.attributes["class"] == "y-tick" }
            .compactMap { t -> (Double, Double)? in
                guard let y = t.attributes.number("y"), let v = t.attributes.number("data-value") else { return nil }
                return (v, y - 4)
            }
        try #require(ticks.count >= 2, "y-axis ticks: \(ticks)")
        let (v0, y0) = ticks[0], (v1, y1) = ticks[ticks.count - 1]
        func yOf(_ v: Double) -> Double { y0 + (v - v0) * (y1 - y0) / (v1 - v0) }
        func xOf(_ t: Int64) -> Double { frameX + Double(t - origin) / Double(lastTime - origin) * (frameW - 1) + 0.5 }

        for r in retransmitted {
            let hit = bars.first { bar in
                guard let lo = bar.number("data-seq"), let hi = bar.number("data-end"), let x = bar.number("x1"),
                      let yLow = bar.number("y1") else { return false }
                return lo <= Double(r.seq) && Double(r.end) <= hi && abs(x - xOf(r.t)) <= 1.0
                    && yLow >= yOf(Double(r.seq)) - 1.5   // the bar reaches down to the segment (y grows downwards)
            }
            #expect(hit != nil, "no R bar covers retransmission \(r.seq):\(r.end) at \(Double(r.t - origin) / 1e9) s")
        }
        // Every bar's bottom sits at its sequence number on the axis.
        for bar in bars {
            let lo = try #require(bar.number("data-seq")), yLow = try #require(bar.number("y1"))
            #expect(abs(yLow - yOf(lo)) <= 1.5, "bar at seq \(lo): y \(yLow), axis says \(yOf(lo))")
        }
        let drawn = bars.compactMap { $0.number("data-count") }.reduce(0, +)
        #expect(Int(drawn) >= retransmitted.count)
        #expect(marks.of(class: "rexmit-label").count == bars.count)
        #expect(!marks.of(class: "ack").isEmpty && !marks.of(class: "window").isEmpty)
        #expect(!marks.of(class: "syn").isEmpty && !marks.of(class: "fin").isEmpty)
        #expect(marks.texts.contains { $0.text == "time (s)" })
    }
}

/// Headless Chromium (Debian's `chromium`, installed by scripts/setup.sh) as the real browser the pictures
/// must render in.
enum HeadlessBrowser {
    static let path = "/usr/bin/chromium"

    struct Shot {
        var png: [UInt8]
        var stderr: String
        /// Width and height from the PNG's IHDR chunk (bytes 16..<24, big-endian).
        var size: (Int, Int)? {
            guard png.count > 24, png[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
                  png[12..<16].elementsEqual(Array("IHDR".utf8)) else { return nil }
            func u32(_ o: Int) -> Int { png[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
            return (u32(16), u32(20))
        }
    }

    /// Opens `file` and writes a screenshot of a `width`×`height` window, bounded to 60 s.
    static func screenshot(_ file: String, width: Int, height: Int) throws -> Shot {
        let png = NSTemporaryDirectory() + "toytcp-shot-\(UUID().uuidString.prefix(8)).png"
        defer { try? FileManager.default.removeItem(atPath: png) }
        let run = try Subprocess.run([path, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                      "--hide-scrollbars", "--screenshot=\(png)", "--window-size=\(width),\(height)",
                                      "file://\(file)"], timeout: .seconds(60))
        let bytes = FileManager.default.contents(atPath: png).map { [UInt8]($0) } ?? []
        return Shot(png: bytes, stderr: run.stderr)
    }

    /// Console messages the page logged at error level (Chromium prints them as `CONSOLE` lines or
    /// `Uncaught` errors), and failed loads.
    static func consoleErrors(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter {
            $0.contains("Uncaught") || ($0.contains("CONSOLE") && $0.lowercased().contains("error"))
                || $0.contains("net::ERR_")
        }
    }
}

extension PictureTests {
    /// The pictures of the lossy transfer, written where a browser can open them: the SVG, the HTML page
    /// (graph and ladder, lost segments marked) and a blank page of the same size to compare with.
    static func writePictures() throws -> (svg: String, html: String, blank: String) {
        let (packets, lost) = try lossyTransfer()
        let lostSet = Set(lost)
        let marked = packets.map { p in
            LadderPacket(time: p.time, bytes: p.bytes, lost: lostSet.contains(p.bytes))
        }
        let graph = graph(packets)
        let dir = NSTemporaryDirectory() + "toytcp-pictures-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let svg = dir + "/seq.svg", html = dir + "/report.html", blank = dir + "/blank.html"
        try graph.svg().write(toFile: svg, atomically: true, encoding: .utf8)
        var report = HTMLReport(title: "Lossy transfer on the simulated network (seed 13)")
        report.parts.append(.svg(heading: "Time-sequence graph", markup: graph.svg(standalone: false)))
        report.parts.append(.text(heading: "Ladder (first 60 segments)",
                                  text: LadderDiagram.render(Array(marked.prefix(60)), options: .init(width: 110))))
        try report.render().write(toFile: html, atomically: true, encoding: .utf8)
        try "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>\n"
            .write(toFile: blank, atomically: true, encoding: .utf8)
        return (svg, html, blank)
    }

    @Test("Headless Chromium renders the SVG and the HTML page: PNG of the window's size, not blank, no console errors")
    func rendersInABrowser() throws {
        try #require(FileManager.default.isExecutableFile(atPath: HeadlessBrowser.path),
                     "chromium is missing: run scripts/setup.sh")
        let (svg, html, blank) = try Self.writePictures()
        defer { try? FileManager.default.removeItem(atPath: (svg as NSString).deletingLastPathComponent) }
        let empty = try HeadlessBrowser.screenshot(blank, width: 1200, height: 800)
        #expect(empty.size?.0 == 1200 && empty.size?.1 == 800)
        for file in [svg, html] {
            let shot = try HeadlessBrowser.screenshot(file, width: 1200, height: 800)
            #expect(shot.size?.0 == 1200 && shot.size?.1 == 800, "\(file): PNG size \(String(describing: shot.size))")
            // A blank page compresses to almost nothing; a drawn graph cannot.
            #expect(shot.png.count > 4 * empty.png.count, "\(file): \(shot.png.count) bytes vs blank \(empty.png.count)")
            #expect(HeadlessBrowser.consoleErrors(shot.stderr).isEmpty, "\(HeadlessBrowser.consoleErrors(shot.stderr))")
            if let keep = ProcessInfo.processInfo.environment["TOYTCP_KEEP_SCREENSHOTS"] {
                let name = (file as NSString).lastPathComponent + ".png"
                FileManager.default.createFile(atPath: keep + "/" + name, contents: Data(shot.png))
                try? FileManager.default.removeItem(atPath: keep + "/" + (file as NSString).lastPathComponent)
                try FileManager.default.copyItem(atPath: file, toPath: keep + "/" + (file as NSString).lastPathComponent)
            }
        }
    }
}
