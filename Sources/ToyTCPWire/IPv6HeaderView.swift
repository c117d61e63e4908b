/// Byte offsets of the IPv6 header (RFC 8200 §3), named once.
@usableFromInline
enum IPv6Field {
    /// Version (4 bits), Traffic Class (8 bits), Flow Label (20 bits).
    @usableFromInline static let versionClassFlow = 0
    @usableFromInline static let payloadLength = 4
    @usableFromInline static let nextHeader = 6
    @usableFromInline static let hopLimit = 7
    @usableFromInline static let source = 8
    @usableFromInline static let destination = 24
    /// The fixed header: 40 bytes, extension headers follow it.
    @usableFromInline static let headerLength = 40
    @usableFromInline static let flowLabelMask: UInt32 = 0x000F_FFFF
}

/// Protocol numbers of the IPv6 header chain (IANA "Assigned Internet Protocol Numbers").
public enum IPv6NextHeader {
    public static let hopByHop: UInt8 = 0
    public static let tcp: UInt8 = 6
    public static let routing: UInt8 = 43
    public static let fragment: UInt8 = 44
    public static let encapsulatingSecurityPayload: UInt8 = 50
    public static let authentication: UInt8 = 51
    public static let icmpv6: UInt8 = 58
    public static let noNextHeader: UInt8 = 59
    public static let destinationOptions: UInt8 = 60

    /// Whether `type` names an extension header this layer walks past (RFC 8200 §4: hop-by-hop, routing,
    /// fragment, destination options; and the authentication header, whose length is in 4-byte units,
    /// RFC 4302 §2.2). ESP (50) is not: what follows it is encrypted.
    @inlinable
    public static func isWalkableExtension(_ type: UInt8) -> Bool {
        type == hopByHop || type == routing || type == fragment || type == destinationOptions || type == authentication
    }
}

/// A validated, non-owning view of an IPv6 header, its extension headers and what follows them
/// (smoltcp's `Packet` model, as `IPv4HeaderView`).
///
/// `init(validating:)` is the one gate for untrusted bytes: it checks the fixed header and walks the
/// extension-header chain once (RFC 8200 §4), bounding every header by the payload length, and records
/// where the upper-layer header starts, any Fragment header, and where the final destination of a
/// Routing header lies (for the pseudo-header, RFC 8200 §8.1). After it passes no getter can read out
/// of bounds, and nothing is allocated. Use it only inside the scope that produced the pointer.
@frozen
public struct IPv6HeaderView {
    /// Every byte handed to the gate, from the first header byte.
    public let bytes: UnsafeRawBufferPointer
    /// Added to byte positions in errors.
    public let baseOffset: Int
    /// Whether the payload length reaches past the bytes given (only with `allowTruncatedPayload`).
    public let isTruncated: Bool
    /// The protocol number at the end of the chain (6 for TCP).
    public let upperLayerProtocol: UInt8
    /// Where the upper-layer header starts in `bytes` (40 plus the extension headers).
    public let upperLayerOffset: Int
    /// Where the Next Header byte that names the upper layer is (6, or byte 0 of the last extension header).
    public let upperLayerProtocolFieldOffset: Int
    /// The byte offset of a Fragment header, or -1.
    public let fragmentHeaderOffset: Int
    /// The byte offset of the 16 bytes of the final destination (24, or inside a Routing header).
    public let finalDestinationOffset: Int
    /// How many extension headers the chain holds.
    public let extensionHeaderCount: Int

    /// Checks `bytes` and wraps them.
    ///
    /// Errors, in the order checked: fewer than 40 bytes (`ipv6Truncated`, byte 0); a version other than 6
    /// (`ipv6BadVersion`, byte 0); unless `allowTruncatedPayload`, a payload length past the bytes given
    /// (`ipv6BadPayloadLength`, byte 4); an extension header cut short by the payload's end
    /// (`ipv6ExtensionHeaderTruncated`, at that header). Bytes past the payload length are link padding.
    @inlinable
    public init(validating bytes: UnsafeRawBufferPointer, allowTruncatedPayload: Bool = false,
                baseOffset: Int = 0) throws(WireError) {
        let n = bytes.count
        guard n >= IPv6Field.headerLength else {
            throw WireError(.ipv6Truncated(available: n), at: baseOffset)
        }
        let version = bytes[0] >> 4
        guard version == 6 else { throw WireError(.ipv6BadVersion(version), at: baseOffset) }
        let payloadLength = Int(ByteReader(bytes).u16(IPv6Field.payloadLength))
        guard IPv6Field.headerLength + payloadLength <= n || allowTruncatedPayload else {
            throw WireError(.ipv6BadPayloadLength(payloadLength: payloadLength, available: n - IPv6Field.headerLength),
                            at: baseOffset + IPv6Field.payloadLength)
        }
        let end = min(n, IPv6Field.headerLength + payloadLength)
        var type = bytes[IPv6Field.nextHeader]
        var typeField = IPv6Field.nextHeader
        var offset = IPv6Field.headerLength
        var fragment = -1
        var finalDestination = IPv6Field.destination
        var count = 0
        // Each header is at least 8 bytes long, so the walk ends within n / 8 steps.
        while IPv6NextHeader.isWalkableExtension(type) {
            let length: Int
            if type == IPv6NextHeader.fragment {
                length = 8
            } else {
                guard offset + 2 <= end else {
                    throw WireError(.ipv6ExtensionHeaderTruncated(type: type, length: -1, available: end - offset),
                                    at: baseOffset + offset)
                }
                length = type == IPv6NextHeader.authentication ? (Int(bytes[offset + 1]) + 2) * 4
                                                               : (Int(bytes[offset + 1]) + 1) * 8
            }
            guard offset + length <= end else {
                throw WireError(.ipv6ExtensionHeaderTruncated(type: type, length: length, available: end - offset),
                                at: baseOffset + offset)
            }
            if type == IPv6NextHeader.fragment, fragment < 0 { fragment = offset }
            if type == IPv6NextHeader.routing {
                finalDestination = IPv6RoutingHeader.finalDestinationOffset(bytes, at: offset, length: length)
                    ?? finalDestination
            }
            typeField = offset
            type = bytes[offset]
            offset += length
            count += 1
        }
        self.bytes = bytes
        self.baseOffset = baseOffset
        self.isTruncated = IPv6Field.headerLength + payloadLength > n
        self.upperLayerProtocol = type
        self.upperLayerOffset = offset
        self.upperLayerProtocolFieldOffset = typeField
        self.fragmentHeaderOffset = fragment
        self.finalDestinationOffset = finalDestination
        self.extensionHeaderCount = count
    }

