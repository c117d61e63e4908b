import ToyTCPEngine
import ToyTCPWire

/// Which way a segment travels, seen from our stack: the engine's `PacketDirection` (`inbound`: what
/// the peer sends; `outbound`: what our stack, or `inject`, sends), the direction of every `PacketRecord`.
public typealias Direction = PacketDirection

/// One field of a template: a value to write or compare, "don't care" (`*`), or "absent" (`none`, for
/// an option that must not be there). Written, its value is an expression (`TemplateSlot`); resolved,
/// a number (`ResolvedTemplate.Want`).
public enum FieldSlot<T: Hashable & Sendable>: Hashable, Sendable {
    case value(T)
    case any
    case absent
}

public typealias TemplateSlot = FieldSlot<Expr>

/// A checksum as a template says it: the right one, a wrong one, or a given value.
public enum ChecksumSlot: Hashable, Sendable {
    case right
    case wrong
    case value(Expr)
}

/// A TCP option in a template, in the order written (RFC 9293 §3.1, RFC 7323, RFC 2018).
public enum OptionTemplate: Hashable, Sendable {
    case mss(TemplateSlot)
    case windowScale(TemplateSlot)
    /// `sackOK` (present) or `sackOK=none` (absent).
    case sackPermitted(present: Bool)
    /// `ts=VAL,ECR` (either may be `*`), `ts=*` (present, any values) or `ts=none`.
    case timestamps(value: TemplateSlot, echo: TemplateSlot)
    case timestampsAbsent
    /// `sack=L:R,…` (exactly these blocks) or `sack=none`.
    case sack([SACKBlockSpec]?)
    case nop
    case eol
    /// `opt=HEX`: the option's bytes exactly as written, a wrong length byte included.
    case raw([UInt8])
}

/// One SACK block (`sack=L:R,L:R`), edges as expressions over sequence numbers.
public struct SACKBlockSpec: Hashable, Sendable {
    public var left: Expr
    public var right: Expr
    public init(left: Expr, right: Expr) { self.left = left; self.right = right }
}

/// A header field a template can set (`inject`) or compare (`expect`): its name, its range, and how to
/// read and write it in a packet. `HeaderField.all` is the one place that knows the fields.
public struct HeaderField: Sendable {
    public let name: String
    public let range: ClosedRange<Int64>
    /// Sequence space (RFC 9293 §3.4): a value wraps modulo 2^32 instead of being out of range.
    public let isSequence: Bool
    public let summary: String
    /// Words accepted in place of a number (`ecn=ce`).
    public let names: [String: Int64]
    let read: @Sendable (IPPacket) -> Int64
    /// `nil`: a field `inject` cannot write (it is computed, like `len`).
    let write: (@Sendable (inout IPPacket, Int64) -> Void)?

    init(_ name: String, _ range: ClosedRange<Int64>, _ summary: String, sequence: Bool = false,
         names: [String: Int64] = [:], read: @escaping @Sendable (IPPacket) -> Int64,
         write: (@Sendable (inout IPPacket, Int64) -> Void)?) {
        self.name = name
        self.range = range
        self.isSequence = sequence
        self.summary = summary
        self.names = names
        self.read = read
        self.write = write
    }

    static let u32 = Int64(0)...Int64(UInt32.max)

    /// ECN codepoints (RFC 3168 §5): Not-ECT 00, ECT(1) 01, ECT(0) 10, CE 11.
    public static let ecnNames: [String: Int64] = ["notect": 0, "ect1": 1, "ect0": 2, "ce": 3]

    /// An IPv4-only field: reads 0 and writes nothing on an IPv6 packet.
    static func ipv4(_ name: String, _ range: ClosedRange<Int64>, _ summary: String,
                     read: @escaping @Sendable (IPv4Header) -> Int64,
                     write: @escaping @Sendable (inout IPv4Header, Int64) -> Void) -> HeaderField {
        HeaderField(name, range, summary,
                    read: { if case .v4(let p) = $0 { return read(p.header) } else { return 0 } },
                    write: { if case .v4(var p) = $0 { write(&p.header, $1); $0 = .v4(p) } })
    }

