/// The nine TCP control bits: the eight of RFC 9293 §3.1 (CWR ECE URG ACK PSH RST SYN FIN) and AE, the
/// lowest reserved bit that AccECN (RFC 9768) uses. Raw values are the bits as they sit in the 16 bits
/// that start at byte 12 of the header, below the data offset and the three reserved bits.
@frozen
public struct TCPFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x1FF }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    /// Accurate ECN (RFC 9768), formerly the NS bit of RFC 3540.
    public static let ae = TCPFlags(rawValue: 0x100)

    /// The flags in tcpdump's order, with the letter tcpdump prints for each.
    public static let tcpdumpOrder: [(TCPFlags, Character)] = [
        (.fin, "F"), (.syn, "S"), (.rst, "R"), (.psh, "P"), (.ack, "."), (.urg, "U"),
        (.ece, "E"), (.cwr, "W"), (.ae, "e"),
    ]

    /// tcpdump's rendering: one letter per set bit (`S.`, `P.`, `F.`), or `none`.
    public var description: String {
        var s = ""
        for (flag, letter) in TCPFlags.tcpdumpOrder where contains(flag) { s.append(letter) }
        return s.isEmpty ? "none" : s
    }

    /// Parses flags written as tcpdump or packetdrill write them: `S`, `S.`, `SA`, `PA`, `FA`, `R.`,
    /// `none` / `.` alone. Letters: F S R P A or `.` (ACK), U, E (ECE), W or C (CWR), e (AE).
    /// Empty text, like `none`, is no flags. Returns the offending character's index on error.
    public static func parse(_ text: some StringProtocol) -> Result<TCPFlags, FlagParseError> {
        if text == "none" || text == "0" { return .success([]) }
        var flags: TCPFlags = []
        for (i, ch) in text.enumerated() {
            switch ch {
            case "F": flags.insert(.fin)
            case "S": flags.insert(.syn)
            case "R": flags.insert(.rst)
            case "P": flags.insert(.psh)
            case "A", ".": flags.insert(.ack)
            case "U": flags.insert(.urg)
            case "E": flags.insert(.ece)
            case "W", "C": flags.insert(.cwr)
            case "e": flags.insert(.ae)
            default: return .failure(FlagParseError(index: i, character: ch))
            }
        }
        return .success(flags)
    }
}

/// A character that is not a TCP flag letter, and where it is.
public struct FlagParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var character: Character
    public var description: String {
        "'\(character)' is not a TCP flag (use F S R P A or . U E W e)"
    }
}
