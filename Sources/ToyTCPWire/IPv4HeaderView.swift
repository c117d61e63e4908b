/// Byte offsets and masks of the IPv4 header (RFC 791 §3.1), named once.
@usableFromInline
enum IPv4Field {
    @usableFromInline static let versionIHL = 0
    @usableFromInline static let tos = 1
    @usableFromInline static let totalLength = 2
    @usableFromInline static let identification = 4
    @usableFromInline static let flagsFragment = 6
    @usableFromInline static let ttl = 8
    @usableFromInline static let `protocol` = 9
    @usableFromInline static let checksum = 10
    @usableFromInline static let source = 12
    @usableFromInline static let destination = 16
    @usableFromInline static let options = 20
    /// The header without options: IHL 5.
    @usableFromInline static let minimumHeaderLength = 20
    @usableFromInline static let reservedFlagMask: UInt16 = 0x8000
    @usableFromInline static let dontFragmentMask: UInt16 = 0x4000
    @usableFromInline static let moreFragmentsMask: UInt16 = 0x2000
    @usableFromInline static let fragmentOffsetMask: UInt16 = 0x1FFF
    /// The protocol number of TCP (RFC 9293 §3.1).
    @usableFromInline static let tcpProtocol: UInt8 = 6
}

/// A validated, non-owning view of an IPv4 header and what follows it (smoltcp's `Packet` model).
///
/// `init(validating:)` is the one gate for untrusted bytes: it checks the version, the IHL and the total
/// length once, and after it passes no getter can read out of bounds. Getters load big-endian fields at
/// fixed offsets; nothing is copied or allocated. The view borrows the buffer: use it only inside the
/// `withUnsafeBytes` (or similar) scope that produced the pointer, never store it.
///
/// `IPv4Header.parse` and `IPv4Packet.parse` go through this gate, so each check exists once.
@frozen
public struct IPv4HeaderView {
    /// Every byte handed to the gate, from the first header byte (may extend past the total length:
    /// link-layer padding; or stop short of it, with `allowTruncatedPayload`: a pcap snap length).
    public let bytes: UnsafeRawBufferPointer
    /// Added to byte positions in errors, so a header inside a larger frame reports frame offsets.
    public let baseOffset: Int
    /// Whether the total length reaches past the bytes given (only possible with `allowTruncatedPayload`).
    public let isTruncated: Bool

