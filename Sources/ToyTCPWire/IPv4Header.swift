/// An IPv4 header (RFC 791 §3.1) as an owned value: every field, and options as raw bytes.
public struct IPv4Header: Hashable, Sendable {
    /// Type of service: DSCP (high six bits) and ECN (low two bits, RFC 3168).
    public var tos: UInt8
    /// A total length to write instead of the computed one; `nil` on parse.
    public var totalLengthOverride: UInt16?
    public var identification: UInt16
    /// The reserved ("evil") bit.
    public var reservedFlag: Bool
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// Fragment offset in 8-octet units.
    public var fragmentOffset: UInt16
    public var ttl: UInt8
    public var `protocol`: UInt8
    /// The header checksum as carried (after parse), or as last emitted.
    public var headerChecksum: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    /// IP options, raw (RFC 791 §3.1: at most 40 bytes; `emit` pads them with zeros to a multiple of 4).
    public var options: [UInt8]

    public init(source: IPv4Address, destination: IPv4Address, protocol proto: UInt8 = 6,
                ttl: UInt8 = 64, tos: UInt8 = 0, identification: UInt16 = 0,
                dontFragment: Bool = true, moreFragments: Bool = false, reservedFlag: Bool = false,
                fragmentOffset: UInt16 = 0, headerChecksum: UInt16 = 0, options: [UInt8] = [],
                totalLengthOverride: UInt16? = nil) {
        self.tos = tos
        self.totalLengthOverride = totalLengthOverride
        self.identification = identification
        self.reservedFlag = reservedFlag
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.ttl = ttl
        self.protocol = proto
        self.headerChecksum = headerChecksum
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// Header length in bytes (20 + options, padded to 4).
    public var headerLength: Int { 20 + ((options.count + 3) & ~3) }

    /// Appends the header for a packet whose payload is `payloadLength` bytes, computing the header
    /// checksum (or keeping `headerChecksum` with `.keep`).
    public func emit(into w: inout ByteWriter, payloadLength: Int,
                     checksum mode: TCPSegment.ChecksumMode = .compute) {
        let start = w.count
        let hl = headerLength
        // IHL is four bits: options beyond 40 bytes cannot be described, and are written with the IHL
        // wrapped rather than trapping (a crafted, invalid header; RFC 791 §3.1).
        w.write(UInt8(0x40 | UInt8(truncatingIfNeeded: hl / 4) & 0x0F))
        w.write(tos)
        w.write(totalLengthOverride ?? UInt16(truncatingIfNeeded: hl + payloadLength))
        w.write(identification)
        var fragment = fragmentOffset & 0x1FFF
        if reservedFlag { fragment |= 0x8000 }
        if dontFragment { fragment |= 0x4000 }
        if moreFragments { fragment |= 0x2000 }
        w.write(fragment)
        w.write(ttl)
        w.write(self.protocol)
        let checksumIndex = w.count
        w.write(mode == .keep ? headerChecksum : UInt16(0))
        w.write(source.rawValue)
        w.write(destination.rawValue)
        w.write(contentsOf: options)
        w.write(zeros: hl - 20 - options.count)
        if mode == .compute {
            let sum = w.bytes.withUnsafeBytes { all in
                var c = InternetChecksum()
                c.add(UnsafeRawBufferPointer(rebasing: all[start..<(start + hl)]))
                return c.value
            }
            w.set(sum, at: checksumIndex)
        }
    }

    /// Validates and parses the IPv4 header at the start of `bytes`.
    ///
    /// The checks are `IPv4HeaderView`'s gate: version, IHL, total length (a shorter total than the
    /// buffer is fine: link-layer padding is trimmed; a longer one is an error). Returns the header and
    /// the range of the payload. Does not check the protocol or fragmentation: see `IPv4Packet.parse`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws(WireError)
        -> (header: IPv4Header, payload: Range<Int>)
    {
        let view = try IPv4HeaderView(validating: bytes, baseOffset: baseOffset)
        return (IPv4Header(view), view.payloadRange)
    }
}
