import ToyTCPWire

/// IPv6 lines, byte for byte what tcpdump 4.99 prints (print-ip6.c `ip6_print`, print-ip6opts.c,
/// print-rt6.c, print-frag6.c, print-ah.c), restated because they are the spec of this file:
///
/// - `IP6 ` (not with `-e`); a header not wholly captured prints ` [|ip6]` alone.
/// - A payload length past the wire length: `truncated-ip6 - N bytes missing!` (no space after it).
/// - With `-v`: `(class 0xTC, flowlabel 0xFFFFF, hlim H, next-header NAME (N) payload length: L) `, the
///   class and flow label only when non-zero.
/// - When the fixed header's Next Header is not TCP, `SRC > DST: ` and then each extension header:
///   `HBH `/`DSTOPT ` (with `-v` their options: `(pad1)`, `(padn)`, `(rtalert: 0x0000) `, …, then a space),
///   `RT6 (len=…, type=…, segleft=…, [0]ADDR) `, `frag (OFFSET|LENGTH) ` (`frag (0xID:OFFSET|LENGTH)` with
///   `-v`; a non-first fragment ends the line), `AH(spi=…,seq=…,icv=0x…): `; then TCP prints `SPORT > DPORT: `
///   without addresses. With TCP right after the fixed header it prints `SRC.SPORT > DST.DPORT: `.
/// - TCP's length is the payload length less the extension headers; the checksum (`-v`) is over the IPv6
///   pseudo-header with the routing header's final destination (RFC 8200 §8.1), and not shown in fragments.
extension TcpdumpLine {
    /// Whether a packet handed over as IP is one this renderer prints: IPv4 as `isIPv4TCP`; IPv6 whose
    /// header chain ends in TCP, or whose fixed header or chain is cut short (printed as tcpdump
    /// complains); anything else is skipped and counted by the caller.
    @inlinable
    public static func isIPTCP(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard let first = packet.first else { return false }
        switch first >> 4 {
        case 4: return isIPv4TCP(packet)
        case 6:
            guard packet.count >= 40 else { return true }
            if packet[6] == IPv6NextHeader.tcp { return true }
            guard let view = try? IPv6HeaderView(validating: packet, allowTruncatedPayload: true) else { return true }
            return view.upperLayerProtocol == IPv6NextHeader.tcp
        default: return false
        }
    }

    /// Renders the IPv4 or IPv6 text of a packet, by its version nibble (no time, no newline).
    public mutating func renderIP(_ p: UnsafeRawBufferPointer, wireLength: Int, into out: OutputBuffer) {
        hexDumpsWholeFrame = false
        if p.first.map({ $0 >> 4 }) == 6 {
            renderIPv6(p, wireLength: wireLength, into: out)
        } else {
            renderIPv4(p, wireLength: wireLength, into: out)
        }
    }

