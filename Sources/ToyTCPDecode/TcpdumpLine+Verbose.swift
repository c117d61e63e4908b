import ToyTCPWire

/// What tcpdump's `-v` adds to the line (print-ip.c `ip_print`, print-tcp.c `tcp_print`, 4.99).
extension TcpdumpLine {
    /// `(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)` and a newline with four
    /// spaces, after which the TCP part follows. ECN bits (RFC 3168 §5) follow the TOS as `,ECT(0)`,
    /// `,ECT(1)` or `,CE`; a TTL of 0 is left out; the fragment flags are `+` (MF), `DF` and `rsvd`;
    /// a header checksum that does not sum to zero adds `, bad cksum OLD (->RIGHT)!` (both `%x`, unpadded).
    func renderVerboseIPv4Header(_ p: UnsafeRawBufferPointer, headerLength ihl: Int, captured cap: Int,
                                 into out: OutputBuffer) {
        out.reserve(256)
        let tos = p[1]
        out.append("(tos 0x")
        Self.appendHexMinimal(UInt64(tos), out)
        switch tos & 0x03 {
        case 1: out.append(",ECT(1)")
        case 2: out.append(",ECT(0)")
        case 3: out.append(",CE")
        default: break
        }
        if p[8] >= 1 {
            out.append(", ttl ")
            out.append(decimal: UInt64(p[8]))
        }
        out.append(", id ")
        out.append(decimal: UInt64(Self.be16(p, 4)))
        let off = Self.be16(p, 6)
        out.append(", offset ")
        out.append(decimal: UInt64(off & 0x1FFF) * 8)
        out.append(", flags [")
        if off & 0xE000 == 0 {
            out.append("none")
        } else {
            var first = true
            for (bit, name) in [(UInt16(0x2000), "+" as StaticString), (0x4000, "DF"), (0x8000, "rsvd")] where off & bit != 0 {
                if !first { out.append(", ") }
                out.append(name)
                first = false
            }
        }
        out.append("], proto ")
        out.append(p[9] == 6 ? "TCP" : "unknown")
        out.append(" (")
        out.append(decimal: UInt64(p[9]))
        out.append("), length ")
        out.append(decimal: UInt64(Self.be16(p, 2)))
        if ihl > 20 {
            out.append(", options (")
            renderIPOptionNames(p, from: 20, to: min(ihl, cap), out)
            out.append(0x29)
        }
        if ihl <= cap {
            var sum = InternetChecksum()
            sum.add(UnsafeRawBufferPointer(rebasing: p[0..<ihl]))
            let computed = sum.value
            if computed != 0 {
                let carried = Self.be16(p, 10)
                out.append(", bad cksum ")
                Self.appendHexMinimal(UInt64(carried), out)
                out.append(" (->")
                Self.appendHexMinimal(UInt64(Self.shouldBe(carried, computed)), out)
                out.append(")!")
            }
        }
        out.append(")\n    ")
    }

    /// The names of the IPv4 options (RFC 791 §3.1), comma-separated; their contents are not shown.
    func renderIPOptionNames(_ p: UnsafeRawBufferPointer, from start: Int, to end: Int, _ out: OutputBuffer) {
        var i = start
        var first = true
        while i < end {
            if !first { out.append(0x2C) }
            first = false
            let code = p[i]
            switch code {
            case 0: out.append("EOL"); return
            case 1: out.append("NOP"); i += 1; continue
            case 7: out.append("RR")
            case 68: out.append("TS")
            case 130: out.append("security")
            case 131: out.append("LSRR")
            case 137: out.append("SSRR")
            case 148: out.append("RA")
            default: out.append("unknown "); out.append(decimal: UInt64(code))
            }
            guard i + 1 < end, p[i + 1] >= 2 else { return }
            i += Int(p[i + 1])
        }
    }

    /// `, cksum 0x1c46 (correct)` or `, cksum 0x1c46 (incorrect -> 0x9a2b)`: the TCP checksum over the
    /// IPv4 pseudo-header (RFC 9293 §3.1), shown only when the whole segment was captured.
    func renderChecksum(_ p: UnsafeRawBufferPointer, at t: Int, length: Int, into out: OutputBuffer) {
        let segment = UnsafeRawBufferPointer(rebasing: p[t..<(t + length)])
        let pseudoHeader: TCPPseudoHeader
        switch network {
        case .ipv4:
            pseudoHeader = TCPPseudoHeader(source: IPv4Address(rawValue: Self.be32(p, 12)),
                                           destination: IPv4Address(rawValue: Self.be32(p, 16)))
        case .ipv6(let finalDestination, _):
            pseudoHeader = TCPPseudoHeader(source: IPv6Address(bytes: p, at: 8),
                                           destination: IPv6Address(bytes: p, at: finalDestination))
        }
        let computed = pseudoHeader.checksum(segment)
        let carried = Self.be16(p, t + 16)
        out.append(", cksum 0x")
        out.append(hex: UInt64(carried), width: 4)
        if computed == 0 {
            out.append(" (correct)")
        } else {
            out.append(" (incorrect -> 0x")
            out.append(hex: UInt64(Self.shouldBe(carried, computed)), width: 4)
            out.append(0x29)
        }
    }

    /// The checksum the field should hold, from the carried one and the complemented sum over the
    /// data with the carried one in place (tcpdump's `in_cksum_shouldbe`, RFC 1624 arithmetic).
    static func shouldBe(_ carried: UInt16, _ computed: UInt16) -> UInt16 {
        var s = UInt32(carried) + UInt32(computed)
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }

    /// ` [RST text]` for a RST that carries data (RFC 9293 §3.10.7.1 allows a reason there): at most
    /// 30 characters (`[RST+` when cut), `[!RST` when not all of it was captured; bytes outside
    /// printable ASCII shown as tcpdump does (`M-` for the high bit, `^` for control characters).
    static func renderResetData(_ p: UnsafeRawBufferPointer, from start: Int, length: Int, captured cap: Int,
                                into out: OutputBuffer) {
        out.reserve(160)
        out.append(start + length <= cap ? " [RST" : " [!RST")
        var n = length
        if n > 30 {
            n = 30
            out.append(UInt8(ascii: "+"))
        }
        out.append(0x20)
        var i = start
        while i < start + n && i < cap {
            var c = p[i]
            if c >= 0x80 {
                c &= 0x7F
                out.append("M-")
            }
            if c < 0x20 || c == 0x7F {
                c ^= 0x40
                out.append(UInt8(ascii: "^"))
            }
            out.append(c)
            i += 1
        }
        out.append(0x5D)
    }
}