    /// Checks `bytes` and wraps them.
    ///
    /// Errors, in the order checked (RFC 791 §3.1): fewer than 20 bytes (`ipv4Truncated`, byte 0); a
    /// version other than 4 (`ipv4BadVersion`, byte 0); an IHL below 5 or past the bytes given
    /// (`ipv4BadHeaderLength`, byte 0); a total length below the header length, or, unless
    /// `allowTruncatedPayload`, above the bytes given (`ipv4BadTotalLength`, byte 2). A total length
    /// shorter than the bytes given is fine: the rest is link-layer padding, outside `payload`.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, allowTruncatedPayload: Bool = false,
                baseOffset: Int = 0) throws(WireError) {
        let n = bytes.count
        guard n >= IPv4Field.minimumHeaderLength else {
            throw WireError(.ipv4Truncated(available: n), at: baseOffset)
        }
        let versionIHL = bytes[IPv4Field.versionIHL]
        guard versionIHL >> 4 == 4 else {
            throw WireError(.ipv4BadVersion(versionIHL >> 4), at: baseOffset + IPv4Field.versionIHL)
        }
        let ihl = versionIHL & 0x0F
        let headerLength = Int(ihl) * 4
        guard ihl >= 5, headerLength <= n else {
            throw WireError(.ipv4BadHeaderLength(ihl: ihl, available: n), at: baseOffset + IPv4Field.versionIHL)
        }
        let total = Int(ByteReader(bytes).u16(IPv4Field.totalLength))
        guard total >= headerLength, total <= n || allowTruncatedPayload else {
            throw WireError(.ipv4BadTotalLength(totalLength: total, headerLength: headerLength, available: n),
                            at: baseOffset + IPv4Field.totalLength)
        }
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.isTruncated = total > n
    }

    @inlinable var reader: ByteReader { ByteReader(bytes) }

    /// The version nibble (always 4 once validated).
    @inlinable public var version: UInt8 { bytes[IPv4Field.versionIHL] >> 4 }
    /// Internet header length in 32-bit words (5...15).
    @inlinable public var ihl: UInt8 { bytes[IPv4Field.versionIHL] & 0x0F }
    /// Header length in bytes (`ihl * 4`).
    @inlinable public var headerLength: Int { Int(ihl) * 4 }
    /// Type of service: DSCP (high six bits) and ECN (low two bits, RFC 3168).
    @inlinable public var tos: UInt8 { bytes[IPv4Field.tos] }
    /// The total length field as carried (header plus payload, in bytes).
    @inlinable public var totalLength: Int { Int(reader.u16(IPv4Field.totalLength)) }
    @inlinable public var identification: UInt16 { reader.u16(IPv4Field.identification) }
    @inlinable var flagsFragment: UInt16 { reader.u16(IPv4Field.flagsFragment) }
    /// The reserved ("evil") bit, which RFC 791 says must be zero.
    @inlinable public var reservedFlag: Bool { flagsFragment & IPv4Field.reservedFlagMask != 0 }
    @inlinable public var dontFragment: Bool { flagsFragment & IPv4Field.dontFragmentMask != 0 }
    @inlinable public var moreFragments: Bool { flagsFragment & IPv4Field.moreFragmentsMask != 0 }
    /// Fragment offset in 8-octet units, as carried.
    @inlinable public var fragmentOffset: UInt16 { flagsFragment & IPv4Field.fragmentOffsetMask }
    /// Whether the packet is a fragment (MF set or a non-zero offset, RFC 791 §3.2).
    @inlinable public var isFragment: Bool { flagsFragment & (IPv4Field.moreFragmentsMask | IPv4Field.fragmentOffsetMask) != 0 }
    @inlinable public var ttl: UInt8 { bytes[IPv4Field.ttl] }
    @inlinable public var `protocol`: UInt8 { bytes[IPv4Field.protocol] }
    @inlinable public var headerChecksum: UInt16 { reader.u16(IPv4Field.checksum) }
    @inlinable public var source: IPv4Address { IPv4Address(rawValue: reader.u32(IPv4Field.source)) }
    @inlinable public var destination: IPv4Address { IPv4Address(rawValue: reader.u32(IPv4Field.destination)) }

    /// The header bytes (`headerLength` of them).
    @inlinable
    public var headerBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<headerLength]) }

    /// Whether the header checksum verifies (RFC 791 §3.1: the sum over the header is all ones).
    @inlinable
    public var isHeaderChecksumValid: Bool {
        var c = InternetChecksum()
        c.add(headerBytes)
        return c.value == 0
    }

    /// The header checksum the header should carry (computed as if the field were zero). Never 0xFFFF;
    /// where this is 0x0000 a carried 0xFFFF is valid too (RFC 1624 §3): use `isHeaderChecksumValid`.
    @inlinable
    public var expectedHeaderChecksum: UInt16 {
        var c = InternetChecksum()
        c.add(~headerChecksum)
        c.add(headerBytes)
        return c.value
    }

    /// The IP options, raw (bytes 20 ..< header length).
    @inlinable
    public var optionsBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[IPv4Field.options..<headerLength])
    }

    /// Where the payload lies in `bytes`: after the header, up to the total length or the end of the
    /// bytes given, whichever comes first.
    @inlinable
    public var payloadRange: Range<Int> { headerLength..<Swift.min(totalLength, bytes.count) }

    /// The payload (see `payloadRange`).
    @inlinable
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[payloadRange]) }

    /// Throws `ipv4BadHeaderChecksum` (byte 10) unless the header checksum verifies (RFC 1122 §3.2.1.2).
    @inlinable
    public func verifyHeaderChecksum() throws(WireError) {
        guard isHeaderChecksumValid else {
            throw WireError(.ipv4BadHeaderChecksum(carried: headerChecksum, expected: expectedHeaderChecksum),
                            at: baseOffset + IPv4Field.checksum)
        }
    }

    /// Checks what toytcp needs to read the payload as a whole TCP segment: protocol 6
    /// (`ipv4NotTCP`, byte 9) and not a fragment (`ipv4Fragment`, byte 6; toytcp does not reassemble).
    @inlinable
    public func checkCarriesTCP() throws(WireError) {
        guard self.protocol == IPv4Field.tcpProtocol else {
            throw WireError(.ipv4NotTCP(protocol: self.protocol), at: baseOffset + IPv4Field.protocol)
        }
        guard !isFragment else {
            throw WireError(.ipv4Fragment(fragmentOffset: Int(fragmentOffset) * 8, moreFragments: moreFragments),
                            at: baseOffset + IPv4Field.flagsFragment)
        }
    }
}

extension IPv4Header {
    /// The owned header read from a validated view (options copied).
    @inlinable
    public init(_ view: IPv4HeaderView) {
        let fragment = view.flagsFragment
        self.init(source: view.source, destination: view.destination, protocol: view.protocol,
                  ttl: view.ttl, tos: view.tos, identification: view.identification,
                  dontFragment: fragment & IPv4Field.dontFragmentMask != 0,
                  moreFragments: fragment & IPv4Field.moreFragmentsMask != 0,
                  reservedFlag: fragment & IPv4Field.reservedFlagMask != 0,
                  fragmentOffset: fragment & IPv4Field.fragmentOffsetMask,
                  headerChecksum: view.headerChecksum, options: Array(view.optionsBytes))
    }
}
