#if canImport(Glibc)
import Glibc
#endif

/// tcpdump's rendering of the Multipath TCP option (kind 30, RFC 8684 §3), used inside `options [...]`.
///
/// `p[option]` is the kind byte and `length` the option's length byte; the caller has checked that
/// all `length` bytes were captured. Returns false where tcpdump ends the list with `[bad opt]`.
enum MPTCPOption {
    /// An IPv6 address as inet_ntop writes it (RFC 5952), as tcpdump prints it with `-n`.
    static func appendIPv6(_ p: UnsafeRawBufferPointer, _ at: Int, _ out: OutputBuffer) {
        var address = [UInt8](UnsafeRawBufferPointer(rebasing: p[at..<(at + 16)]))
        var text = [CChar](repeating: 0, count: 64)
        if inet_ntop(AF_INET6, &address, &text, 64) != nil {
            out.append(string: String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    static func render(_ p: UnsafeRawBufferPointer, option o: Int, length len: Int, flags: UInt8,
                       into out: OutputBuffer) -> Bool {
        if len < 3 { return false }
        out.append(0x20)
        out.append(decimal: UInt64(len))
        let subtype = min(Int(p[o + 2] >> 4), 8)
        let names: [StaticString] = ["capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown"]
        out.append(0x20)
        out.append(names[subtype])
        let syn = flags & 0x02 != 0
        let ack = flags & 0x10 != 0
        func be64(_ i: Int) -> UInt64 { UInt64(TcpdumpLine.be32(p, i)) << 32 | UInt64(TcpdumpLine.be32(p, i + 4)) }
        func hex(_ v: UInt64) { TcpdumpLine.appendHexMinimal(v, out) }
        switch subtype {
        case 0:  // MP_CAPABLE
            guard ((len == 12 || len == 4) && syn) || ((len == 20 || len == 22) && ack && !syn) else { return false }
            let version = p[o + 2] & 0x0F
            guard version <= 1 else {
                out.append(" Unknown Version ("); out.append(decimal: UInt64(version)); out.append(0x29)
                return true
            }
            out.append(" v"); out.append(decimal: UInt64(version))
            if p[o + 3] & 0x80 != 0 { out.append(" csum") }
            if len == 12 || len >= 20 {
                out.append(" {0x"); hex(be64(o + 4))
                if len >= 20 { out.append(",0x"); hex(be64(o + 12)) }
                out.append(0x7D)
            }
        case 1:  // MP_JOIN
            guard (len == 12 && syn) || (len == 16 && syn && ack) || (len == 24 && ack) else { return false }
            if len != 24 {
                if p[o + 2] & 0x01 != 0 { out.append(" backup") }
                out.append(" id "); out.append(decimal: UInt64(p[o + 3]))
            }
            switch len {
            case 12:
                out.append(" token 0x"); hex(UInt64(TcpdumpLine.be32(p, o + 4)))
                out.append(" nonce 0x"); hex(UInt64(TcpdumpLine.be32(p, o + 8)))
            case 16:
                out.append(" hmac 0x"); hex(be64(o + 4))
                out.append(" nonce 0x"); hex(UInt64(TcpdumpLine.be32(p, o + 12)))
            default:
                out.append(" hmac 0x")
                for i in 0..<20 { out.append(hexByte: p[o + 4 + i]) }
            }
        case 2:  // DSS
            guard len >= 4, !syn else { return false }
            let f = p[o + 3]
            if f & 0x10 != 0 { out.append(" fin") }
            var i = o + 4
            var rest = len - 4
            if f & 0x01 != 0 {
                out.append(" ack ")
                if f & 0x02 != 0 {
                    guard rest >= 8 else { return false }
                    out.append(decimal: be64(i)); i += 8; rest -= 8
                } else {
                    guard rest >= 4 else { return false }
                    out.append(decimal: TcpdumpLine.be32(p, i)); i += 4; rest -= 4
                }
            }
            if f & 0x04 != 0 {
                out.append(" seq ")
                if f & 0x08 != 0 {
                    guard rest >= 8 else { return false }
                    out.append(decimal: be64(i)); i += 8; rest -= 8
                } else {
                    guard rest >= 4 else { return false }
                    out.append(decimal: TcpdumpLine.be32(p, i)); i += 4; rest -= 4
                }
                guard rest >= 4 else { return false }
                out.append(" subseq "); out.append(decimal: TcpdumpLine.be32(p, i)); i += 4; rest -= 4
                guard rest >= 2 else { return false }
                out.append(" len "); out.append(decimal: UInt64(TcpdumpLine.be16(p, i))); i += 2; rest -= 2
                if rest >= 2 {
                    out.append(" csum 0x"); hex(UInt64(TcpdumpLine.be16(p, i))); rest -= 2
                }
            }
            return rest == 0
        case 3:  // ADD_ADDR
            guard [8, 10, 16, 18, 20, 22, 28, 30].contains(len) else { return false }
            switch p[o + 2] & 0x0F {
            case 6: out.append(" v0-ip6")
            case 4: out.append(" v0-ip4")
            case 1: out.append(" v1-echo")
            case 0: out.append(" v1")
            default: out.append(" [bad version/echo]")
            }
            out.append(" id "); out.append(decimal: UInt64(p[o + 3]))
            if len <= 18 {
                out.append(0x20)
                for k in 0..<4 {
                    if k > 0 { out.append(0x2E) }
                    out.append(decimal: UInt64(p[o + 4 + k]))
                }
                if len == 10 || len == 18 { out.append(0x3A); out.append(decimal: UInt64(TcpdumpLine.be16(p, o + 8))) }
                if len == 16 { out.append(" hmac 0x"); hex(be64(o + 8)) }
                if len == 18 { out.append(" hmac 0x"); hex(be64(o + 10)) }
            } else {
                out.append(0x20)
                appendIPv6(p, o + 4, out)
                if len == 22 || len == 30 { out.append(0x3A); out.append(decimal: UInt64(TcpdumpLine.be16(p, o + 20))) }
                if len == 28 { out.append(" hmac 0x"); hex(be64(o + 20)) }
                if len == 30 { out.append(" hmac 0x"); hex(be64(o + 22)) }
            }
        case 4:  // REMOVE_ADDR
            guard len >= 4 else { return false }
            out.append(" id")
            for k in 0..<(len - 3) { out.append(0x20); out.append(decimal: UInt64(p[o + 3 + k])) }
        case 5:  // MP_PRIO
            guard len == 3 || len == 4 else { return false }
            out.append(p[o + 2] & 0x01 != 0 ? " backup" : " non-backup")
            if len == 4 { out.append(" id "); out.append(decimal: UInt64(p[o + 3])) }
        case 6:  // MP_FAIL
            guard len == 12 else { return false }
            out.append(" seq "); out.append(decimal: be64(o + 4))
        case 7:  // MP_FASTCLOSE
            guard len == 12 else { return false }
            out.append(" key 0x"); hex(be64(o + 4))
        default:
            break
        }
        return true
    }
}
