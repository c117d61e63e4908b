/// A bad script line or a failed command: a one-line message with its location, the source line and a
/// caret under the column (`file:line:col: message`), as compilers print it.
public struct ScriptError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    /// The whole source line, for the caret; empty when there is none.
    public var sourceLine: String
    /// Further lines printed after the caret (an expectation's diff); usually empty.
    public var details: [String]
    /// False for expectation failures, which print `file:line:` as packetdrill does.
    public var showsColumn = true

    public init(_ message: String, at location: SourceLocation, sourceLine: String = "", details: [String] = []) {
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
        self.details = details
    }

    /// `file:line:col: message`.
    public var headline: String {
        showsColumn ? "\(location): \(message)" : "\(location.file):\(location.line): \(message)"
    }

    /// The headline, the source line and a caret under the column, then any details.
    public var description: String {
        var lines = [headline]
        if !sourceLine.isEmpty {
            lines.append(sourceLine)
            // Keep tabs so the caret lines up under tab-indented source.
            var caret = ""
            for (i, ch) in sourceLine.enumerated() where i < location.column - 1 {
                caret.append(ch == "\t" ? "\t" : " ")
            }
            if location.column - 1 > sourceLine.count {
                caret += String(repeating: " ", count: location.column - 1 - sourceLine.count)
            }
            lines.append(caret + "^")
        }
        lines.append(contentsOf: details)
        return lines.joined(separator: "\n")
    }
}
