/// A packetdrill script parsed: options (`--tolerance_usecs=10000`) and events in file order.
///
/// The statements packetdrill's language has (see packetdrill's `parser.y`): a time, then a packet
/// (`<` inbound, `>` outbound), a system call, a shell command in backticks or a python block.
public struct PktScript: Sendable {
    public var file: String
    public var options: [(name: String, value: String, location: PktLocation)] = []
    public var events: [PktEvent] = []
    public init(file: String) { self.file = file }
}

/// Where a construct starts in the `.pkt` file (1-based).
public struct PktLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

/// When an event happens: `0.1` (absolute), `+0.1` (after the previous event), `*` (any time), and
/// for a blocking call the end of the range it may return in (`+0...0.5`).
public struct PktTime: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case absolute, relative, any }
    public var kind: Kind
    /// Seconds.
    public var start: Double
    /// `...END`: when a blocking call returns, on the same base as `start`.
    public var end: Double?
    /// `A~B`: the event may happen any time from A to B (same base as `start`).
    public var latest: Double?
    public init(kind: Kind, start: Double, end: Double? = nil, latest: Double? = nil) {
        self.kind = kind; self.start = start; self.end = end; self.latest = latest
    }
}

public struct PktEvent: Sendable {
    public var time: PktTime
    public var kind: Kind
    public var location: PktLocation
    public enum Kind: Sendable {
        case packet(PktPacket)
        case syscall(PktSyscall)
        case shell(String)
        case python(String)
    }
}

/// An inbound or outbound TCP segment (or an inbound ICMP error) as a `.pkt` line writes it.
public struct PktPacket: Hashable, Sendable {
    public var inbound: Bool
    /// `[noecn]`, `[ect0]`, `[ect1]`, `[ce]`, `[ect01]`: the IP ECN field.
    public var ecn: String?
    /// Flag letters as written: S F R P . E W U A (packetdrill: A is AE), `-` for none.
    public var flags: String
    /// AccECN's ACE field written as a digit after the flags (`.5`): AE, CWR, ECE as 3 bits.
    public var ace: UInt8?
    public var seq: UInt32
    public var length: Int
    public var ack: UInt32?
    public var window: UInt32?
    public var urgent: UInt32?
    /// `nil`: no `<…>` written.
    public var options: [PktOption]?
    /// `icmp TYPE [CODE]` with the quoted segment's relative sequence range.
    public var icmp: PktICMP?
}

public struct PktICMP: Hashable, Sendable {
    public var type: String
    public var code: String?
    public var mtu: UInt32?
    public var seq: UInt32
    public var length: Int
}

/// One TCP option in `<…>`.
public enum PktOption: Hashable, Sendable {
    case nop, eol, sackOK
    case mss(UInt16)
    case wscale(UInt8)
    case timestamps(value: UInt32, echo: UInt32)
    case sack([(UInt32, UInt32)])
    /// `FO` (kind 34) or `FOEXP` (kind 254, magic 0xF989), with a cookie in hex (or a `-D` name).
    case fastOpen(cookie: [UInt8], experimental: Bool)
    /// `ECN e0b N ceb N e1b N`: the AccECN option, 24-bit counters in the order written.
    case accECN(order1: Bool, counters: [UInt32])
    /// `md5 HEX` (kind 19, RFC 2385): the digest bytes as written.
    case md5([UInt8])
    /// `...`: any further options.
    case ellipsis

    public static func == (a: PktOption, b: PktOption) -> Bool { a.text == b.text }
    public func hash(into h: inout Hasher) { h.combine(text) }

    public var text: String {
        switch self {
        case .nop: return "nop"
        case .eol: return "eol"
        case .sackOK: return "sackOK"
        case .mss(let v): return "mss \(v)"
        case .wscale(let v): return "wscale \(v)"
        case .timestamps(let v, let e): return "TS val \(v) ecr \(e)"
        case .sack(let blocks): return "sack " + blocks.map { "\($0.0):\($0.1)" }.joined(separator: " ")
        case .fastOpen(let c, let exp): return (exp ? "FOEXP" : "FO") + (c.isEmpty ? "" : " " + c.map { String($0, radix: 16).leftPadded(2) }.joined())
        case .accECN(let o1, let c): return "ECN " + (o1 ? "order1 " : "") + c.map(String.init).joined(separator: " ")
        case .md5(let d): return "md5 " + d.map { String($0, radix: 16).leftPadded(2) }.joined()
        case .ellipsis: return "..."
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// A system call line: `name(args) = result [ERRNO (text)]`.
public struct PktSyscall: Hashable, Sendable {
    public var name: String
    public var arguments: [PktExpr]
    /// `nil` for `= ...`? (never in the corpus) — the expected return value.
    public var result: PktExpr
    /// `= -1 EAGAIN (…)`: the errno name; nil when none is written.
    public var errno: String?
}

/// A value in a system call: numbers, names (`SOCK_STREAM`), `a|b`, `[…]` (a pointer to values),
/// `{…}` (a structure, fields optionally named), `"…"`, `...` (anything).
public indirect enum PktExpr: Hashable, Sendable, CustomStringConvertible {
    case ellipsis
    case integer(Int64)
    case string(String)
    case symbol(String)
    case or([PktExpr])
    case list([PktExpr])
    case structure([PktField])
    /// `msg_iov(1)=…`'s `(1)` or `msg_name(...)` is kept as the field name's argument.
    case call(String, [PktExpr])

    public var description: String {
        switch self {
        case .ellipsis: return "..."
        case .integer(let v): return String(v)
        case .string(let s): return "\"\(s)\""
        case .symbol(let s): return s
        case .or(let xs): return xs.map(\.description).joined(separator: "|")
        case .list(let xs): return "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case .structure(let fs): return "{" + fs.map { ($0.name.map { "\($0)=" } ?? "") + $0.value.description }.joined(separator: ", ") + "}"
        case .call(let n, let a): return n + "(" + a.map(\.description).joined(separator: ", ") + ")"
        }
    }

    /// A named field of a structure.
    public func field(_ name: String) -> PktExpr? {
        guard case .structure(let fs) = self else { return nil }
        return fs.first { $0.name == name }?.value
    }
}

public struct PktField: Hashable, Sendable {
    public var name: String?
    /// `msg_iov(1)`: the `1`.
    public var nameArgument: PktExpr?
    public var value: PktExpr
}

/// A bad line: `FILE:LINE:COL: message`.
public struct PktError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var location: PktLocation
    public var message: String
    public init(file: String, location: PktLocation, message: String) {
        self.file = file; self.location = location; self.message = message
    }
    public var description: String { "\(file):\(location.line):\(location.column): \(message)" }
}
