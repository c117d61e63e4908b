import ArgumentParser
import ToyTCPDecode
#if canImport(Glibc)
import Glibc
#endif

/// When to colour the ladder: on a terminal only (auto), always, or never.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Options shared by `ladder` and `graph`: which conversation of the capture to draw.
struct FlowChoice: ParsableArguments {
    @Argument(help: ArgumentHelp("A pcap or pcapng file.", valueName: "file"),
              completion: .file(extensions: ["pcap", "pcapng", "cap"]))
    var file: String

    @Option(name: .long, help: ArgumentHelp("The conversation to draw, as A.B.C.D:PORT-E.F.G.H:PORT (either order). Default: the first.",
                                            valueName: "flow"))
    var flow: String?

    func validate() throws {
        if let f = flow, FlowKey(f) == nil {
            throw ValidationError("--flow takes two ends like 10.0.0.1:40000-10.0.0.2:80.")
        }
    }

    /// Streams the file's segments into `body`. A file that cannot be opened ends the command; a corrupt
    /// record ends the walk there, and everything before it is still drawn (`finish()` then exits 1).
    func stream(_ body: (FlowSegment) -> Bool) {
        do { try CaptureSegments.forEach(path: file, body) } catch {
            guard case .corruptRecord = error.kind else { failPicture("\(error)") }   // names the file
            CaptureDamage.first = CaptureDamage.first ?? error
        }
    }

    /// Exits 1 naming the corrupt record, if the walk met one (after the picture was written).
    func finish() {
        if let damage = CaptureDamage.first {
            failPicture("\(file): \(damage); the picture shows the packets before it")
        }
    }

    /// The chosen conversation; lists the others on standard error when the choice was a default among several.
    func choose() -> FlowSummary {
        var index: [FlowKey: Int] = [:]
        var flows: [FlowSummary] = []
        stream { s in
            CaptureSegments.count(s, into: &flows, index: &index)
            return true
        }
        guard !flows.isEmpty else { failPicture("\(file): no IPv4 TCP segments") }
        if let text = flow, let key = FlowKey(text) {
            guard let found = flows.first(where: { $0.key == key }) else {
                failPicture("\(file): no conversation \(text); it holds:\n" + Self.list(flows))
            }
            return found
        }
        if flows.count > 1 {
            FileHandleOutput.standardError("\(file) holds \(flows.count) conversations; drawing the first. "
                                           + "Choose another with --flow:\n" + Self.list(flows))
        }
        return flows[0]
    }

    static func list(_ flows: [FlowSummary]) -> String {
        flows.prefix(50).map { "  \($0.key)  \($0.packets) packets, \($0.bytesFromA)/\($0.bytesFromB) bytes" }
            .joined(separator: "\n") + (flows.count > 50 ? "\n  … \(flows.count - 50) more" : "")
    }

    /// The first `limit` segments of `flow`.
    func segments(of flow: FlowKey, limit: Int) -> [FlowSegment] {
        var out: [FlowSegment] = []
        stream { s in
            if flow.contains(source: s.source, destination: s.destination) { out.append(s) }
            return out.count < limit
        }
        return out
    }
}

/// The first corrupt record met while reading the capture (the commands read it several times).
enum CaptureDamage {
    nonisolated(unsafe) static var first: PcapError?
}

/// Exits with status 1 after printing `message` on standard error.
func failPicture(_ message: String) -> Never {
    FileHandleOutput.standardError("toytcp-shell: " + message)
    exit(1)
}

/// `toytcp-shell ladder`: the arrow diagram of one conversation in a capture (RFC 9293's figures).
struct Ladder: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the ladder (arrow) diagram of a TCP conversation in a capture.",
        discussion: """
            Two columns, one per end, time going down; each arrow carries the flags, seq/ack (relative to \
            each side's first sequence number unless --absolute), length and window; each side's state \
            (inferred from the segments) is written where it changes; retransmissions are drawn with '=' \
            and marked R. Fits the terminal's width; coloured on a terminal.
            Examples:
              toytcp-shell ladder capture.pcap
              toytcp-shell ladder capture.pcap --flow 10.0.0.1:40000-10.0.0.2:80 --limit 20
            """)

    @OptionGroup var choice: FlowChoice

    @Option(name: .long, help: "Draw at most this many segments.")
    var limit = 200

    @Flag(name: .long, help: "Print sequence numbers as carried, not relative.")
    var absolute = false

    @Option(name: .long, help: "Width in columns (default: $COLUMNS, else the terminal's, else 100).")
    var width: Int?

    @Option(name: .long, help: "Colour: auto (on a terminal), always or never.")
    var color: ColorChoice = .auto

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        if let w = width, w < 60 { throw ValidationError("--width must be at least 60 columns.") }
    }

    func run() throws {
        let flow = choice.choose()
        let segments = choice.segments(of: flow.key, limit: limit)
        let options = LadderDiagram.Options(width: width ?? Terminal.columns(), absolute: absolute,
                                            color: color == .always || (color == .auto && Terminal.isTerminal))
        let text = LadderDiagram.render(segments: segments, left: flow.key.a, options: options)
        StandardOutput().write(string: text)
        if flow.packets > segments.count {
            FileHandleOutput.standardError("(\(segments.count) of \(flow.packets) segments; raise --limit for more)")
        }
        choice.finish()
    }
}

/// The terminal standard output is on, if any.
enum Terminal {
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// `$COLUMNS`, else the terminal's width (TIOCGWINSZ), else 100.
    static func columns() -> Int {
        if let text = getenv("COLUMNS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return n }
        var size = winsize()
        if isTerminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 100
    }
}

extension StandardOutput {
    func write(string: String) {
        var text = string
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}
