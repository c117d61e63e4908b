import ToyTCPWire

/// The TCP header box of RFC 9293 §3.1 with the segment's own values written in each field, for
/// reading a segment the way the RFC draws it.
///
/// Under the box: the data offset and flags spelled out, the checksum verdict (verified over the
/// IPv4 pseudo-header), each option decoded on its own line with its kind and length, and the
/// payload length with a short printable preview. A line above the box gives the IPv4 header; for IPv6
/// the RFC 8200 §3 header box comes first, with a row per extension header.
/// Malformed packets get the box as far as the bytes allow and a line saying what is wrong.
public enum HeaderDiagram {
    static let ruler1: StaticString = "    0                   1                   2                   3\n"
    static let ruler2: StaticString = "    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n"
    static let border: StaticString = "   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+\n"

    /// Appends the diagram of one IPv4 packet (`packet` starts at the IPv4 header; `wireLength` is
    /// its length on the wire, more than `packet.count` when the capture was cut short).
    public static func render(_ packet: UnsafeRawBufferPointer, wireLength: Int? = nil, into out: OutputBuffer) {
        if packet.first.map({ $0 >> 4 }) == 6 {
            renderIPv6(packet, into: out)
            return
        }
        let ip: IPv4HeaderView
        do {
            ip = try IPv4HeaderView(validating: packet, allowTruncatedPayload: true)
        } catch {
            out.append("   malformed IPv4 header: ")
            out.append(string: error.description)
            out.append(0x0A)
            return
        }
        renderIPv4Summary(ip, out)
        if ip.protocol != 6 {
            out.append("   not TCP: IPv4 protocol ")
            out.append(decimal: UInt64(ip.protocol))
            out.append(0x0A)
            return
        }
        if ip.fragmentOffset != 0 {
            out.append("   a non-first fragment (offset ")
            out.append(decimal: UInt64(ip.fragmentOffset) * 8)
            out.append(" bytes): the TCP header is in the first fragment\n")
            return
        }
        let segmentBytes = ip.payload
        let tcp: TCPHeaderView
        do {
            tcp = try TCPHeaderView(validating: segmentBytes, baseOffset: ip.headerLength)
        } catch {
            out.append("   malformed TCP header: ")
            out.append(string: error.description)
            out.append(0x0A)
            return
        }
        let word: String
        if ip.isTruncated { word = " (not verified)" }
        else { word = tcp.isChecksumValid(source: ip.source, destination: ip.destination) ? " (correct)" : " (incorrect)" }
        renderBox(tcp, checksumWord: word, out)
        renderDetails(tcp, pseudoHeader: TCPPseudoHeader(source: ip.source, destination: ip.destination),
                      truncated: ip.isTruncated, captured: ip.payload.count, declared: ip.totalLength - ip.headerLength, out)
    }

