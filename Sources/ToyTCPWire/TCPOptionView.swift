/// Kinds of the TCP options toytcp decodes, and their fixed lengths (RFC 9293 §3.2, RFC 7323, RFC 2018).
@usableFromInline
enum TCPOptionKind {
    @usableFromInline static let eol: UInt8 = 0
    @usableFromInline static let nop: UInt8 = 1
    @usableFromInline static let mss: UInt8 = 2
    @usableFromInline static let windowScale: UInt8 = 3
    @usableFromInline static let sackPermitted: UInt8 = 4
    @usableFromInline static let sack: UInt8 = 5
    @usableFromInline static let timestamps: UInt8 = 8
    @usableFromInline static let mssLength = 4
    @usableFromInline static let windowScaleLength = 3
    @usableFromInline static let sackPermittedLength = 2
    @usableFromInline static let timestampsLength = 10
    /// Each SACK block is two 32-bit edges (RFC 2018 §3).
    @usableFromInline static let sackBlockLength = 8
}

/// One TCP option read in place from a header (the non-owning twin of `TCPOption`).
///
/// Byte views (`unknown`'s data, `sack`'s blocks) borrow the header's buffer: use them only while it is alive.
public enum TCPOptionView {
    /// Kind 0: end of option list. The walk stops here; what follows is padding.
    case eol
    /// Kind 1: no-operation.
    case nop
    /// Kind 2, length 4: maximum segment size (RFC 9293 §3.7.1).
    case mss(UInt16)
    /// Kind 3, length 3: window scale shift count, as carried (RFC 7323 §2.2).
    case windowScale(UInt8)
    /// Kind 4, length 2: SACK permitted (RFC 2018 §2).
    case sackPermitted
    /// Kind 5, length 2 + 8n: SACK blocks (RFC 2018 §3).
    case sack(SACKBlocksView)
    /// Kind 8, length 10: TSval and TSecr (RFC 7323 §3.2).
    case timestamps(value: UInt32, echoReply: UInt32)
    /// Any other kind, or a known kind whose length byte does not match it: the bytes after the length byte.
    case unknown(kind: UInt8, data: UnsafeRawBufferPointer)
    /// The option list is malformed here (a length byte below 2, missing, or past the header); the walk
    /// ends. tcpdump prints `[bad opt]` at this point.
    case malformed(WireError)

    /// The owned option, or `nil` for `.malformed`.
    @inlinable
    public var owned: TCPOption? {
        switch self {
        case .eol: return .eol
        case .nop: return .nop
        case .mss(let v): return .mss(v)
        case .windowScale(let s): return .windowScale(s)
        case .sackPermitted: return .sackPermitted
        case .sack(let blocks): return .sack(Array(blocks))
        case .timestamps(let v, let e): return .timestamps(value: v, echoReply: e)
        case .unknown(let kind, let data): return .unknown(kind: kind, data: Array(data))
        case .malformed: return nil
        }
    }
}

/// The SACK blocks of one option, read in place (RFC 2018 §3): a random-access collection of `SACKBlock`.
@frozen
public struct SACKBlocksView: RandomAccessCollection {
    /// The option's body: a multiple of 8 bytes (left edge, right edge, big-endian).
    public let bytes: UnsafeRawBufferPointer

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { bytes.count / TCPOptionKind.sackBlockLength }

    @inlinable
    public subscript(position: Int) -> SACKBlock {
        precondition(position >= 0 && position < endIndex, "SACK block index out of range")
        let r = ByteReader(bytes)
        let at = position * TCPOptionKind.sackBlockLength
        return SACKBlock(left: SequenceNumber(r.u32(at)), right: SequenceNumber(r.u32(at + 4)))
    }
}

