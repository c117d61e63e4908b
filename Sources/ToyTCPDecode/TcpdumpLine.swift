import ToyTCPWire

/// The one-line summary of an IPv4 TCP packet, byte for byte what `tcpdump -nn -r` (4.99) prints.
///
/// tcpdump's rules (print-ip.c, print-tcp.c), restated here because they are the spec of this file:
/// - `IP ` (the link layer printed before it, if any), then complaints about the IPv4 header:
///   `truncated-ip - N bytes missing! ` when the total length exceeds what was on the wire,
///   `bad-len N` (total length below the header length), `bad-hlen N` (IHL below 5).
/// - Non-first fragments print `A > B: ip-proto-6` (their TCP header is elsewhere).
/// - `A.port > B.port: Flags [..]` with one letter per bit of the 8-bit flags byte in the order
///   F S R P . U E W (`none` if no bit is set; tcpdump 4.99 does not show AE).
/// - `, seq S[:E]` only with payload or SYN/FIN/RST; `, ack A` only with ACK; `, win W` always
///   (unscaled); `, urg U` only with URG; `, options [...]`; `, length L` (payload length, from the IPv4
///   total length, not from what was captured).
/// - Relative numbers via `FlowTable` unless `absolute` (tcpdump's `-S`).
/// - Truncation anywhere prints ` [|tcp]` (or ` [|ip]`) and ends the line; a malformed option list
///   prints `[bad opt]` and ends the line without `length`.
/// For well-known ports tcpdump then dissects the payload: the text protocols (HTTP, SMTP, FTP, RTSP,
/// WHOIS, SSH banners) are reproduced by `TextProtocolLine`; binary ones (BGP, DNS, telnet, …) are not.
public struct TcpdumpLine {
    public var flows = FlowTable()
    public var clock = TimeOfDayFormatter()
    /// Print absolute sequence numbers (tcpdump `-S`).
    public var absolute: Bool
    /// tcpdump's `-v` count: from 1 on, the IPv4 header line `(tos …, length N)` and the TCP checksum.
    public var verbosity = 0
    /// tcpdump's `-q`: `tcp LENGTH` in place of the TCP header's fields.
    public var quiet = false
    /// Set when the link-layer header has been printed (tcpdump `-e`): the line then has no `IP `.
    public var omitsIPLabel = false
    /// Set by `renderIP` when tcpdump would abandon the frame's printer (an IPv6 extension header's field
    /// read past the capture), whose `-x` dump then starts at the frame's first byte, not the network header.
    public internal(set) var hexDumpsWholeFrame = false
    /// Address texts already formatted (a reference: copies of the line share it, which is harmless).
    let ipv6Text = IPv6TextCache()
    /// The network layer of the packet being rendered (set by `renderIPv4` / `renderIPv6`).
    var network = NetworkLayer.ipv4

    /// Where the TCP printer finds the addresses of the packet it is in.
    enum NetworkLayer {
        case ipv4
        /// `finalDestination`: the offset of the pseudo-header's destination (RFC 8200 §8.1);
        /// `addressesWithPorts`: the fixed header's Next Header is TCP, so tcpdump prints `A.p > B.q`
        /// (after extension headers it has printed `A > B: ` already and prints `p > q`).
        case ipv6(finalDestination: Int, addressesWithPorts: Bool)
    }

    public init(absolute: Bool = false) {
        self.absolute = absolute
    }

    /// Whether a packet handed over as IPv4 is one this renderer prints (IPv4 carrying TCP, or an IPv4
    /// header too short to tell); anything else is skipped and counted by the caller.
    @inlinable
    public static func isIPv4TCP(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard packet.count >= 1, packet[0] >> 4 == 4 else { return false }
        return packet.count < 10 || packet[9] == 6
    }

    /// Renders one line, ending in `\n`: the time (if given), `prefix` (link layer), then the IPv4/TCP
    /// text. `packet` holds the captured bytes from the IPv4 header on; `wireLength` is the length of
    /// the same part on the wire (pcap `len` minus the link header), which may be more than captured.
    public mutating func render(_ packet: UnsafeRawBufferPointer, wireLength: Int, timestamp: PacketTimestamp?,
                                into out: OutputBuffer) {
        out.reserve(1024)
        if let t = timestamp {
            clock.render(t, into: out)
            out.append(0x20)
        }
        renderIPv4(packet, wireLength: wireLength, into: out)
        out.append(0x0A)
    }

