import ArgumentParser
import Foundation
import ToyTCPDecode

/// `toytcp-shell graph`: the tcptrace-style time-sequence graph of a conversation in a capture, as SVG
/// or as one self-contained HTML page with the ladder below it.
///
/// Three streaming passes over the file (the conversations; the chosen one's extent; the drawing), so a
/// capture of any size draws in memory bounded by the graph's width (see `SequenceGraph`).
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the time-sequence graph of a TCP conversation in a capture as SVG (or HTML).",
        discussion: """
            Sequence number against time, as tcptrace draws it: each data segment a vertical bar from seq to \
            seq+len, retransmissions red with an R, the ACK line (green), the receive-window line (ACK + \
            window, scaled by the SYNs' window scale), SACK blocks (purple), SYN/FIN/RST marks and shaded \
            zero-window periods. The data sender is the end that sent more payload unless --sender says.
            Examples:
              toytcp-shell graph capture.pcap --out seq.svg
              toytcp-shell graph capture.pcap --out report.html --html --from 1.5 --to 3
            """)

    @OptionGroup var choice: FlowChoice

    @Option(name: .long, help: ArgumentHelp("Where to write the SVG (or HTML with --html).", valueName: "file"))
    var out: String

    @Flag(name: .long, help: "Write one self-contained HTML page with the graph and the ladder.")
    var html = false

    @Option(name: .long, help: ArgumentHelp("The end whose data to graph (A.B.C.D:PORT).", valueName: "end"))
    var sender: String?

    @Option(name: .long, help: ArgumentHelp("Start of the time range, in seconds after the first packet.", valueName: "seconds"))
    var from: Double?

    @Option(name: .long, help: ArgumentHelp("End of the time range, in seconds after the first packet.", valueName: "seconds"))
    var to: Double?

    @Option(name: .long, help: "Plot width in pixels (one column each: the thinning resolution).")
    var width = 1000

    @Option(name: .long, help: "Plot height in pixels.")
    var height = 560

    @Option(name: .long, help: "Segments in the HTML page's ladder.")
    var ladderLimit = 300

    func validate() throws {
        if let s = sender, FlowEndpoint(s) == nil { throw ValidationError("--sender takes one end like 10.0.0.1:40000 or [fd00::1]:40000.") }
        if let f = from, let t = to, t <= f { throw ValidationError("--to must be later than --from.") }
        if (from ?? 0) < 0 || (to ?? 0) < 0 { throw ValidationError("--from and --to are seconds after the first packet, 0 or more.") }
        if width < 100 || width > 20000 { throw ValidationError("--width must be between 100 and 20000 pixels.") }
        if height < 100 || height > 20000 { throw ValidationError("--height must be between 100 and 20000 pixels.") }
    }

    func run() throws {
        let flow = choice.choose()
        let dataSender = sender.flatMap { FlowEndpoint($0) } ?? flow.dataSender
        guard dataSender == flow.key.a || dataSender == flow.key.b else {
            failPicture("--sender \(dataSender) is not an end of \(flow.key)")
        }
        guard let graph = draw(flow.key, sender: dataSender) else {
            failPicture("\(flow.key): nothing from \(dataSender) in that time range")
        }
        let text: String
        if html {
            var report = HTMLReport(title: "TCP conversation \(flow.key)")
            report.parts.append(.svg(heading: "Time-sequence graph, data from \(dataSender)",
                                     markup: graph.svg(standalone: false)))
            // The page shows the other direction too when it carried data (tcptrace draws both).
            let other = dataSender == flow.key.a ? flow.key.b : flow.key.a
            if (other == flow.key.a ? flow.bytesFromA : flow.bytesFromB) > 0, let back = draw(flow.key, sender: other) {
                report.parts.append(.svg(heading: "Time-sequence graph, data from \(other)", markup: back.svg(standalone: false)))
            }
            let segments = choice.segments(of: flow.key, limit: ladderLimit)
            report.parts.append(.text(heading: "Ladder (first \(segments.count) of \(flow.packets) segments)",
                                      text: LadderDiagram.render(segments: segments, left: flow.key.a,
                                                                 options: .init(width: 110))))
            text = report.render()
        } else {
            text = graph.svg()
        }
        do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
            failPicture("cannot write \(out): \(error.localizedDescription)")
        }
        FileHandleOutput.standardError("wrote \(out): \(graph.segments) segments from \(dataSender), "
                                       + "\(graph.retransmissions) retransmitted")
        choice.finish()
    }

    /// The graph of `sender`'s data: one pass for the extent, one to draw (nil when nothing is in range).
    func draw(_ flow: FlowKey, sender: FlowEndpoint) -> SequenceGraph? {
        var extent = SequenceGraphExtent(flow: flow, sender: sender,
                                         from: from.map { Int64($0 * 1e9) }, to: to.map { Int64($0 * 1e9) })
        choice.stream { extent.add($0); return true }
        var graph = SequenceGraph(extent: extent, options: .init(width: width, height: height))
        guard !graph.isEmpty else { return nil }
        choice.stream { graph.add($0); return true }
        return graph
    }
}
