/// One SACK block (RFC 2018 §3): the left edge and the right edge (one past the last octet) of a
/// block of data the receiver holds above its cumulative acknowledgment.
@frozen
public struct SACKBlock: Hashable, Sendable {
    public var left: SequenceNumber
    public var right: SequenceNumber

    @inlinable
    public init(left: SequenceNumber, right: SequenceNumber) {
        self.left = left
        self.right = right
    }
}

/// A TCP option (RFC 9293 §3.2, RFC 7323, RFC 2018).
///
/// Lossless: an option of an unknown kind, or of a known kind whose length byte does not match the
/// kind's fixed length, is kept as `.unknown(kind:data:)` with the bytes after the length byte, so a
/// parsed segment emits byte for byte what was parsed.
public enum TCPOption: Hashable, Sendable {
    /// Kind 0: end of option list.
    case eol
    /// Kind 1: no-operation (padding between options).
    case nop
    /// Kind 2, length 4: maximum segment size (RFC 9293 §3.7.1).
    case mss(UInt16)
    /// Kind 3, length 3: window scale shift count (RFC 7323 §2).
    case windowScale(UInt8)
    /// Kind 4, length 2: SACK permitted (RFC 2018 §2).
    case sackPermitted
    /// Kind 5, length 2 + 8n: SACK blocks (RFC 2018 §3).
    case sack([SACKBlock])
    /// Kind 8, length 10: timestamps TSval, TSecr (RFC 7323 §3).
    case timestamps(value: UInt32, echoReply: UInt32)
    /// Any other kind, or a known kind with an unexpected length: `data` is what follows the length byte.
    case unknown(kind: UInt8, data: [UInt8])

    /// The largest usable window-scale shift (RFC 7323 §2.3): 2^14 × 65535 stays below 2^30, so the
    /// window never spans more than half the sequence space.
    public static let maximumWindowScale: UInt8 = 14

    /// The option's kind byte.
    public var kind: UInt8 {
        switch self {
        case .eol: return 0
        case .nop: return 1
        case .mss: return 2
        case .windowScale: return 3
        case .sackPermitted: return 4
        case .sack: return 5
        case .timestamps: return 8
        case .unknown(let kind, _): return kind
        }
    }

    /// Bytes the option occupies on the wire.
    public var encodedLength: Int {
        switch self {
        case .eol, .nop: return 1
        case .mss: return 4
        case .windowScale: return 3
        case .sackPermitted: return 2
        case .sack(let blocks): return 2 + 8 * blocks.count
        case .timestamps: return 10
        case .unknown(_, let data): return 2 + data.count
        }
    }

    /// Appends the option's bytes.
    public func emit(into w: inout ByteWriter) {
        switch self {
        case .eol: w.write(UInt8(0))
        case .nop: w.write(UInt8(1))
        case .mss(let v): w.write(UInt8(2)); w.write(UInt8(4)); w.write(v)
        case .windowScale(let s): w.write(UInt8(3)); w.write(UInt8(3)); w.write(s)
        case .sackPermitted: w.write(UInt8(4)); w.write(UInt8(2))
        case .sack(let blocks):
            w.write(UInt8(5)); w.write(UInt8(truncatingIfNeeded: 2 + 8 * blocks.count))
            for b in blocks { w.write(b.left.rawValue); w.write(b.right.rawValue) }
        case .timestamps(let val, let ecr):
            w.write(UInt8(8)); w.write(UInt8(10)); w.write(val); w.write(ecr)
        case .unknown(let kind, let data):
            w.write(kind); w.write(UInt8(truncatingIfNeeded: 2 + data.count)); w.write(contentsOf: data)
        }
    }

    /// Parses the options area of a TCP header (`bytes` holds exactly the options, `baseOffset` is where
    /// they start in the caller's numbering, for error messages).
    ///
    /// Returns the options up to and including an EOL, and the bytes after the EOL (padding), kept so
    /// the header emits unchanged. The checks are `TCPOptionsIterator`'s; its first `.malformed`
    /// element is thrown.
    public static func parseList(_ bytes: UnsafeRawBufferPointer, baseOffset: Int) throws(WireError)
        -> (options: [TCPOption], padding: [UInt8])
    {
        // First walk: validate and count, so the array is allocated once at its final size.
        let (count, error) = TCPOptionsIterator(bytes, baseOffset: baseOffset).validate()
        if let error { throw error }
        guard count > 0 else { return ([], []) }
        var options: [TCPOption] = []
        options.reserveCapacity(count)
        var it = TCPOptionsIterator(bytes, baseOffset: baseOffset)
        while let option = it.next() {
            if let owned = option.owned { options.append(owned) }
        }
        let padding = it.offset < bytes.count ? Array(it.remainingBytes) : []
        return (options, padding)
    }
}

extension Array where Element == TCPOption {
    /// The MSS option's value, if present.
    public var mss: UInt16? {
        for o in self { if case .mss(let v) = o { return v } }
        return nil
    }
    /// The window-scale shift as carried, if present (may exceed 14: see `effectiveWindowScale`).
    public var windowScale: UInt8? {
        for o in self { if case .windowScale(let v) = o { return v } }
        return nil
    }
    /// The window-scale shift to use, if present: RFC 7323 §2.3 says a shift above 14 is used as 14.
    public var effectiveWindowScale: UInt8? {
        windowScale.map { Swift.min($0, TCPOption.maximumWindowScale) }
    }
    public var sackPermitted: Bool { contains(.sackPermitted) }
    /// The timestamps option, if present.
    public var timestamps: (value: UInt32, echoReply: UInt32)? {
        for o in self { if case .timestamps(let v, let e) = o { return (v, e) } }
        return nil
    }
    /// The SACK blocks, if present.
    public var sackBlocks: [SACKBlock]? {
        for o in self { if case .sack(let b) = o { return b } }
        return nil
    }
}