    /// A field of both families' headers: IPv4's TOS byte is IPv6's traffic class (RFC 8200 §7, both
    /// DSCP << 2 | ECN), IPv4's TTL is IPv6's hop limit (RFC 8200 §3).
    static func shared(_ name: String, _ range: ClosedRange<Int64>, _ summary: String, names: [String: Int64] = [:],
                       v4 read4: @escaping @Sendable (IPv4Header) -> Int64,
                       _ write4: @escaping @Sendable (inout IPv4Header, Int64) -> Void,
                       v6 read6: @escaping @Sendable (IPv6Header) -> Int64,
                       _ write6: @escaping @Sendable (inout IPv6Header, Int64) -> Void) -> HeaderField {
        HeaderField(name, range, summary, names: names,
                    read: {
                        switch $0 {
                        case .v4(let p): return read4(p.header)
                        case .v6(let p): return read6(p.header)
                        }
                    },
                    write: {
                        switch $0 {
                        case .v4(var p): write4(&p.header, $1); $0 = .v4(p)
                        case .v6(var p): write6(&p.header, $1); $0 = .v6(p)
                        }
                    })
    }

    /// Every numeric field, IP header first, in header order (RFC 791 §3.1, RFC 8200 §3, RFC 9293 §3.1).
    public static let all: [HeaderField] = [
        shared("tos", 0...255, "IP type of service byte, IPv6 traffic class (DSCP << 2 | ECN)",
               v4: { Int64($0.tos) }, { $0.tos = UInt8($1) },
               v6: { Int64($0.trafficClass) }, { $0.trafficClass = UInt8($1) }),
        shared("tclass", 0...255, "IPv6 traffic class (RFC 8200 §7), IPv4's tos byte",
               v4: { Int64($0.tos) }, { $0.tos = UInt8($1) },
               v6: { Int64($0.trafficClass) }, { $0.trafficClass = UInt8($1) }),
        shared("dscp", 0...63, "IP DSCP (RFC 2474), the high six bits of tos / traffic class",
               v4: { Int64($0.tos >> 2) }, { $0.tos = $0.tos & 3 | UInt8($1) << 2 },
               v6: { Int64($0.trafficClass >> 2) }, { $0.trafficClass = $0.trafficClass & 3 | UInt8($1) << 2 }),
        shared("ecn", 0...3, "IP ECN field (RFC 3168): notect ect1 ect0 ce or 0...3", names: ecnNames,
               v4: { Int64($0.tos & 3) }, { $0.tos = $0.tos & ~3 | UInt8($1) },
               v6: { Int64($0.trafficClass & 3) }, { $0.trafficClass = $0.trafficClass & ~3 | UInt8($1) }),
        HeaderField("flow", 0...0xF_FFFF, "IPv6 flow label (RFC 6437; 0 on IPv4)",
                    read: { if case .v6(let p) = $0 { return Int64(p.header.flowLabel) } else { return 0 } },
                    write: { if case .v6(var p) = $0 { p.header.flowLabel = UInt32($1); $0 = .v6(p) } }),
        ipv4("id", 0...65535, "IP identification (IPv4)",
             read: { Int64($0.identification) }, write: { $0.identification = UInt16($1) }),
        ipv4("df", 0...1, "IP don't-fragment flag (IPv4, default 1)",
             read: { $0.dontFragment ? 1 : 0 }, write: { $0.dontFragment = $1 != 0 }),
        ipv4("mf", 0...1, "IP more-fragments flag (IPv4)",
             read: { $0.moreFragments ? 1 : 0 }, write: { $0.moreFragments = $1 != 0 }),
        ipv4("frag", 0...8191, "IP fragment offset (IPv4, 8-byte units)",
             read: { Int64($0.fragmentOffset) }, write: { $0.fragmentOffset = UInt16($1) }),
        shared("ttl", 0...255, "IP time to live, IPv6 hop limit",
               v4: { Int64($0.ttl) }, { $0.ttl = UInt8($1) },
               v6: { Int64($0.hopLimit) }, { $0.hopLimit = UInt8($1) }),
        shared("hlim", 0...255, "IPv6 hop limit (RFC 8200 §3), IPv4's ttl",
               v4: { Int64($0.ttl) }, { $0.ttl = UInt8($1) },
               v6: { Int64($0.hopLimit) }, { $0.hopLimit = UInt8($1) }),
        HeaderField("sport", 0...65535, "TCP source port",
                    read: { Int64($0.segment.sourcePort) }, write: { $0.segment.sourcePort = UInt16($1) }),
        HeaderField("dport", 0...65535, "TCP destination port",
                    read: { Int64($0.segment.destinationPort) }, write: { $0.segment.destinationPort = UInt16($1) }),
        HeaderField("seq", u32, "sequence number (mod 2^32)", sequence: true,
                    read: { Int64($0.segment.sequenceNumber.rawValue) },
                    write: { $0.segment.sequenceNumber = SequenceNumber(UInt32($1)) }),
        HeaderField("ack", u32, "acknowledgment number (mod 2^32)", sequence: true,
                    read: { Int64($0.segment.acknowledgmentNumber.rawValue) },
                    write: { $0.segment.acknowledgmentNumber = SequenceNumber(UInt32($1)) }),
        HeaderField("doff", 0...15, "TCP data offset in 32-bit words (to write a wrong one)",
                    read: { Int64($0.segment.dataOffset) }, write: { $0.segment.dataOffsetOverride = UInt8($1) }),
        HeaderField("reserved", 0...7, "the three reserved TCP header bits",
                    read: { Int64($0.segment.reserved) }, write: { $0.segment.reserved = UInt8($1) }),
        HeaderField("win", 0...65535, "window field (unscaled)",
                    read: { Int64($0.segment.window) }, write: { $0.segment.window = UInt16($1) }),
        HeaderField("urg", 0...65535, "urgent pointer",
                    read: { Int64($0.segment.urgentPointer) }, write: { $0.segment.urgentPointer = UInt16($1) }),
        HeaderField("len", 0...65535, "payload length (expect only)",
                    read: { Int64($0.segment.payload.count) }, write: nil),
    ]

