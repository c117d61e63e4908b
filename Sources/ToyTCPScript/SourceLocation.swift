/// Where something is in a script: file name, 1-based line and 1-based column (in characters).
///
/// The REPL is a script a person types: its file is `<stdin>` and every entered line counts.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`, the form compilers and packetdrill print.
    public var description: String { "\(file):\(line):\(column)" }

    /// The same line at another column.
    public func at(column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }
}
