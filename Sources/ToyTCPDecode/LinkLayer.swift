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
        case .ethernet: return "EN10MB (Ethernet)"
        case .linuxSLL: return "LINUX_SLL (Linux cooked v1)"
        case .linuxSLL2: return "LINUX_SLL2 (Linux cooked v2)"
        }
    }
}

/// Where the IPv4 packet starts inside one captured frame, and what tcpdump prints before `IP`.
public struct LinkDecapsulator {
    public let linkType: LinkType
    /// tcpdump prints `ifname  In  ` for SLL2 frames; interface names are looked up once per index.
    private var interfaceNames: [UInt32: [UInt8]] = [:]

    public init(linkType: LinkType) { self.linkType = linkType }

    /// The offset of the IPv4 header in `frame`, or nil when the frame carries no IPv4 packet.
    /// For SLL2 frames the tcpdump prefix is appended to `prefix`.
    public mutating func ipv4Offset(in frame: UnsafeRawBufferPointer, prefix: OutputBuffer?) -> Int? {
        switch linkType {
        case .raw, .ipv4:
            return frame.count >= 1 && frame[0] >> 4 == 4 ? 0 : nil
        case .ethernet:
            guard frame.count >= 14 else { return nil }
            var offset = 12
            var type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
            while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                offset += 4
                guard frame.count >= offset + 2 else { return nil }
                type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
            }
            return type == 0x0800 ? offset + 2 : nil
        case .linuxSLL:
            guard frame.count >= 16, frame[14] == 0x08, frame[15] == 0x00 else { return nil }
            return 16
        case .linuxSLL2:
            guard frame.count >= 20, frame[0] == 0x08, frame[1] == 0x00 else { return nil }
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