    public static let byName: [String: HeaderField] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

/// What `inject` sends and what `expect` waits for: one description of a segment, written the same way
/// for both (`inject S. to c seq=7000 ack=syn.seq+1 mss=1460`, `expect S. ack=c.snd.nxt win=* within 1s`).
///
/// Every field is a value, "don't care" (`*`, or left out in `expect`) or "absent" (`none`: an option
/// that must not be there). `inject` fills what is left out from the connection (`on c`: as our stack
/// would; `to c`: as the peer would). One parser (`LineParser.parseTemplate`), one resolver
/// (`Interpreter.resolve`), one packet builder and one matcher (`ResolvedTemplate`).
public struct SegmentTemplate: Hashable, Sendable {
    /// The flags exactly; `nil` (written `*`) for any.
    public var flags: TCPFlags?
    public var route: Route = .unspecified
    public var direction: Direction? = nil
    /// Numeric header fields, by `HeaderField.name`.
    public var fields: [String: TemplateSlot] = [:]
    public var ipChecksum: ChecksumSlot?
    public var tcpChecksum: ChecksumSlot?
    /// Raw IP options (RFC 791 §3.1), `ipopt=HEX`.
    public var ipOptions: [UInt8]?
    public var options: [OptionTemplate] = []
    /// `noopts`: no TCP options at all (expect).
    public var noOptions = false
    public var payload: PayloadSource?
    /// `inject … count=N rate=R`: how many copies, how fast.
    public var count: Expr?
    public var rate: Expr?
    /// `srcrange=FIRST-LAST`: copy i of `count=N` comes from FIRST + i, cycling through the range.
    public var sourceRange: ClosedRange<UInt32>?
    /// `expect none …`: the template describes what must *not* arrive.
    public var forbidden = false

    public init(flags: TCPFlags?) { self.flags = flags }
}

/// Where a crafted or expected segment travels.
public enum Route: Hashable, Sendable {
    /// Explicit `SRC > DST`.
    case explicit(source: Endpoint, destination: Endpoint)
    /// Along a connection of our stack: `on c` is from us to the peer, `to c` from the peer to us.
    case connection(ConnectionRef, towardUs: Bool)
    /// Not said: the current connection (REPL), us → peer for `inject`.
    case unspecified
}