    @inlinable var reader: ByteReader { ByteReader(bytes) }

    /// The version nibble (always 6 once validated).
    @inlinable public var version: UInt8 { bytes[0] >> 4 }
    /// Traffic class (RFC 8200 §7): DSCP in the high six bits, ECN in the low two (RFC 3168).
    @inlinable public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: reader.u32(IPv6Field.versionClassFlow) >> 20) }
    /// The 20-bit flow label (RFC 6437).
    @inlinable public var flowLabel: UInt32 { reader.u32(IPv6Field.versionClassFlow) & IPv6Field.flowLabelMask }
    /// The payload length field as carried: everything after the fixed 40 bytes, extension headers included.
    @inlinable public var payloadLength: Int { Int(reader.u16(IPv6Field.payloadLength)) }
    /// The Next Header field of the fixed header (the first extension header's type, or the upper layer).
    @inlinable public var nextHeader: UInt8 { bytes[IPv6Field.nextHeader] }
    @inlinable public var hopLimit: UInt8 { bytes[IPv6Field.hopLimit] }
    @inlinable public var source: IPv6Address { IPv6Address(bytes: bytes, at: IPv6Field.source) }
    @inlinable public var destination: IPv6Address { IPv6Address(bytes: bytes, at: IPv6Field.destination) }
    /// The destination the pseudo-header uses (RFC 8200 §8.1): the last address of a Routing header
    /// with segments left, else the Destination Address.
    @inlinable public var finalDestination: IPv6Address { IPv6Address(bytes: bytes, at: finalDestinationOffset) }

    /// The extension headers, raw (bytes 40 ..< `upperLayerOffset`).
    @inlinable
    public var extensionHeaderBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[IPv6Field.headerLength..<upperLayerOffset])
    }

    /// Where the upper-layer payload lies in `bytes`: after the extension headers, up to the payload
    /// length or the end of the bytes given.
    @inlinable
    public var payloadRange: Range<Int> {
        upperLayerOffset..<Swift.min(IPv6Field.headerLength + payloadLength, bytes.count)
    }

    /// The upper-layer payload (see `payloadRange`).
    @inlinable
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[payloadRange]) }

    /// The fragment offset in bytes and the M flag of a Fragment header (RFC 8200 §4.5), if there is one.
    @inlinable
    public var fragment: (offset: Int, moreFragments: Bool, identification: UInt32)? {
        guard fragmentHeaderOffset >= 0 else { return nil }
        let word = reader.u16(fragmentHeaderOffset + 2)
        return (Int(word & 0xFFF8), word & 1 != 0, reader.u32(fragmentHeaderOffset + 4))
    }

    /// Checks what toytcp needs to read the payload as a whole TCP segment: not a fragment other than an
    /// atomic one (`ipv6Fragment`, at the Fragment header; RFC 6946 atomic fragments pass), and a chain
    /// that ends in TCP (`ipv6NotTCP`, at the Next Header byte that names the last protocol).
    @inlinable
    public func checkCarriesTCP() throws(WireError) {
        if let f = fragment, f.offset != 0 || f.moreFragments {
            throw WireError(.ipv6Fragment(fragmentOffset: f.offset, moreFragments: f.moreFragments),
                            at: baseOffset + fragmentHeaderOffset)
        }
        guard upperLayerProtocol == IPv6NextHeader.tcp else {
            throw WireError(.ipv6NotTCP(nextHeader: upperLayerProtocol), at: baseOffset + upperLayerProtocolFieldOffset)
        }
    }
}

/// The parts of a Routing header (RFC 8200 §4.4) the pseudo-header needs.
public enum IPv6RoutingHeader {
    /// Where the final destination's 16 bytes are in a Routing header at `offset` (`length` bytes), when
    /// segments remain: type 0 (RFC 2460, deprecated by RFC 5095) and type 2 (RFC 6275) list addresses
    /// from byte 8 and the last is the final one; a segment routing header (type 4, RFC 8754 §2) lists
    /// them in reverse, the final one first. Nil when no segment is left or the type is unknown.
    @inlinable
    public static func finalDestinationOffset(_ bytes: UnsafeRawBufferPointer, at offset: Int, length: Int) -> Int? {
        let routingType = bytes[offset + 2]
        let segmentsLeft = bytes[offset + 3]
        let addresses = (length - 8) / 16
        guard segmentsLeft > 0, addresses > 0 else { return nil }
        switch routingType {
        case 0, 2: return offset + 8 + 16 * (addresses - 1)
        case 4: return offset + 8
        default: return nil
        }
    }
}
