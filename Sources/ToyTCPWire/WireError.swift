/// What is wrong with a packet, and at which byte (counted from the first byte handed to the parser).
///
/// Parsers never trap and never read out of bounds: every length they rely on is checked first, and a
/// failed check becomes one of these.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Fewer than 20 bytes where an IPv4 header should be.
        case ipv4Truncated(available: Int)
        /// The version nibble is not 4.
        case ipv4BadVersion(UInt8)
        /// IHL below 5 words, or reaching past the bytes available.
        case ipv4BadHeaderLength(ihl: UInt8, available: Int)
        /// Total length shorter than the header, or longer than the bytes available.
        case ipv4BadTotalLength(totalLength: Int, headerLength: Int, available: Int)
        /// The IPv4 header checksum does not verify (RFC 1122 §3.2.1.2: a host must verify it and
        /// silently discard the datagram).
        case ipv4BadHeaderChecksum(carried: UInt16, expected: UInt16)
        /// The protocol field is not TCP (6).
        case ipv4NotTCP(protocol: UInt8)
        /// A fragment (MF set or a non-zero fragment offset); toytcp does not reassemble IP fragments.
        case ipv4Fragment(fragmentOffset: Int, moreFragments: Bool)
        /// Fewer than 40 bytes where an IPv6 header should be (RFC 8200 §3).
        case ipv6Truncated(available: Int)
        /// The version nibble of an IPv6 header is not 6.
        case ipv6BadVersion(UInt8)
        /// The payload length reaches past the bytes available after the 40-byte header.
        case ipv6BadPayloadLength(payloadLength: Int, available: Int)
        /// An extension header (RFC 8200 §4) whose length byte is missing (`length` -1) or whose length
        /// reaches past the end of the payload. `type` is the protocol number that named it.
        case ipv6ExtensionHeaderTruncated(type: UInt8, length: Int, available: Int)
        /// The header chain ends in something other than TCP (6); `nextHeader` is that protocol number.
        case ipv6NotTCP(nextHeader: UInt8)
        /// A Fragment header with a non-zero offset or M set (RFC 8200 §4.5); not reassembled.
        case ipv6Fragment(fragmentOffset: Int, moreFragments: Bool)
        /// The first nibble is neither 4 nor 6 (nil: no byte at all), where either family may come.
        case ipBadVersion(UInt8?)
        /// Fewer than 20 bytes where a TCP header should be.
        case tcpTruncated(available: Int)
        /// Data offset below 5 words, or reaching past the end of the segment.
        case tcpBadDataOffset(dataOffset: UInt8, available: Int)
        /// An option with a length byte below 2.
        case tcpOptionBadLength(kind: UInt8, length: Int)
        /// An option whose length byte is missing or reaches past the end of the header.
        case tcpOptionPastEnd(kind: UInt8, length: Int, remaining: Int)
        /// The TCP checksum does not verify over the IPv4 or IPv6 pseudo-header.
        case tcpBadChecksum(carried: UInt16, expected: UInt16)
    }

    public var kind: Kind
    /// The byte offset of the offending field.
    public var offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        switch kind {
        case .ipv4Truncated(let available):
            return "IPv4 header at byte \(offset): truncated, \(available) bytes, minimum 20"
        case .ipv4BadVersion(let v):
            return "IPv4 version at byte \(offset): \(v), expected 4"
        case .ipv4BadHeaderLength(let ihl, let available):
            if ihl < 5 {
                return "IPv4 IHL at byte \(offset): \(ihl) words (\(Int(ihl) * 4) bytes), minimum 5"
            }
            return "IPv4 IHL at byte \(offset): \(ihl) words (\(Int(ihl) * 4) bytes), only \(available) bytes present"
        case .ipv4BadTotalLength(let total, let header, let available):
            if total < header {
                return "IPv4 total length at byte \(offset): \(total), shorter than the \(header)-byte header"
            }
            return "IPv4 total length at byte \(offset): \(total), only \(available) bytes present"
        case .ipv4BadHeaderChecksum(let carried, let expected):
            return "IPv4 header checksum at byte \(offset): 0x\(hex4(carried)), expected 0x\(hex4(expected))"
        case .ipv4NotTCP(let proto):
            return "IPv4 protocol at byte \(offset): \(proto), not TCP (6)"
        case .ipv4Fragment(let fragmentOffset, let more):
            return "IPv4 fragment at byte \(offset): offset \(fragmentOffset)\(more ? ", more fragments" : ""); fragments are not reassembled"
        case .ipv6Truncated(let available):
            return "IPv6 header at byte \(offset): truncated, \(available) bytes, minimum 40"
        case .ipv6BadVersion(let v):
            return "IPv6 version at byte \(offset): \(v), expected 6"
        case .ipv6BadPayloadLength(let length, let available):
            return "IPv6 payload length at byte \(offset): \(length), only \(available) bytes present"
        case .ipv6ExtensionHeaderTruncated(let type, let length, let available):
            if length < 0 {
                return "IPv6 extension header at byte \(offset): \(IPv6ExtensionHeader.name(type)) (\(type)), length byte missing"
            }
            return "IPv6 extension header at byte \(offset): \(IPv6ExtensionHeader.name(type)) (\(type)), \(length) bytes, only \(available) bytes present"
        case .ipv6NotTCP(let nextHeader):
            return "IPv6 next header at byte \(offset): \(nextHeader), not TCP (6)"
        case .ipv6Fragment(let fragmentOffset, let more):
            return "IPv6 fragment header at byte \(offset): offset \(fragmentOffset)\(more ? ", more fragments" : ""); fragments are not reassembled"
        case .ipBadVersion(let v):
            guard let v else { return "IP header at byte \(offset): no bytes" }
            return "IP version at byte \(offset): \(v), expected 4 or 6"
        case .tcpTruncated(let available):
            return "TCP header at byte \(offset): truncated, \(available) bytes, minimum 20"
        case .tcpBadDataOffset(let dataOffset, let available):
            if dataOffset < 5 {
                return "TCP data offset at byte \(offset): \(dataOffset) words (\(Int(dataOffset) * 4) bytes), minimum 5"
            }
            return "TCP data offset at byte \(offset): \(dataOffset) words (\(Int(dataOffset) * 4) bytes), only \(available) bytes present"
        case .tcpOptionBadLength(let kind, let length):
            return "TCP option at byte \(offset): kind \(kind), length \(length), minimum 2"
        case .tcpOptionPastEnd(let kind, let length, let remaining):
            if length < 0 {
                return "TCP option at byte \(offset): kind \(kind), length byte missing at the end of the header"
            }
            return "TCP option at byte \(offset): kind \(kind), length \(length), past the end of the header (\(remaining) bytes left)"
        case .tcpBadChecksum(let carried, let expected):
            return "TCP checksum at byte \(offset): 0x\(hex4(carried)), expected 0x\(hex4(expected))"
        }
    }
}

@usableFromInline
func hex4(_ v: UInt16) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(v >> 12) & 15], digits[Int(v >> 8) & 15], digits[Int(v >> 4) & 15], digits[Int(v) & 15]])
}
