/// One token of a script line.
///
/// Lines are split into words at blanks and `=`; quoted strings are tokens of their own (with escapes
/// already decoded). A word's meaning (flags, address, number, expression) is decided by the parser from
/// its place in the command, so `S.` and `10.0.1.1:7` and `c.snd.nxt+1` are all plain words.
public struct Token: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A run of characters without blanks, `=` or quotes.
        case word
        /// A quoted string; `bytes` holds the decoded value (UTF-8, escapes applied).
        case string(bytes: [UInt8])
        /// `=` between a key and its value.
        case equals
    }

    public var kind: Kind
    /// The token's source text (for a string: with its quotes).
    public var text: String
    /// 1-based column of the token's first character.
    public var column: Int

    public init(kind: Kind, text: String, column: Int) {
        self.kind = kind
        self.text = text
        self.column = column
    }

    public var isWord: Bool { kind == .word }
    public var isEquals: Bool { kind == .equals }
}