    /// The IPv6 header box of RFC 8200 §3 with the packet's values, a row per extension header
    /// (RFC 8200 §4), then the TCP box as for IPv4 with the checksum verified over the IPv6
    /// pseudo-header (RFC 8200 §8.1: the final destination of a routing header).
    static func renderIPv6(_ packet: UnsafeRawBufferPointer, into out: OutputBuffer) {
        let ip: IPv6HeaderView
        do {
            ip = try IPv6HeaderView(validating: packet, allowTruncatedPayload: true)
        } catch {
            out.append("   malformed IPv6 header: ")
            out.append(string: error.description)
            out.append(0x0A)
            return
        }
        let tc = ip.trafficClass
        out.append("   IPv6 ")
        out.append(string: ip.source.description)
        out.append(" > ")
        out.append(string: ip.destination.description)
        out.append(": hop limit ")
        out.append(decimal: UInt64(ip.hopLimit))
        out.append(", traffic class 0x")
        out.append(hexByte: tc)
        out.append(string: " (DSCP \(tc >> 2), ECN \(tc & 3)), flow label 0x")
        out.append(hex: UInt64(ip.flowLabel), width: 5)
        out.append(", payload length ")
        out.append(decimal: UInt64(ip.payloadLength))
        out.append(0x0A)
        out.append(ruler1)
        out.append(ruler2)
        out.append(border)
        row([(4, "Version"), (8, "Traffic Class"), (20, "Flow Label")], out)
        row([(4, "6"), (8, "0x" + hex2(tc)), (20, "0x" + String(ip.flowLabel, radix: 16))], out)
        out.append(border)
        row([(16, "Payload Length"), (8, "Next Header"), (8, "Hop Limit")], out)
        row([(16, String(ip.payloadLength)), (8, String(ip.nextHeader)), (8, String(ip.hopLimit))], out)
        out.append(border)
        row([(32, "Source Address")], out)
        row([(32, ip.source.description)], out)
        out.append(border)
        row([(32, "Destination Address")], out)
        row([(32, ip.destination.description)], out)
        out.append(border)
        var offset = 40
        var type = ip.nextHeader
        while offset < ip.upperLayerOffset {
            let length: Int
            if type == IPv6NextHeader.fragment { length = 8 }
            else if type == IPv6NextHeader.authentication { length = (Int(ip.bytes[offset + 1]) + 2) * 4 }
            else { length = (Int(ip.bytes[offset + 1]) + 1) * 8 }
            var text = "\(IPv6ExtensionHeader.name(type)) (\(type)), \(length) bytes"
            if type == IPv6NextHeader.routing {
                text += ", type \(ip.bytes[offset + 2]), segments left \(ip.bytes[offset + 3])"
            } else if type == IPv6NextHeader.fragment, let f = ip.fragment {
                text += ", offset \(f.offset)\(f.moreFragments ? ", M" : ""), id 0x\(String(f.identification, radix: 16))"
            }
            wideRow(text, out)
            type = ip.bytes[offset]
            offset += length
        }
        if ip.extensionHeaderCount > 0 { out.append(border) }
        if let f = ip.fragment, f.offset != 0 {
            out.append("   a non-first fragment (offset ")
            out.append(decimal: UInt64(f.offset))
            out.append(" bytes): the TCP header is in the first fragment\n")
            return
        }
        guard ip.upperLayerProtocol == IPv6NextHeader.tcp else {
            out.append("   not TCP: IPv6 next header ")
            out.append(decimal: UInt64(ip.upperLayerProtocol))
            out.append(0x0A)
            return
        }
        let tcp: TCPHeaderView
        do {
            tcp = try TCPHeaderView(validating: ip.payload, baseOffset: ip.upperLayerOffset)
        } catch {
            out.append("   malformed TCP header: ")
            out.append(string: error.description)
            out.append(0x0A)
            return
        }
        let pseudoHeader = TCPPseudoHeader(source: ip.source, destination: ip.finalDestination)
        let word = ip.isTruncated ? " (not verified)" : (tcp.isChecksumValid(pseudoHeader) ? " (correct)" : " (incorrect)")
        renderBox(tcp, checksumWord: word, out)
        renderDetails(tcp, pseudoHeader: pseudoHeader, truncated: ip.isTruncated, captured: ip.payload.count,
                      declared: 40 + ip.payloadLength - ip.upperLayerOffset, out)
    }

    static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// The diagram as a string (tests, the REPL).
    public static func string(_ packet: [UInt8]) -> String {
        let out = OutputBuffer()
        packet.withUnsafeBytes { render($0, into: out) }
        return out.string
    }

    // MARK: Pieces

    static func renderIPv4Summary(_ ip: IPv4HeaderView, _ out: OutputBuffer) {
        out.append("   IPv4 ")
        out.append(string: ip.source.description)
        out.append(" > ")
        out.append(string: ip.destination.description)
        out.append(": ttl ")
        out.append(decimal: UInt64(ip.ttl))
        out.append(", id ")
        out.append(decimal: UInt64(ip.identification))
        if ip.dontFragment { out.append(", DF") }
        if ip.moreFragments { out.append(", MF") }
        if ip.tos != 0 {
            out.append(", tos 0x")
            out.append(hexByte: ip.tos)
        }
        out.append(", total length ")
        out.append(decimal: UInt64(ip.totalLength))
        out.append(", header ")
        out.append(decimal: UInt64(ip.headerLength))
        out.append(" bytes")
        if ip.headerLength > 20 { out.append(" (with IP options)") }
        out.append(", header checksum ")
        if ip.isHeaderChecksumValid {
            out.append("correct\n")
        } else {
            out.append("incorrect (should be 0x")
            out.append(hex: UInt64(ip.expectedHeaderChecksum), width: 4)
            out.append(")\n")
        }
    }

    /// One row of the box: fields given as (width in bits, text), each text centred in its columns.
    static func row(_ fields: [(Int, String)], _ out: OutputBuffer) {
        out.append("   |")
        for (bits, text) in fields {
            let width = bits * 2 - 1
            let t = text.utf8.count > width ? String(text.utf8.prefix(width))! : text
            let pad = width - t.utf8.count
            out.append(repeating: 0x20, count: pad / 2)
            out.append(string: t)
            out.append(repeating: 0x20, count: pad - pad / 2)
            out.append(0x7C)
        }
        out.append(0x0A)
    }