    /// Renders the IPv4/TCP text only (no time, no newline).
    public mutating func renderIPv4(_ p: UnsafeRawBufferPointer, wireLength: Int, into out: OutputBuffer) {
        out.reserve(1024)
        network = .ipv4
        if !omitsIPLabel { out.append("IP ") }
        var cap = p.count
        guard cap >= 20 else { out.append(" [|ip]"); return }
        let ihl = Int(p[0] & 0x0F) * 4
        if ihl < 20 {
            out.append("bad-hlen ")
            out.append(decimal: UInt64(ihl))
            return
        }
        var len = Int(p[2]) << 8 | Int(p[3])  // tcpdump 4.99 is built without GUESS_TSO: 0 is bad-len
        if wireLength < len {
            out.append("truncated-ip - ")
            out.append(decimal: UInt64(len - wireLength))
            out.append(" bytes missing! ")
        }
        if len < ihl {
            out.append("bad-len ")
            out.append(decimal: UInt64(len))
            return
        }
        cap = min(cap, min(wireLength, len))
        if verbosity > 0 { renderVerboseIPv4Header(p, headerLength: ihl, captured: cap, into: out) }
        len -= ihl
        let fragment = Int(p[6]) << 8 | Int(p[7])
        if fragment & 0x1FFF != 0 {
            appendAddress(p, 12, out)
            out.append(" > ")
            appendAddress(p, 16, out)
            out.append(": ip-proto-")
            out.append(decimal: UInt64(p[9]))
            return
        }
        if cap < ihl {
            out.append(" [remaining caplen(")
            out.append(decimal: UInt64(cap))
            out.append(") < header length(")
            out.append(decimal: UInt64(ihl))
            out.append(")] [|ip]")
            return
        }
        renderTCP(p, at: ihl, captured: cap, length: len, fragmented: fragment & 0x3FFF != 0, into: out)
    }

    @inline(__always)
    func appendAddress(_ p: UnsafeRawBufferPointer, _ at: Int, _ out: OutputBuffer) {
        out.append(decimal: UInt64(p[at])); out.append(0x2E)
        out.append(decimal: UInt64(p[at + 1])); out.append(0x2E)
        out.append(decimal: UInt64(p[at + 2])); out.append(0x2E)
        out.append(decimal: UInt64(p[at + 3]))
    }

    @inline(__always)
    func appendSourceAddress(_ p: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        if case .ipv6 = network { appendIPv6Address(p, 8, out) } else { appendAddress(p, 12, out) }
    }

    @inline(__always)
    func appendDestinationAddress(_ p: UnsafeRawBufferPointer, _ out: OutputBuffer) {
        if case .ipv6 = network { appendIPv6Address(p, 24, out) } else { appendAddress(p, 16, out) }
    }

    /// The IPv6 address at `at`, in RFC 5952 text as tcpdump (`inet_ntop`) writes it.
    @inline(__always)
    func appendIPv6Address(_ p: UnsafeRawBufferPointer, _ at: Int, _ out: OutputBuffer) {
        ipv6Text.append(IPv6Address(bytes: p, at: at), to: out)
    }

