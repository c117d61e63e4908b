import ToyTCPScript
import ToyTCPWire

/// What tab completes, from the words before the cursor: command names first; then, by command,
/// flag letters, field and option names, connection names, listener and segment names, TCP states,
/// and file names (after `@`, and for `record`).
public struct Completion {
    /// The names the session knows now.
    public struct Names: Sendable {
        public var connections: [String] = []
        public var listeners: [String] = []
        public var segments: [String] = []
        public var variables: [String] = []
        /// Addresses of the network (ours and the peers'), both families.
        public var addresses: [IPAddress] = []
        public init(connections: [String] = [], listeners: [String] = [], segments: [String] = [], variables: [String] = [],
                    addresses: [IPAddress] = []) {
            self.connections = connections; self.listeners = listeners; self.segments = segments; self.variables = variables
            self.addresses = addresses
        }
    }

    public var names: () -> Names

    public init(names: @escaping () -> Names) { self.names = names }

    /// Flag words offered where a command takes TCP flags (tcpdump's and packetdrill's spellings).
    public static let flagWords = ["S", "S.", "SA", ".", "P.", "PA", "F.", "FA", "R", "R.", "SEW", "U.", "FP."]

    /// `10.0.1.1:` or `[fd00:0:0:2::1]:`: an address written so a port can follow (RFC 3986 §3.2.2).
    static func endpointPrefix(_ address: IPAddress) -> String {
        address.isIPv6 ? "[\(address)]:" : "\(address):"
    }

    static let connectionCommands: Set<String> = ["send", "recv", "shutdown", "close", "abort", "status", "use", "wait"]

    /// Candidates for `word`, the text being completed; `before` is the line up to it.
    /// `files` asks the caller to add file names.
    public func candidates(before: String, word: String) -> (words: [String], files: Bool) {
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func matching(_ list: [String]) -> [String] { list.filter { $0.hasPrefix(word) } }
        guard let first = words.first else {
            return (matching(Parser.commandNames), false)
        }
        if before.hasSuffix("@") { return ([], true) }
        let command = Parser.aliases[first] ?? first
        let n = names()
        let position = words.count // index of the word being completed
        // A dotted word completes fields of a connection or a segment (`c.snd.n` → `c.snd.nxt`).
        if let dot = word.firstIndex(of: ".") {
            let head = String(word[..<dot])
            if n.connections.contains(head) {
                return (matching(Interpreter.connectionFields.map { head + "." + $0 }), false)
            }
            if n.segments.contains(head) || head == "last" {
                return (matching(Interpreter.segmentFields.map { head + "." + $0 }), false)
            }
        }
        let values = n.connections + n.segments + n.variables + ["last"]
        // After `key=` (the `=` breaks words): a value, often an expression over names.
        if before.hasSuffix("=") {
            let key = words.last.map { String($0.dropLast()) } ?? ""
            if key == "payload" || key == "data" { return ([], false) }
            return (matching(values), false)
        }
        let previous = words.last ?? ""
        switch command {
        case "help":
            return (position == 1 ? matching(Parser.commandNames) : [], false)
        case "record":
            return position == 1 ? (matching(["off"]), true) : ([], false)
        case "set":
            if position == 1 { return (matching(CommandReference.named("set")?.keywords ?? []), false) }
            let values: [String: [String]] = ["expect": ["strict", "any"], "numbers": ["relative", "absolute"], "tolerance": [],
                                              "crafted": ["keep", "feed"], "loop": ["sleep", "busy-poll", "spin"],
                                              "loop-priority": ["realtime", "normal"]]
            return (position == 2 ? matching(values[previous] ?? ["on", "off"]) : [], false)
        case "trace":
            return (position == 1 ? matching(["on", "off"]) : [], false)
        case "peer":
            return (position == 1 ? matching(PeerKind.allCases.map(\.rawValue)) : [], false)
        case "show":
            return (position == 1 ? matching(["LAST"] + n.segments) : [], false)
        case "accept":
            if position == 1 { return (matching(n.listeners + ["within", "as"]), false) }
            return (matching(["within", "as"]), false)
        case "inject", "expect":
            if position == 1 { return (matching(command == "expect" ? ["*"] + Completion.flagWords : Completion.flagWords), false) }
            if previous == "on" || previous == "to" { return (matching(n.connections), false) }
            let keywords = CommandReference.named(command)?.keywords ?? []
            return (matching(keywords), false)
        case "wait":
            if position == 1 { return (matching(n.connections), false) }
            return (matching(CommandReference.named("wait")?.keywords ?? []), false)
        case "let", "assert", "print":
            return (matching(values), false)
        case "connect":
            // An endpoint: `10.0.1.1:` or `[fd00:0:0:2::1]:` (the port follows).
            if position == 1 { return (matching(n.addresses.map { Completion.endpointPrefix($0) }), false) }
            if previous == "from" { return (matching(n.addresses.map { Completion.endpointPrefix($0) }), false) }
            return (position >= 3 ? matching(["from", "within", "as"]) : [], false)
        case "listen":
            if position == 1 { return (matching(n.addresses.map { Completion.endpointPrefix($0) } + ["[::]:", "0.0.0.0:"]), false) }
            return (position >= 2 ? matching(["as"]) : [], false)
        default:
            if Completion.connectionCommands.contains(command), position == 1 {
                return (matching(n.connections), false)
            }
            if command == "recv" { return (matching(["within"]), false) }
            return ([], false)
        }
    }
}