    /// Renders the IPv6/TCP text only (no time, no newline).
    public mutating func renderIPv6(_ p: UnsafeRawBufferPointer, wireLength: Int, into out: OutputBuffer) {
        out.reserve(1024)
        guard p.count >= 40 else { out.append(" [|ip6]"); return }
        if !omitsIPLabel { out.append("IP6 ") }
        let payloadLength = Int(Self.be16(p, 4))
        var len = payloadLength + 40
        if wireLength < len {
            out.append("truncated-ip6 - ")
            out.append(decimal: UInt64(len - wireLength))
            out.append(" bytes missing!")
        }
        let firstNext = p[6]
        if verbosity > 0 {
            let word = Self.be32(p, 0)
            out.append(0x28)
            if word & 0x0FF0_0000 != 0 {
                out.append("class 0x")
                out.append(hexByte: UInt8(truncatingIfNeeded: word >> 20))
                out.append(", ")
            }
            if word & 0x000F_FFFF != 0 {
                out.append("flowlabel 0x")
                out.append(hex: UInt64(word & 0x000F_FFFF), width: 5)
                out.append(", ")
            }
            out.append("hlim ")
            out.append(decimal: UInt64(p[7]))
            out.append(", next-header ")
            out.append(Self.ipProtocolName(firstNext))
            out.append(" (")
            out.append(decimal: UInt64(firstNext))
            out.append(") payload length: ")
            out.append(decimal: UInt64(payloadLength))
            out.append(") ")
        }
        // tcpdump cuts the snapshot at the end of the IPv6 payload.
        let cap = min(p.count, len)
        var finalDestination = 24
        var fragmented = false
        var offset = 40
        var next = firstNext
        len -= 40
        if next != IPv6NextHeader.tcp {
            appendIPv6Address(p, 8, out)
            out.append(" > ")
            appendIPv6Address(p, 24, out)
            out.append(": ")
        }
        // Each header is at least 8 bytes, so the walk ends.
        while next != IPv6NextHeader.tcp {
            // A header cut short ends the line with tcpdump's mark for its printer.
            let mark: StaticString
            switch next {
            case IPv6NextHeader.hopByHop: mark = " [|hbhopt]"
            case IPv6NextHeader.destinationOptions: mark = " [|dstopt]"
            case IPv6NextHeader.routing: mark = " [|rt6]"
            case IPv6NextHeader.fragment: mark = " [|frag6]"
            case IPv6NextHeader.authentication: mark = " [|ah]"
            default: return
            }
            // Where tcpdump's printers read a field past the capture (its GET_ macros), they abandon the
            // frame (a longjmp): the line ends with the mark and the -x dump starts at the frame's first
            // byte. A header whose length is known but not all captured is an ordinary truncation.
            guard offset + 2 <= cap else {
                if next == IPv6NextHeader.authentication { out.append("AH(") }
                out.append(mark)
                hexDumpsWholeFrame = true
                return
            }
            let advance: Int
            switch next {
            case IPv6NextHeader.hopByHop, IPv6NextHeader.destinationOptions:
                advance = (Int(p[offset + 1]) + 1) * 8
                guard offset + advance <= cap else { out.append(mark); return }
                out.append(next == IPv6NextHeader.hopByHop ? "HBH " : "DSTOPT ")
                renderIPv6Options(p, from: offset + 2, to: offset + advance,
                                  hopByHop: next == IPv6NextHeader.hopByHop, payloadLength: payloadLength, into: out)
            case IPv6NextHeader.routing:
                advance = (Int(p[offset + 1]) + 1) * 8
                guard renderRoutingHeader(p, at: offset, length: advance, captured: cap, into: out) else {
                    out.append(mark)
                    hexDumpsWholeFrame = offset + advance > cap
                    return
                }
                finalDestination = IPv6RoutingHeader.finalDestinationOffset(p, at: offset, length: advance) ?? finalDestination
            case IPv6NextHeader.fragment:
                advance = 8
                // tcpdump reads the offset field, and the identification only with -v.
                guard offset + (verbosity > 0 ? 8 : 4) <= cap else { out.append(mark); hexDumpsWholeFrame = true; return }
                let word = Int(Self.be16(p, offset + 2))
                let fragmentOffset = word & 0xFFF8
                out.append("frag (")
                if verbosity > 0 {
                    out.append("0x")
                    out.append(hex: UInt64(Self.be32(p, offset + 4)), width: 8)
                    out.append(0x3A)
                }
                out.append(decimal: UInt64(fragmentOffset))
                out.append(0x7C)
                // tcpdump computes the length unsigned: a payload shorter than the header wraps.
                out.append(decimal: UInt64(bitPattern: Int64(len - 8)))
                out.append(0x29)
                // A non-first fragment has no TCP header to show.
                if fragmentOffset != 0 { return }
                out.append(0x20)
                if len < 8 { return }
                fragmented = true
            case IPv6NextHeader.authentication:
                advance = (Int(p[offset + 1]) + 2) * 4
                out.append("AH(")
                if verbosity > 0 {
                    out.append("length=")
                    out.append(decimal: UInt64(p[offset + 1]))
                    out.append(0x28)
                    out.append(decimal: UInt64(advance))
                    out.append("-bytes),")
                }
                guard offset + 12 <= cap, offset + advance <= cap else { out.append(mark); hexDumpsWholeFrame = true; return }
                out.append("spi=0x")
                out.append(hex: UInt64(Self.be32(p, offset + 4)), width: 8)
                out.append(",seq=0x")
                Self.appendHexMinimal(UInt64(Self.be32(p, offset + 8)), out)
                out.append(",icv=0x")
                for i in (offset + 12)..<(offset + advance) { out.append(hexByte: p[i]) }
                out.append("): ")
            default:
                // Not reached for packets `isIPTCP` accepts.
                return
            }
            next = p[offset]
            offset += advance
            len -= advance
        }
        network = .ipv6(finalDestination: finalDestination, addressesWithPorts: firstNext == IPv6NextHeader.tcp)
        renderTCP(p, at: offset, captured: cap, length: len, fragmented: fragmented, into: out)
    }