    /// A full-width row with `text` left-aligned (options, data).
    static func wideRow(_ text: String, _ out: OutputBuffer) {
        out.append("   | ")
        let t = text.count > 61 ? String(text.prefix(60)) + "…" : text
        out.append(string: t)
        out.append(repeating: 0x20, count: 62 - t.count)
        out.append("|\n")
    }

    static func renderBox(_ tcp: TCPHeaderView, checksumWord: String, _ out: OutputBuffer) {
        let flags = tcp.flags
        out.append(ruler1)
        out.append(ruler2)
        out.append(border)
        row([(16, "Source Port"), (16, "Destination Port")], out)
        row([(16, String(tcp.sourcePort)), (16, String(tcp.destinationPort))], out)
        out.append(border)
        row([(32, "Sequence Number")], out)
        row([(32, String(tcp.sequenceNumber.rawValue))], out)
        out.append(border)
        row([(32, "Acknowledgment Number")], out)
        let ackText = String(tcp.acknowledgmentNumber.rawValue) + (flags.contains(.ack) ? "" : " (ACK not set: ignored)")
        row([(32, ackText)], out)
        out.append(border)
        // Data offset (4 bits) | Rsrvd (4 bits, the lowest being AE) | 8 flag columns | Window (16).
        out.append("   |  Data |       |C|E|U|A|P|R|S|F|                               |\n")
        out.append("   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |\n")
        out.append("   |       |       |R|E|G|K|H|T|N|N|                               |\n")
        var bits = ""
        let reservedBits = UInt16(tcp.reserved) << 1 | (flags.contains(.ae) ? 1 : 0)
        for i in (0..<4).reversed() { bits += (reservedBits >> UInt16(i)) & 1 == 1 ? "1" : "0" }
        var flagRow: [(Int, String)] = [(4, String(tcp.dataOffset)), (4, bits)]
        for flag in [TCPFlags.cwr, .ece, .urg, .ack, .psh, .rst, .syn, .fin] {
            flagRow.append((1, flags.contains(flag) ? "1" : "0"))
        }
        flagRow.append((16, String(tcp.window)))
        row(flagRow, out)
        out.append(border)
        row([(16, "Checksum"), (16, "Urgent Pointer")], out)
        row([(16, "0x" + hex4(tcp.checksum) + checksumWord), (16, String(tcp.urgentPointer))], out)
        out.append(border)
        if tcp.headerLength > 20 {
            var options = tcp.options
            var any = false
            while let option = options.next() {
                any = true
                wideRow(describe(option), out)
            }
            let padding = options.remainingBytes
            if padding.count > 0 && !isMalformedEnd(tcp) {
                wideRow("padding: \(padding.count) byte\(padding.count == 1 ? "" : "s") after eol", out)
            }
            if !any { wideRow("(no options)", out) }
            out.append(border)
        }
        let payload = tcp.payload
        if payload.count > 0 {
            wideRow("data: \(payload.count) byte\(payload.count == 1 ? "" : "s") \(preview(payload))", out)
            out.append(border)
        }
    }

    static func isMalformedEnd(_ tcp: TCPHeaderView) -> Bool { tcp.options.firstError != nil }

    /// `captured` and `declared`: the segment's bytes in the capture and per the IP header.
    static func renderDetails(_ tcp: TCPHeaderView, pseudoHeader: TCPPseudoHeader, truncated: Bool,
                              captured: Int, declared: Int, _ out: OutputBuffer) {
        out.append("   Data offset ")
        out.append(decimal: UInt64(tcp.dataOffset))
        out.append(" words = ")
        out.append(decimal: UInt64(tcp.headerLength))
        out.append(" bytes of header; flags ")
        out.append(string: flagNames(tcp.flags))
        out.append(" [")
        out.append(string: tcp.flags.description)
        out.append("]; window ")
        out.append(decimal: UInt64(tcp.window))
        out.append(" (as carried, before any window scaling)\n")
        out.append("   Checksum 0x")
        out.append(hex: UInt64(tcp.checksum), width: 4)
        if truncated {
            out.append(": cannot verify, the capture holds ")
            out.append(decimal: UInt64(captured))
            out.append(" of the segment's ")
            out.append(decimal: UInt64(declared))
            out.append(" bytes\n")
        } else if tcp.isChecksumValid(pseudoHeader) {
            out.append(": correct\n")
        } else {
            out.append(": incorrect (should be 0x")
            out.append(hex: UInt64(tcp.expectedChecksum(pseudoHeader)), width: 4)
            out.append(")\n")
        }
        if tcp.flags.contains(.urg) {
            out.append("   Urgent pointer ")
            out.append(decimal: UInt64(tcp.urgentPointer))
            out.append(": urgent data ends at sequence number ")
            out.append(decimal: UInt64(tcp.sequenceNumber.rawValue &+ UInt32(tcp.urgentPointer)))
            out.append(" (RFC 9293 §3.8.5)\n")
        }
        out.append("   Payload ")
        out.append(decimal: UInt64(tcp.payload.count))
        out.append(" bytes; the segment occupies ")
        out.append(decimal: UInt64(tcp.sequenceLength))
        out.append(" sequence number")
        out.append(tcp.sequenceLength == 1 ? "" : "s")
        if tcp.sequenceLength > 0 {
            out.append(" (")
            out.append(decimal: UInt64(tcp.sequenceNumber.rawValue))
            out.append(" to ")
            out.append(decimal: UInt64(tcp.sequenceNumber.rawValue &+ UInt32(tcp.sequenceLength) &- 1))
            out.append(")")
        }
        out.append(0x0A)
    }

