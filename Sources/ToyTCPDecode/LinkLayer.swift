#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// The link-layer header types the decoder reads (pcap LINKTYPE_ values; see tcpdump.org/linktypes.html).
public enum LinkType: Sendable, Equatable, CustomStringConvertible {
    /// LINKTYPE_RAW (101; DLT_RAW): the packet starts with an IPv4 or IPv6 header.
    case raw
    /// LINKTYPE_IPV4 (228): the packet is an IPv4 packet.
    case ipv4
    /// LINKTYPE_IPV6 (229): the packet is an IPv6 packet.
    case ipv6
    /// LINKTYPE_NULL (0): BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null
    /// LINKTYPE_LOOP (108): OpenBSD loopback, the 4-byte address family in network byte order.
    case loop
    /// LINKTYPE_PPP (9): PPP in HDLC-like framing (RFC 1662), address and control optional, then the
    /// PPP protocol (0x0021 IPv4, 0x0057 IPv6; one byte when compressed, RFC 1661 §6.5).
    case ppp
    /// LINKTYPE_ETHERNET (1): Ethernet II, with 802.1Q / 802.1ad tags skipped.
    case ethernet
    /// LINKTYPE_LINUX_SLL (113): Linux "cooked" capture v1, a 16-byte header.
    case linuxSLL
    /// LINKTYPE_LINUX_SLL2 (276): Linux "cooked" capture v2, a 20-byte header with the interface index.
    case linuxSLL2

    /// Maps the value libpcap's `pcap_datalink` returns (a DLT_ value) to a link type.
    public init?(dlt: Int32) {
        switch dlt {
        case 12, 14, 101: self = .raw      // DLT_RAW is 12 on most systems and 14 on OpenBSD.
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 0: self = .null
        case 108: self = .loop
        case 9: self = .ppp
        case 1: self = .ethernet
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .raw: return "RAW (raw IP)"
        case .ipv4: return "IPV4 (raw IPv4)"
        case .ipv6: return "IPV6 (raw IPv6)"
        case .null: return "NULL (BSD loopback)"
        case .loop: return "LOOP (OpenBSD loopback)"
        case .ppp: return "PPP (PPP)"
        case .ethernet: return "EN10MB (Ethernet)"
        case .linuxSLL: return "LINUX_SLL (Linux cooked v1)"
        case .linuxSLL2: return "LINUX_SLL2 (Linux cooked v2)"
        }
    }
}

/// Where the IP packet (IPv4 or IPv6) starts inside one captured frame, and what tcpdump prints before `IP`.
public struct LinkDecapsulator {
    public let linkType: LinkType
    /// tcpdump prints `ifname  In  ` for SLL2 frames; interface names are looked up once per index.
    private var interfaceNames: [UInt32: [UInt8]] = [:]

    public init(linkType: LinkType) { self.linkType = linkType }

    /// The BSD address family values tcpdump reads as IPv6 (print-null.c): NetBSD/OpenBSD 24,
    /// FreeBSD 28, Darwin 30. IPv4 is 2 everywhere.
    static func bsdFamilyVersion(_ family: UInt32) -> Int? {
        switch family {
        case 2: return 4
        case 24, 28, 30: return 6
        default: return nil
        }
    }

    /// The address family of a NULL or LOOP header, in whichever byte order makes it small (tcpdump
    /// swaps when the high 16 bits are set, so a capture from a host of the other byte order reads).
    static func bsdFamily(_ frame: UnsafeRawBufferPointer, bigEndian: Bool) -> UInt32 {
        var f = bigEndian
            ? UInt32(frame[0]) << 24 | UInt32(frame[1]) << 16 | UInt32(frame[2]) << 8 | UInt32(frame[3])
            : UInt32(frame[3]) << 24 | UInt32(frame[2]) << 16 | UInt32(frame[1]) << 8 | UInt32(frame[0])
        if f & 0xFFFF_0000 != 0 { f = f.byteSwapped }
        return f
    }