    /// The options of a hop-by-hop or destination options header (print-ip6opts.c `ip6_opt_process`):
    /// printed with `-v` only, followed by a space.
    func renderIPv6Options(_ p: UnsafeRawBufferPointer, from start: Int, to end: Int, hopByHop: Bool,
                           payloadLength: Int, into out: OutputBuffer) {
        var i = start
        var sawJumbo = false
        while i < end {
            let type = p[i]
            let optionLength = type == 0 ? 1 : (i + 1 < end ? Int(p[i + 1]) + 2 : 0)
            guard optionLength > 0, i + optionLength <= end else { return }
            if verbosity > 0 {
                switch type {
                case 0: out.append("(pad1)")
                case 1: out.append("(padn)")
                case 5:
                    guard p[i + 1] == 2 else {
                        out.append("(rtalert: invalid len ")
                        out.append(decimal: UInt64(p[i + 1]))
                        out.append(0x29)
                        return
                    }
                    out.append("(rtalert: 0x")
                    out.append(hex: UInt64(Self.be16(p, i + 2)), width: 4)
                    out.append(") ")
                case 0xC2:
                    guard p[i + 1] == 4 else {
                        out.append("(jumbo: invalid len ")
                        out.append(decimal: UInt64(p[i + 1]))
                        out.append(0x29)
                        return
                    }
                    let jumbo = Self.be32(p, i + 2)
                    out.append("(jumbo: ")
                    out.append(decimal: jumbo)
                    if sawJumbo { out.append(" - already seen") }
                    else if !hopByHop { out.append(" - not a hop-by-hop option") }
                    else if payloadLength != 0 { out.append(" - payload len != 0") }
                    else if jumbo < 65536 { out.append(" - < 65536") }
                    out.append(") ")
                    sawJumbo = true
                default:
                    out.append("(opt_type 0x")
                    out.append(hexByte: type)
                    out.append(": len=")
                    out.append(decimal: UInt64(p[i + 1]))
                    out.append(0x29)
                }
            }
            i += optionLength
        }
        if verbosity > 0 { out.append(0x20) }
    }

    /// A Routing header (print-rt6.c): types 0 and 2 list their addresses, type 4 (segment routing)
    /// its segments. Printed field by field as far as the capture goes, as tcpdump does; false when it
    /// stopped (cut short, or a type tcpdump does not know), and the caller adds the truncation mark.
    func renderRoutingHeader(_ p: UnsafeRawBufferPointer, at offset: Int, length: Int, captured cap: Int,
                             into out: OutputBuffer) -> Bool {
        guard offset + 4 <= cap else { return false }
        let hdrLength = Int(p[offset + 1])
        let type = p[offset + 2]
        out.append("RT6 (len=")
        out.append(decimal: UInt64(hdrLength))
        out.append(", type=")
        out.append(decimal: UInt64(type))
        if type == 0 { out.append(" [Deprecated]") }
        out.append(", segleft=")
        out.append(decimal: UInt64(p[offset + 3]))
        var count: Int
        switch type {
        case 0, 2:
            if verbosity > 0 {
                guard offset + 8 <= cap else { return false }
                out.append(", rsv=0x")
                Self.appendHexMinimal(UInt64(Self.be32(p, offset + 4)), out)
            }
            guard hdrLength % 2 == 0 else { return false }
            count = hdrLength / 2
        case 4:
            guard offset + 5 <= cap else { return false }
            out.append(", last-entry=")
            out.append(decimal: UInt64(p[offset + 4]))
            if verbosity > 0 {
                guard offset + 6 <= cap else { return false }
                out.append(", flags=0x")
                Self.appendHexMinimal(UInt64(p[offset + 5]), out)
            }
            guard offset + 8 <= cap else { return false }
            out.append(", tag=")
            Self.appendHexMinimal(UInt64(Self.be16(p, offset + 6)), out)
            count = Int(p[offset + 4]) + 1
        default:
            return false
        }
        for k in 0..<count {
            let at = offset + 8 + 16 * k
            guard at + 16 <= cap else { return false }
            out.append(", [")
            out.append(decimal: UInt64(k))
            out.append(0x5D)
            appendIPv6Address(p, at, out)
        }
        guard offset + length <= cap else { return false }
        out.append(") ")
        return true
    }

    /// tcpdump's `ipproto_values` names for the `next-header` of `-v`.
    static func ipProtocolName(_ n: UInt8) -> StaticString {
        switch n {
        case 0: return "Options"
        case 1: return "ICMP"
        case 2: return "IGMP"
        case 4: return "IPIP"
        case 6: return "TCP"
        case 17: return "UDP"
        case 33: return "DCCP"
        case 41: return "IPv6"
        case 43: return "Routing"
        case 44: return "Fragment"
        case 47: return "GRE"
        case 50: return "ESP"
        case 51: return "AH"
        case 58: return "ICMPv6"
        case 132: return "SCTP"
        case 135: return "Mobility"
        default: return "unknown"
        }
    }
}