    static func flagNames(_ f: TCPFlags) -> String {
        var names: [String] = []
        for (flag, name) in [(TCPFlags.cwr, "CWR"), (.ece, "ECE"), (.urg, "URG"), (.ack, "ACK"), (.psh, "PSH"),
                             (.rst, "RST"), (.syn, "SYN"), (.fin, "FIN"), (.ae, "AE")] where f.contains(flag) {
            names.append(name)
        }
        return names.isEmpty ? "none" : names.joined(separator: " ")
    }

    /// One option, decoded: what tcpdump would call it, then its kind, length and meaning.
    static func describe(_ option: TCPOptionView) -> String {
        let (name, detail): (String, String)
        switch option {
        case .eol: (name, detail) = ("eol", "kind 0: end of option list")
        case .nop: (name, detail) = ("nop", "kind 1: no-operation (padding)")
        case .mss(let v): (name, detail) = ("mss \(v)", "kind 2, len 4: maximum segment size")
        case .windowScale(let s):
            (name, detail) = ("wscale \(s)", "kind 3, len 3: window scale, x\(s <= 14 ? String(1 << s) : "16384 (capped at 14)")")
        case .sackPermitted: (name, detail) = ("sackOK", "kind 4, len 2: SACK permitted")
        case .sack(let blocks):
            let edges = blocks.map { "{\($0.left.rawValue):\($0.right.rawValue)}" }.joined()
            (name, detail) = ("sack \(blocks.count) \(edges)", "kind 5, len \(2 + 8 * blocks.count): SACK blocks")
        case .timestamps(let value, let echo):
            (name, detail) = ("TS val \(value) ecr \(echo)", "kind 8, len 10: timestamps")
        case .unknown(let kind, let data):
            var hex = ""
            for b in data.prefix(12) { hex += hex2(b) }
            if data.count > 12 { hex += "…" }
            (name, detail) = ("\(knownName(kind))\(data.isEmpty ? "" : " 0x" + hex)",
                              "kind \(kind), len \(data.count + 2)" + (isFixedLength(kind) ? ": wrong length for this kind" : ""))
        case .malformed(let error): return "[bad opt] " + error.description
        }
        return name.padded(16) + detail
    }

    static func knownName(_ kind: UInt8) -> String {
        switch kind {
        case 2: return "mss"
        case 3: return "wscale"
        case 4: return "sackOK"
        case 5: return "sack"
        case 8: return "TS"
        case 19: return "md5"
        case 28: return "uto"
        case 29: return "tcp-ao"
        case 30: return "mptcp"
        case 34: return "tfo"
        case 253, 254: return "exp"
        default: return "unknown-\(kind)"
        }
    }

    static func isFixedLength(_ kind: UInt8) -> Bool { [2, 3, 4, 5, 8].contains(kind) }

    /// Up to 40 bytes, printable ASCII as is and everything else as `.`, in quotes.
    static func preview(_ payload: UnsafeRawBufferPointer) -> String {
        var s = "\""
        for b in payload.prefix(40) {
            s.append(b >= 0x20 && b < 0x7F ? Character(Unicode.Scalar(b)) : ".")
        }
        s += payload.count > 40 ? "\"…" : "\""
        return s
    }
}

func hex4(_ v: UInt16) -> String { hex2(UInt8(v >> 8)) + hex2(UInt8(v & 0xFF)) }

func hex2(_ b: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}

extension String {
    func padded(_ width: Int) -> String {
        let n = count
        return n >= width ? self + " " : self + String(repeating: " ", count: width - n)
    }
}