    /// A PPP frame's protocol and the length of its header (address/control and protocol fields).
    static func pppProtocol(_ frame: UnsafeRawBufferPointer) -> (protocol: UInt16, headerLength: Int)? {
        var offset = 0
        if frame.count >= 2 && frame[0] == 0xFF && frame[1] == 0x03 { offset = 2 }
        guard frame.count > offset else { return nil }
        if frame[offset] & 1 == 1 { return (UInt16(frame[offset]), offset + 1) }   // protocol field compressed
        guard frame.count >= offset + 2 else { return nil }
        return (UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]), offset + 2)
    }

    /// The offset of the IPv4 or IPv6 header in `frame`, or nil when the frame carries neither.
    /// For SLL2 frames the tcpdump prefix is appended to `prefix`.
    public mutating func ipOffset(in frame: UnsafeRawBufferPointer, prefix: OutputBuffer?) -> Int? {
        switch linkType {
        case .raw, .ipv6:
            // tcpdump reads LINKTYPE_IPV6 like raw IP (`ipN_print`): either version.
            return frame.count >= 1 && (frame[0] >> 4 == 4 || frame[0] >> 4 == 6) ? 0 : nil
        case .ipv4:
            return frame.count >= 1 && frame[0] >> 4 == 4 ? 0 : nil
        case .null, .loop:
            guard frame.count >= 4, Self.bsdFamilyVersion(Self.bsdFamily(frame, bigEndian: linkType == .loop)) != nil else { return nil }
            return 4
        case .ppp:
            guard let (proto, length) = Self.pppProtocol(frame), proto == 0x21 || proto == 0x57 else { return nil }
            return length
        case .ethernet:
            guard frame.count >= 14 else { return nil }
            var offset = 12
            var type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
            while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                offset += 4
                guard frame.count >= offset + 2 else { return nil }
                type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
            }
            return Self.isIPEthertype(type) ? offset + 2 : nil
        case .linuxSLL:
            guard frame.count >= 16, Self.isIPEthertype(UInt16(frame[14]) << 8 | UInt16(frame[15])) else { return nil }
            return 16
        case .linuxSLL2:
            guard frame.count >= 20, Self.isIPEthertype(UInt16(frame[0]) << 8 | UInt16(frame[1])) else { return nil }
            if let out = prefix {
                let index = UInt32(frame[4]) << 24 | UInt32(frame[5]) << 16 | UInt32(frame[6]) << 8 | UInt32(frame[7])
                let name = interfaceName(index)
                name.withUnsafeBytes { out.append(bytes: $0) }
                out.append(repeating: 0x20, count: 5 - name.count)  // "%-5s "
                out.append(0x20)
                let packetType: StaticString
                switch frame[10] {
                case 0: packetType = "In  "
                case 1: packetType = "B   "
                case 2: packetType = "M   "
                case 3: packetType = "P   "
                case 4: packetType = "Out "
                default: packetType = "?   "
                }
                out.append(packetType)
            }
            return 20
        }
    }

    /// Whether the link header of `frame` says an IPv6 packet follows (ethertype 0x86DD, an IPv6 BSD
    /// address family, PPP protocol 0x0057), whether or not any of it was captured.
    public static func announcesIPv6(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Bool {
        switch linkType {
        case .raw, .ipv4, .ipv6: return frame.first.map { $0 >> 4 == 6 } ?? (linkType == .ipv6)
        case .ethernet:
            var offset = 12
            while offset + 2 <= frame.count {
                let type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
                if type == 0x8100 || type == 0x88A8 || type == 0x9100 { offset += 4; continue }
                return type == 0x86DD
            }
            return false
        case .linuxSLL: return frame.count >= 16 && frame[14] == 0x86 && frame[15] == 0xDD
        case .linuxSLL2: return frame.count >= 2 && frame[0] == 0x86 && frame[1] == 0xDD
        case .null, .loop: return frame.count >= 4 && bsdFamilyVersion(bsdFamily(frame, bigEndian: linkType == .loop)) == 6
        case .ppp: return pppProtocol(frame)?.protocol == 0x57
        }
    }

    /// IPv4 (0x0800) or IPv6 (0x86DD).
    static func isIPEthertype(_ type: UInt16) -> Bool { type == 0x0800 || type == 0x86DD }

    private mutating func interfaceName(_ index: UInt32) -> [UInt8] {
        if let known = interfaceNames[index] { return known }
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        let name: [UInt8]
        if if_indextoname(index, &buffer) != nil {
            name = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        } else {
            name = [UInt8(ascii: "?")]
        }
        interfaceNames[index] = name
        return name
    }
}