/// Walks a TCP options area one option at a time, without allocating (RFC 9293 §3.2).
///
/// The one implementation of the option-list checks: an option other than EOL and NOP needs a length
/// byte (`tcpOptionPastEnd` with length -1 if it is missing), a length of at least 2
/// (`tcpOptionBadLength`), and must end within the header (`tcpOptionPastEnd`). A failed check yields one
/// `.malformed` element and ends the walk. After `.eol` the walk ends too; `remainingBytes` is then the
/// padding that follows it. Error offsets are `baseOffset` plus the option's position.
///
/// It is its own `Sequence`, so `for option in header.options { … }` works; to read `offset` or
/// `remainingBytes` afterwards, call `next()` on a `var` copy instead.
@frozen
public struct TCPOptionsIterator: Sequence, IteratorProtocol {
    /// The options area (header bytes 20 ..< data offset × 4).
    public let bytes: UnsafeRawBufferPointer
    /// Where `bytes` starts in the caller's numbering (for error offsets).
    public let baseOffset: Int
    /// Position in `bytes` of the next option (after `.eol`: of the first padding byte; after
    /// `.malformed`: of the bad option).
    @inlinable public var offset: Int { position }
    @usableFromInline var position = 0
    @usableFromInline var finished = false

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    /// The bytes not walked yet (after `.eol`: the padding).
    @inlinable
    public var remainingBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[position...])
    }

    /// The one implementation of the option-list checks: the length of the option at `i` (1 for EOL
    /// and NOP), or 0 if it is malformed (length byte missing, below 2, or reaching past the end; see
    /// `malformation(at:)` for which). `i` must be below `bytes.count`.
    @inlinable @inline(__always)
    func extent(at i: Int) -> Int {
        let kind = bytes[i]
        if kind == TCPOptionKind.eol || kind == TCPOptionKind.nop { return 1 }
        let remaining = bytes.count - i
        guard remaining >= 2 else { return 0 }
        let length = Int(bytes[i + 1])
        return length >= 2 && length <= remaining ? length : 0
    }

    /// The error for an option that `extent(at:)` found malformed (the cold path).
    @usableFromInline
    func malformation(at i: Int) -> WireError {
        let kind = bytes[i]
        let remaining = bytes.count - i
        guard remaining >= 2 else {
            return WireError(.tcpOptionPastEnd(kind: kind, length: -1, remaining: remaining), at: baseOffset + i)
        }
        let length = Int(bytes[i + 1])
        guard length >= 2 else {
            return WireError(.tcpOptionBadLength(kind: kind, length: length), at: baseOffset + i)
        }
        return WireError(.tcpOptionPastEnd(kind: kind, length: length, remaining: remaining), at: baseOffset + i)
    }

    /// Always inlined: the engine walks the options of every received segment, and inlined into the
    /// caller's `switch` the enum is never materialised.
    @inlinable @inline(__always)
    public mutating func next() -> TCPOptionView? {
        let i = position
        guard !finished, i < bytes.count else { return nil }
        let length = extent(at: i)
        guard length > 0 else {
            finished = true
            return .malformed(malformation(at: i))
        }
        position = i + length
        let kind = bytes[i]
        if kind == TCPOptionKind.eol {
            finished = true
            return .eol
        }
        if kind == TCPOptionKind.nop { return .nop }
        let r = ByteReader(bytes)
        let body = i + 2
        switch kind {
        case TCPOptionKind.mss where length == TCPOptionKind.mssLength:
            return .mss(r.u16(body))
        case TCPOptionKind.windowScale where length == TCPOptionKind.windowScaleLength:
            return .windowScale(r.u8(body))
        case TCPOptionKind.sackPermitted where length == TCPOptionKind.sackPermittedLength:
            return .sackPermitted
        case TCPOptionKind.sack where (length - 2) % TCPOptionKind.sackBlockLength == 0:
            return .sack(SACKBlocksView(UnsafeRawBufferPointer(rebasing: bytes[body..<(i + length)])))
        case TCPOptionKind.timestamps where length == TCPOptionKind.timestampsLength:
            return .timestamps(value: r.u32(body), echoReply: r.u32(body + 4))
        default:
            return .unknown(kind: kind, data: UnsafeRawBufferPointer(rebasing: bytes[body..<(i + length)]))
        }
    }

    /// The first malformation in the list from here on, if any, and the number of options before it
    /// (up to and including an EOL). A tight walk over lengths only; the receiver is unchanged.
    @inlinable
    public func validate() -> (count: Int, error: WireError?) {
        var i = position
        var count = 0
        let n = bytes.count
        guard !finished else { return (0, nil) }
        while i < n {
            let length = extent(at: i)
            guard length > 0 else { return (count, malformation(at: i)) }
            count += 1
            if bytes[i] == TCPOptionKind.eol { break }
            i += length
        }
        return (count, nil)
    }

    /// The first malformation in the list, if any (the receiver is unchanged).
    @inlinable
    public var firstError: WireError? { validate().error }
}
