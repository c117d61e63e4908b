/// One IPv6 extension header (RFC 8200 §4), kept raw so a parsed packet emits the same bytes.
///
/// `bytes` is the whole header as carried, its own Next Header byte first. The constructors build the
/// common ones for crafting; `IPv6Header.init(…, extensionHeaders:)` links the chain's Next Header bytes.
public struct IPv6ExtensionHeader: Hashable, Sendable {
    /// The protocol number that names this header (0 hop-by-hop, 43 routing, 44 fragment, 51 AH,
    /// 60 destination options).
    public var type: UInt8
    /// The header's bytes as carried.
    public var bytes: [UInt8]

    public init(type: UInt8, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }

    /// The Next Header byte this header carries (what follows it).
    public var nextHeader: UInt8 {
        get { bytes.first ?? 0 }
        set { if !bytes.isEmpty { bytes[0] = newValue } }
    }

    /// An options header (hop-by-hop 0 or destination options 60, RFC 8200 §4.3/§4.6) holding `options`
    /// (TLV-encoded), padded with Pad1/PadN to a multiple of 8 bytes (RFC 8200 §4.2).
    public static func options(type: UInt8, _ options: [UInt8] = []) -> IPv6ExtensionHeader {
        var body = options
        let padding = (8 - (2 + body.count) % 8) % 8
        if padding == 1 {
            body.append(0)                                   // Pad1
        } else if padding >= 2 {
            body += [1, UInt8(padding - 2)] + Array(repeating: 0, count: padding - 2)   // PadN
        }
        return IPv6ExtensionHeader(type: type, bytes: [IPv6NextHeader.noNextHeader, UInt8((2 + body.count) / 8 - 1)] + body)
    }

    /// A Fragment header (RFC 8200 §4.5): `offset` in bytes (a multiple of 8), the M flag, the identification.
    public static func fragment(offset: Int = 0, moreFragments: Bool = false, identification: UInt32) -> IPv6ExtensionHeader {
        let word = UInt16(truncatingIfNeeded: offset) & 0xFFF8 | (moreFragments ? 1 : 0)
        let id = identification
        return IPv6ExtensionHeader(type: IPv6NextHeader.fragment, bytes: [
            IPv6NextHeader.noNextHeader, 0, UInt8(word >> 8), UInt8(word & 0xFF),
            UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)])
    }

    /// A Routing header (RFC 8200 §4.4) of `routingType` listing `addresses` (type 0 or 2 layout: four
    /// reserved bytes, then the addresses).
    public static func routing(routingType: UInt8, segmentsLeft: UInt8, addresses: [IPv6Address]) -> IPv6ExtensionHeader {
        var b: [UInt8] = [IPv6NextHeader.noNextHeader, UInt8(truncatingIfNeeded: addresses.count * 2), routingType, segmentsLeft, 0, 0, 0, 0]
        for a in addresses { b += a.bytes }
        return IPv6ExtensionHeader(type: IPv6NextHeader.routing, bytes: b)
    }

    /// The name tcpdump and the RFCs use for an extension header type.
    public static func name(_ type: UInt8) -> String {
        switch type {
        case IPv6NextHeader.hopByHop: return "hop-by-hop options"
        case IPv6NextHeader.routing: return "routing"
        case IPv6NextHeader.fragment: return "fragment"
        case IPv6NextHeader.destinationOptions: return "destination options"
        case IPv6NextHeader.authentication: return "authentication"
        default: return "next header \(type)"
        }
    }
}
