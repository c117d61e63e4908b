/// What tcpdump's `-e` prints for a frame's link-layer header, before the IPv4 part (which then starts
/// without `IP `): print-ether.c `ether_hdr_print`, print-sll.c `sll_print`/`sll2_print`, print-raw.c.
///
/// - Ethernet: `src > dst, ethertype IPv4 (0x0800), length FRAME: ` (`, IPv4, length FRAME: ` with `-q`).
/// - Raw IP: `ip: `.
/// - Linux cooked v1: the packet type right-aligned in 3 columns, the sender's MAC, then as Ethernet.
/// - Linux cooked v2: after the interface name and direction, `ifindex N `, the MAC, then as Ethernet.
/// - BSD loopback (NULL, LOOP): `AF IPv4 (2), length FRAME: ` (`IPv4, length FRAME: ` with `-q`), `AF IPv6 (N)`.
/// - PPP: `IP (0x0021), length FRAME: ` or `IP6 (0x0057), …`.
/// The length is the frame's length on the wire (pcap `len`). Only IPv4 and IPv6 frames reach here.
public enum LinkHeaderText {
    public static func render(_ frame: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int, quiet: Bool,
                              into out: OutputBuffer) {
        out.reserve(128)
        switch linkType {
        case .raw, .ipv4, .ipv6:
            out.append("ip: ")
        case .null, .loop:
            guard frame.count >= 4 else { return }
            let family = LinkDecapsulator.bsdFamily(frame, bigEndian: linkType == .loop)
            let v6 = LinkDecapsulator.bsdFamilyVersion(family) == 6
            if quiet {
                out.append(v6 ? "IPv6" : "IPv4")
            } else {
                out.append(v6 ? "AF IPv6 (" : "AF IPv4 (")
                out.append(decimal: UInt64(family))
                out.append(0x29)
            }
            out.append(", length ")
            out.append(decimal: UInt64(wireLength))
            out.append(": ")
        case .ppp:
            guard let (proto, _) = LinkDecapsulator.pppProtocol(frame) else { return }
            out.append(proto == 0x57 ? "IP6 (0x" : "IP (0x")
            out.append(hex: UInt64(proto), width: 4)
            out.append("), length ")
            out.append(decimal: UInt64(wireLength))
            out.append(": ")
        case .ethernet:
            guard frame.count >= 14 else { return }
            appendMAC(frame, 6, out)
            out.append(" > ")
            appendMAC(frame, 0, out)
            appendEthertype(UInt16(frame[12]) << 8 | UInt16(frame[13]), wireLength: wireLength, quiet: quiet, out)
        case .linuxSLL:
            guard frame.count >= 16 else { return }
            let name = packetTypeName(UInt16(frame[0]) << 8 | UInt16(frame[1]))
            out.append(repeating: 0x20, count: 3 - name.utf8CodeUnitCount)
            out.append(name)
            out.append(0x20)
            if frame[4] == 0 && frame[5] == 6 { appendMAC(frame, 6, out); out.append(0x20) }
            if !quiet { appendEthertypeSLL(UInt16(frame[14]) << 8 | UInt16(frame[15]), wireLength: wireLength, out) }
        case .linuxSLL2:
            guard frame.count >= 20 else { return }
            out.append("ifindex ")
            out.append(decimal: UInt64(TcpdumpLine.be32(frame, 4)))
            out.append(0x20)
            if frame[11] == 6 { appendMAC(frame, 12, out); out.append(0x20) }
            if !quiet { appendEthertypeSLL(UInt16(frame[0]) << 8 | UInt16(frame[1]), wireLength: wireLength, out) }
        }
    }

    /// The link-layer header's length in `frame` (where `-x`/`-X` start): Ethernet's 14 plus any
    /// 802.1Q/802.1ad tags, the cooked headers' 16 or 20, nothing for raw IP.
    public static func headerLength(_ frame: UnsafeRawBufferPointer, linkType: LinkType) -> Int {
        switch linkType {
        case .raw, .ipv4, .ipv6: return 0
        case .null, .loop: return min(4, frame.count)
        // tcpdump's PPP printer reports PPP_HDRLEN (4) whatever the framing (compressed or not).
        case .ppp: return min(4, frame.count)
        case .linuxSLL: return min(16, frame.count)
        case .linuxSLL2: return min(20, frame.count)
        case .ethernet:
            var offset = 12
            while offset + 2 <= frame.count {
                let type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
                guard type == 0x8100 || type == 0x88A8 || type == 0x9100 else { break }
                offset += 4
            }
            return min(offset + 2, frame.count)
        }
    }

    static func appendMAC(_ p: UnsafeRawBufferPointer, _ at: Int, _ out: OutputBuffer) {
        for i in 0..<6 {
            if i > 0 { out.append(0x3A) }
            out.append(hexByte: p[at + i])
        }
    }

    static func ethertypeName(_ type: UInt16) -> StaticString {
        switch type {
        case 0x0800: return "IPv4"
        case 0x86DD: return "IPv6"
        case 0x0806: return "ARP"
        case 0x8100: return "802.1Q"
        case 0x88A8: return "802.1Q-QinQ"
        case 0x9100: return "802.1Q-9100"
        default: return "Unknown"
        }
    }

    static func appendEthertype(_ type: UInt16, wireLength: Int, quiet: Bool, _ out: OutputBuffer) {
        if quiet {
            out.append(", ")
            out.append(ethertypeName(type))
        } else {
            out.append(", ethertype ")
            out.append(ethertypeName(type))
            out.append(" (0x")
            out.append(hex: UInt64(type), width: 4)
            out.append(0x29)
        }
        out.append(", length ")
        out.append(decimal: UInt64(wireLength))
        out.append(": ")
    }

    static func appendEthertypeSLL(_ type: UInt16, wireLength: Int, _ out: OutputBuffer) {
        out.append("ethertype ")
        out.append(ethertypeName(type))
        out.append(" (0x")
        out.append(hex: UInt64(type), width: 4)
        out.append("), length ")
        out.append(decimal: UInt64(wireLength))
        out.append(": ")
    }

    static func packetTypeName(_ type: UInt16) -> StaticString {
        switch type {
        case 0: return "In"
        case 1: return "B"
        case 2: return "M"
        case 3: return "P"
        case 4: return "Out"
        default: return "?"
        }
    }
}
