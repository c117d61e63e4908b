import ToyTCPWire

/// The crafted packets of the golden tests: every flag combination, every option kind tcpdump knows
/// (and unknown ones), SACK, conversations for relative numbering in both key orders, truncated
/// captures at every layer, bad header lengths, bad options, IP options and fragments.
enum GoldenCorpus {
    static func packets() -> [CraftedPacket] {
        var out: [CraftedPacket] = []
        func add(_ p: [UInt8]) { out.append(CraftedPacket(p)) }
        let a = Craft.a, b = Craft.b

        // A conversation: handshake with options, data, SACK, FIN, RST (RFC 9293 §3.5, RFC 2018).
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 1_815_885_635, flags: [.syn], window: 64240,
                         options: [.mss(1460), .sackPermitted, .timestamps(value: 2_581_156_742, echoReply: 0), .nop, .windowScale(7)]))
        add(Craft.packet(b, a, sport: 40000, dport: 50467, seq: 3_000_000_000, ack: 1_815_885_636, flags: [.syn, .ack], window: 65160,
                         options: [.mss(1400), .sackPermitted, .timestamps(value: 1, echoReply: 2_581_156_742), .nop, .windowScale(9)]))
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 1_815_885_636, ack: 3_000_000_001, flags: [.ack], window: 502))
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 1_815_885_636, ack: 3_000_000_001, flags: [.psh, .ack], window: 502,
                         payload: Array("hello, world\n".utf8)))
        add(Craft.packet(b, a, sport: 40000, dport: 50467, seq: 3_000_000_001, ack: 1_815_885_649, flags: [.ack], window: 509,
                         options: [.nop, .nop, .sack([SACKBlock(left: 1_815_886_649, right: 1_815_887_649)])]))
        add(Craft.packet(b, a, sport: 40000, dport: 50467, seq: 3_000_000_001, ack: 1_815_885_649, flags: [.ack], window: 509,
                         options: [.nop, .nop, .sack([SACKBlock(left: 1_815_886_649, right: 1_815_887_649),
                                                       SACKBlock(left: 1_815_888_649, right: 1_815_889_649),
                                                       SACKBlock(left: 1_815_890_649, right: 1_815_891_649)])]))
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 1_815_885_649, ack: 3_000_000_001, flags: [.fin, .ack], window: 502))
        add(Craft.packet(b, a, sport: 40000, dport: 50467, seq: 3_000_000_001, ack: 1_815_885_650, flags: [.fin, .ack], window: 509))
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 1_815_885_650, ack: 3_000_000_002, flags: [.ack], window: 502))
        add(Craft.packet(a, b, sport: 50467, dport: 40001, seq: 77, flags: [.syn], window: 64240))
        add(Craft.packet(b, a, sport: 40001, dport: 50467, seq: 0, ack: 78, flags: [.rst, .ack], window: 0))
        // Equal ports: the conversation key orders by address.
        add(Craft.packet(b, a, sport: 7000, dport: 7000, seq: 500, ack: 900, flags: [.ack]))
        add(Craft.packet(a, b, sport: 7000, dport: 7000, seq: 900, ack: 600, flags: [.psh, .ack], payload: [1, 2, 3]))
        add(Craft.packet(b, a, sport: 7000, dport: 7000, seq: 600, ack: 903, flags: [.ack]))
        // A SYN over a known conversation records new bases.
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 5, ack: 10, flags: [.syn, .ack]))
        add(Craft.packet(a, b, sport: 50467, dport: 40000, seq: 6, ack: 11, flags: [.ack], payload: [0x41]))

        // Every combination of the eight flags, with and without payload, with URG pointers.
        for bits in 0..<256 {
            let flags = TCPFlags(rawValue: UInt16(bits))
            add(Craft.packet(sport: 20000 + UInt16(bits), dport: 30000, seq: UInt32(bits) * 1000, ack: UInt32(bits) * 7,
                             flags: flags, window: UInt16(bits) * 100, urgent: UInt16(bits),
                             payload: bits % 3 == 0 ? [] : Array(repeating: UInt8(bits), count: bits % 7)))
        }
        // The AE bit (tcpdump 4.99 does not print it).
        add(Craft.packet(ack: 5, flags: [.ae, .ack]))

        // Every option kind tcpdump names, valid, and with lengths it complains about.
        let kinds: [[UInt8]] = [
            [0], [1, 0], [2, 4, 5, 0xB4], [3, 3, 14], [4, 2], [5, 2], [5, 10, 0, 0, 0, 1, 0, 0, 0, 2],
            [6, 6, 0, 0, 0, 9], [7, 6, 0, 0, 0, 9], [8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
            [11, 6, 0, 0, 1, 0], [12, 6, 0, 1, 0, 0], [13, 6, 1, 0, 0, 0],
            [19, 18] + Array(0..<16), [20, 4, 0xAB, 7], [28, 4, 0x01, 0x2D], [28, 4, 0x01, 0x2C],
            [29, 4, 1, 2], [29, 8, 1, 2, 0xDE, 0xAD, 0xBE, 0xEF], [29, 3, 0],
            [30, 12, 0x00, 0x81] + [0, 1, 2, 3, 4, 5, 6, 7], [30, 4, 0x00, 0x01],
            [30, 8, 0x20, 0x05, 0, 0, 0, 9], [30, 4, 0x40, 0], [30, 3, 0x51], [30, 12, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 5],
            [34, 2], [34, 10, 1, 2, 3, 4, 5, 6, 7, 8], [34, 5, 1, 2, 3],
            [254, 4, 0xF9, 0x89], [254, 8, 0xF9, 0x89, 9, 8, 7, 6], [254, 6, 0x12, 0x34, 0, 0],
            [99, 2], [99, 5, 0xAA, 0xBB, 0xCC], [253, 4, 1, 2], [200, 2],
            // Lengths that disagree with the kind: [len N].
            [2, 3, 5, 1, 1], [3, 4, 7, 0], [4, 3, 0, 1], [8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0],
            // Malformed lists: [bad opt].
            [2, 0, 5, 0xB4], [2, 1, 5, 0xB4], [8, 40, 0, 0], [1, 1, 2], [5, 7, 0, 0, 0, 1, 0],
            [1, 2, 4, 5, 0xB4, 0x01, 0x03, 0x03],
            // Options after EOL are not printed.
            [0, 2, 4, 5, 0xB4],
        ]
        for (i, raw) in kinds.enumerated() {
            add(Craft.withRawOptions(raw, flags: i % 2 == 0 ? [.ack] : [.syn], payload: i % 3 == 0 ? [0x61, 0x62] : [],
                                     seq: UInt32(10_000 + i), ack: UInt32(20_000 + i)))
        }
        // Each wire-layer option through the crafter, in one list.
        add(Craft.packet(seq: 1, ack: 1, flags: [.syn, .ack], options: [.mss(536), .nop, .windowScale(0), .sackPermitted,
                                                                        .timestamps(value: .max, echoReply: 0), .eol]))
        add(Craft.packet(seq: 1, ack: 1, flags: [.ack], options: [.unknown(kind: 77, data: [1, 2, 3, 4, 5, 6])]))

        // Bad data offsets: too short, and longer than the segment.
        for offset: UInt8 in [0, 1, 4, 6, 15] {
            var p = Craft.packet(seq: 1, ack: 2, flags: [.ack], payload: [9, 9, 9, 9])
            p[32] = offset << 4
            add(p)
        }

        // IP options (not printed without -v), a first fragment with MF, non-first fragments.
        add(Craft.packet(flags: [.syn], ipOptions: [1, 1, 1, 0, 7, 7, 4, 0, 0, 0, 0, 0]))
        add(Craft.packet(ack: 9, flags: [.ack], payload: [1, 2, 3], moreFragments: true))
        add(Craft.packet(ack: 9, flags: [.ack], payload: [1, 2, 3], fragmentOffset: 185))
        add(Craft.packet(ack: 9, flags: [.ack], payload: [1, 2, 3], moreFragments: true, fragmentOffset: 1))

        // IPv4 total length lying: longer than the packet (truncated-ip), shorter than the header.
        for total in [0, 19, 20, 30, 44, 60, 1500] {
            var p = Craft.packet(ack: 4, flags: [.psh, .ack], payload: [1, 2, 3, 4])
            p[2] = UInt8(total >> 8); p[3] = UInt8(total & 0xFF)
            add(p)
        }
        // IHL below 5.
        var badIHL = Craft.packet(ack: 4, flags: [.ack])
        badIHL[0] = 0x44
        add(badIHL)

        // Captures cut at every byte of a packet with IP options, TCP options and payload.
        let full = Craft.packet(seq: 42, ack: 43, flags: [.psh, .ack],
                                options: [.mss(1460), .nop, .windowScale(3), .sackPermitted, .timestamps(value: 7, echoReply: 8), .nop, .nop,
                                          .sack([SACKBlock(left: 1, right: 2)])],
                                payload: Array("truncated".utf8), ipOptions: [1, 1, 1, 0])
        for cut in 1..<full.count {
            out.append(CraftedPacket(cut: full, at: cut))
        }
        // Text protocols tcpdump dissects by port (HTTP, SMTP, FTP, RTSP, WHOIS, SSH banners), incomplete
        // lines, binary payloads and cut captures.
        let texts: [(UInt16, String)] = [
            (80, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"), (80, "HTTP/1.1 200 OK\r\n"), (80, "\u{16}\u{03}binary"),
            (80, "GET"), (8080, "post /a HTTP/1.0\n"), (80, "continuation of a body\r\n"), (22, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
            (22, "SSH-2.0-no-line-end"), (22, "\u{0}\u{0}\u{1}"), (25, "EHLO example.com\r\n"), (25, "220 mail ESMTP\r\n"),
            (21, "USER anonymous\r\n"), (21, "bad\rline"), (554, "OPTIONS rtsp://x RTSP/1.0\r\n"), (8554, "RTSP/1.0 200 OK\r\n"),
            (43, "example.com\r\n"), (80, "GET\t/tab HTTP/1.1\r\n"),
        ]
        for (i, (port, text)) in texts.enumerated() {
            let bytes = Array(text.utf8)
            let p = Craft.packet(sport: i % 2 == 0 ? 40123 : port, dport: i % 2 == 0 ? port : 40123, seq: 5, ack: 6,
                                 flags: [.psh, .ack], payload: bytes)
            add(p)
            if bytes.count > 4 { out.append(CraftedPacket(cut: p, at: p.count - 3)) }
        }
        let md5 = Craft.withRawOptions([19, 18] + Array(repeating: 0xA5, count: 16), payload: [1, 2, 3, 4, 5])
        out.append(CraftedPacket(cut: md5, at: md5.count - 2))
        return out
    }
}