    @inline(__always)
    static func be16(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt16 {
        UInt16(p[i]) << 8 | UInt16(p[i + 1])
    }

    @inline(__always)
    static func be32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    /// tcp_print: `t` is where the TCP header starts in `p`, `cap` the end of the captured (and
    /// IPv4-length-limited) bytes, `length` the TCP length per the IPv4 header.
    /// `fragmented`: the datagram is a fragment (MF or an offset), so its checksum cannot be checked.
    mutating func renderTCP(_ p: UnsafeRawBufferPointer, at t: Int, captured cap: Int, length: Int,
                            fragmented: Bool = false, into out: OutputBuffer) {
        if cap < t + 4 {
            appendSourceAddress(p, out)
            out.append(" > ")
            appendDestinationAddress(p, out)
            out.append(": [|tcp]")
            return
        }
        let sport = Self.be16(p, t)
        let dport = Self.be16(p, t + 2)
        var withAddresses = true
        if case .ipv6(_, let w) = network { withAddresses = w }
        if withAddresses { appendSourceAddress(p, out); out.append(0x2E) }
        out.append(decimal: UInt64(sport))
        out.append(" > ")
        if withAddresses { appendDestinationAddress(p, out); out.append(0x2E) }
        out.append(decimal: UInt64(dport))
        out.append(": ")
        if cap < t + 20 { out.append(" [|tcp]"); return }
        var hlen = Int(p[t + 12] >> 4) * 4
        if hlen < 20 {
            out.append(" tcp ")
            out.append(decimal: UInt64(UInt32(truncatingIfNeeded: length - hlen)))
            out.append(" [bad hdr length ")
            out.append(decimal: UInt64(hlen))
            out.append(" - too short, < 20]")
            return
        }
        if quiet {
            out.append("tcp ")
            out.append(decimal: UInt64(UInt32(truncatingIfNeeded: length - hlen)))
            if hlen > length {
                out.append(" [bad hdr length ")
                out.append(decimal: UInt64(hlen))
                out.append(" - too long, > ")
                out.append(decimal: UInt64(length))
                out.append(0x5D)
            }
            return
        }
        var seq = Self.be32(p, t + 4)
        var ack = Self.be32(p, t + 8)
        let flags = p[t + 13]
        let win = Self.be16(p, t + 14)
        let urp = Self.be16(p, t + 18)
        out.append("Flags [")
        Self.appendFlags(flags, out)
        out.append(0x5D)
        var sackBase: UInt32 = 0
        if !absolute && flags & 0x10 != 0 {
            let b = flows.bases(source: IPAddress.source(ofPacket: p) ?? .v4(.any),
                                destination: IPAddress.destination(ofPacket: p) ?? .v4(.any),
                                sourcePort: sport, destinationPort: dport,
                                sequence: seq, acknowledgment: ack, isSYN: flags & 0x02 != 0)
            seq &-= b.sequence
            ack &-= b.acknowledgment
            sackBase = b.sack
        }
        if hlen > length {
            out.append(" [bad hdr length ")
            out.append(decimal: UInt64(hlen))
            out.append(" - too long, > ")
            out.append(decimal: UInt64(length))
            out.append(0x5D)
            return
        }
        if verbosity > 0 && !fragmented && cap >= t + length {
            renderChecksum(p, at: t, length: length, into: out)
        }
        let payload = length - hlen
        // tcpdump -vv shows the sequence number on every segment.
        if payload > 0 || flags & 0x07 != 0 || verbosity > 1 {
            out.append(", seq ")
            out.append(decimal: seq)
            if payload > 0 {
                out.append(0x3A)
                out.append(decimal: seq &+ UInt32(truncatingIfNeeded: payload))
            }
        }
        if flags & 0x10 != 0 {
            out.append(", ack ")
            out.append(decimal: ack)
        }
        out.append(", win ")
        out.append(decimal: UInt64(win))
        if flags & 0x20 != 0 {
            out.append(", urg ")
            out.append(decimal: UInt64(urp))
        }
        // tcpdump names the protocol in truncation marks after its MPTCP printer has run: [|mptcp].
        var afterMPTCP = false
        if hlen > 20 {
            hlen -= 20
            out.append(", options [")
            guard renderOptions(p, from: t + 20, optionBytes: hlen, captured: cap,
                                payloadEnd: t + length, sackBase: sackBase, flags: flags,
                                afterMPTCP: &afterMPTCP, into: out) else { return }
            out.append(0x5D)
        }
        out.append(", length ")
        out.append(decimal: UInt64(payload))
        // Before handing the payload to a dissector tcpdump checks that the whole header was captured.
        let headerLength = Int(p[t + 12] >> 4) * 4
        if payload > 0 && verbosity > 0 && flags & 0x04 != 0 {
            Self.renderResetData(p, from: t + headerLength, length: payload, captured: cap, into: out)
            return
        }
        if payload > 0 && cap - t < headerLength {
            out.append(" [remaining caplen(")
            out.append(decimal: UInt64(cap - t))
            out.append(") < header length(")
            out.append(decimal: UInt64(headerLength))
            out.append(afterMPTCP ? ")] [|mptcp]" : ")] [|tcp]")
            return
        }
        if payload > 0, let dissector = TextProtocolLine.dissector(sport, dport) {
            TextProtocolLine.render(dissector, p, start: t + headerLength, length: payload, cap: cap,
                                    verbose: verbosity > 0, into: out)
        }
    }

    /// tcpdump's flag letters, in its order, from the flags byte.
    @inline(__always)
    static func appendFlags(_ flags: UInt8, _ out: OutputBuffer) {
        if flags == 0 { out.append("none"); return }
        if flags & 0x01 != 0 { out.append(UInt8(ascii: "F")) }
        if flags & 0x02 != 0 { out.append(UInt8(ascii: "S")) }
        if flags & 0x04 != 0 { out.append(UInt8(ascii: "R")) }
        if flags & 0x08 != 0 { out.append(UInt8(ascii: "P")) }
        if flags & 0x10 != 0 { out.append(UInt8(ascii: ".")) }
        if flags & 0x20 != 0 { out.append(UInt8(ascii: "U")) }
        if flags & 0x40 != 0 { out.append(UInt8(ascii: "E")) }
        if flags & 0x80 != 0 { out.append(UInt8(ascii: "W")) }
    }

    /// The option list. Returns false when the line has ended early (`[bad opt]` or truncation).
    func renderOptions(_ p: UnsafeRawBufferPointer, from start: Int, optionBytes: Int, captured cap: Int,
                       payloadEnd: Int, sackBase: UInt32, flags: UInt8, afterMPTCP: inout Bool,
                       into out: OutputBuffer) -> Bool {
        var hlen = optionBytes
        var cp = start
        var separator = false
        // Outcomes of tcpdump's two exits: `bad:` and `trunc:` (LENCHECK), and a GET_ longjmp.
        func bad() -> Bool {
            out.append("[bad opt]")
            if separator { out.append(0x5D) }
            return false
        }
        // A byte tcpdump reads with GET_U_1 past the capture: " [|tcp]" and the line ends.
        var mptcpSeen = afterMPTCP
        defer { afterMPTCP = mptcpSeen }
        func truncated() -> Bool {
            out.append(mptcpSeen ? " [|mptcp]" : " [|tcp]")
            return false
        }
        // LENCHECK's `trunc:` label adds '>' once an option has been printed (an old closing bracket).
        func truncatedInOption() -> Bool {
            out.append(mptcpSeen ? " [|mptcp]" : " [|tcp]")
            if separator { out.append(0x3E) }
            return false
        }
        while hlen > 0 {
            if separator { out.append(0x2C) }
            guard cp < cap else { return truncated() }
            let opt = p[cp]
            cp += 1
            let len: Int
            if opt <= 1 {
                len = 1
            } else {
                guard cp < cap else { return truncated() }
                len = Int(p[cp])
                cp += 1
                if len < 2 || len > hlen { return bad() }
                hlen -= 1
            }
            hlen -= 1
            var datalen = 0
            // LENCHECK(l): past the option's declared room is bad; past the capture is truncation.
            @inline(__always) func lencheck(_ l: Int) -> Bool? {
                if l > hlen { return bad() }
                if cp + l > cap { return truncatedInOption() }
                return nil
            }
            switch opt {
            case 0: out.append("eol")
            case 1: out.append("nop")
            case 2:
                out.append("mss")
                datalen = 2
                if let r = lencheck(2) { return r }
                out.append(0x20); out.append(decimal: UInt64(Self.be16(p, cp)))
            case 3:
                out.append("wscale")
                datalen = 1
                if let r = lencheck(1) { return r }
                out.append(0x20); out.append(decimal: UInt64(p[cp]))
            case 4: out.append("sackOK")
            case 5:
                out.append("sack")
                datalen = len - 2
                if datalen % 8 != 0 {
                    out.append(" invalid sack")
                } else {
                    out.append(0x20)
                    out.append(decimal: UInt64(datalen / 8))
                    out.append(0x20)
                    var i = 0
                    while i < datalen {
                        if let r = lencheck(i + 4) { return r }
                        let s = Self.be32(p, cp + i) &- sackBase
                        if let r = lencheck(i + 8) { return r }
                        let e = Self.be32(p, cp + i + 4) &- sackBase
                        out.append(0x7B); out.append(decimal: s); out.append(0x3A); out.append(decimal: e); out.append(0x7D)
                        i += 8
                    }
                }
            case 6, 7, 11, 12, 13:
                switch opt {
                case 6: out.append("echo")
                case 7: out.append("echoreply")
                case 11: out.append("cc")
                case 12: out.append("ccnew")
                default: break
                }
                datalen = 4
                if let r = lencheck(4) { return r }
                out.append(0x20); out.append(decimal: Self.be32(p, cp))
            case 8:
                out.append("TS")
                datalen = 8
                if let r = lencheck(8) { return r }
                out.append(" val "); out.append(decimal: Self.be32(p, cp))
                out.append(" ecr "); out.append(decimal: Self.be32(p, cp + 4))
            case 19:
                out.append("md5")
                datalen = 16
                if let r = lencheck(16) { return r }
                out.append(0x20)
                if payloadEnd > cap {
                    out.append("snaplen too short, ")
                } else {
                    out.append("shared secret not supplied with -M, ")
                }
                out.append("can't check - ")
                for i in 0..<16 { out.append(hexByte: p[cp + i]) }
            case 20:
                out.append("scps")
                datalen = 2
                if let r = lencheck(2) { return r }
                out.append(" cap "); out.append(hexByte: p[cp])
                out.append(" id "); out.append(decimal: UInt64(p[cp + 1]))
            case 28:
                out.append("uto")
                datalen = 2
                if let r = lencheck(2) { return r }
                var uto = UInt32(Self.be16(p, cp))
                out.append(" 0x")
                Self.appendHexMinimal(UInt64(uto), out)
                uto = uto & 1 != 0 ? (uto >> 1) * 60 : uto >> 1
                out.append(0x20); out.append(decimal: uto)
            case 29:
                out.append("tcp-ao")
                datalen = len - 2
                if datalen < 2 {
                    out.append(" (invalid)")
                } else {
                    if let r = lencheck(1) { return r }
                    out.append(" keyid "); out.append(decimal: UInt64(p[cp]))
                    if let r = lencheck(2) { return r }
                    out.append(" rnextkeyid "); out.append(decimal: UInt64(p[cp + 1]))
                    if datalen > 2 {
                        out.append(" mac 0x")
                        for i in 2..<datalen {
                            if let r = lencheck(i + 1) { return r }
                            out.append(hexByte: p[cp + i])
                        }
                    }
                }
            case 30:
                out.append("mptcp")
                datalen = len - 2
                if let r = lencheck(datalen) { return r }
                mptcpSeen = true
                guard MPTCPOption.render(p, option: cp - 2, length: len, flags: flags, into: out) else { return bad() }
            case 34:
                out.append("tfo")
                datalen = len - 2
                if let r = lencheck(datalen) { return r }
                out.append(0x20)
                Self.renderFastOpen(p, cp, datalen, experimental: false, out)
            case 254:
                out.append("exp")
                datalen = len - 2
                if let r = lencheck(datalen) { return r }
                if datalen < 2 { return bad() }
                let magic = Self.be16(p, cp)
                out.append(0x2D)
                if magic == 0xF989 {
                    Self.renderFastOpen(p, cp + 2, datalen - 2, experimental: true, out)
                } else {
                    out.append(hex: UInt64(magic), width: 4)
                }
            default:
                out.append("unknown-")
                out.append(decimal: UInt64(opt))
                datalen = len - 2
                if datalen > 0 { out.append(" 0x") }
                for i in 0..<max(datalen, 0) {
                    if let r = lencheck(i + 1) { return r }
                    out.append(hexByte: p[cp + i])
                }
            }
            cp += datalen
            hlen -= datalen
            datalen += opt <= 1 ? 1 : 2
            if datalen != len {
                out.append("[len ")
                out.append(decimal: UInt64(len))
                out.append(0x5D)
            }
            separator = true
            if opt == 0 { break }
        }
        return true
    }

    /// `%x`: lowercase hex without leading zeros.
    static func appendHexMinimal(_ v: UInt64, _ out: OutputBuffer) {
        var width = 1
        while width < 16 && v >> (4 * UInt64(width)) != 0 { width += 1 }
        out.append(hex: v, width: width)
    }

    /// TCP Fast Open (RFC 7413 §4.1.1): a cookie request (no data) or a cookie of 4 to 16 even bytes.
    static func renderFastOpen(_ p: UnsafeRawBufferPointer, _ cp: Int, _ datalen: Int, experimental: Bool,
                               _ out: OutputBuffer) {
        if experimental { out.append("tfo") }
        if datalen == 0 {
            out.append(" cookiereq")
        } else if datalen % 2 != 0 || datalen < 4 || datalen > 16 {
            out.append(" (invalid)")
        } else {
            out.append(" cookie ")
            for i in 0..<datalen { out.append(hexByte: p[cp + i]) }
        }
    }
}
