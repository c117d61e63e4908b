import ToyTCPDecode
import ToyTCPWire

/// A template with every expression evaluated: what `inject` builds a packet from and what `expect`
/// compares a packet against (`bytes(base:)` and `mismatches(_:)`, one field table for both).
public struct ResolvedTemplate: Sendable {
    public typealias Want<T: Hashable & Sendable> = FieldSlot<T>

    public enum Checksum: Sendable, Equatable {
        case right
        case wrong
        case value(UInt16)
    }

    public enum Option: Sendable, Equatable {
        case mss(Want<UInt16>)
        case windowScale(Want<UInt8>)
        case sackPermitted(Bool)
        case timestamps(Want<UInt32>, Want<UInt32>)
        case timestampsAbsent
        case sack([SACKBlock]?)
        case nop
        case eol
        case raw([UInt8])
    }

    public struct BuildError: Error {
        public var message: String
    }

    public var flags: TCPFlags?
    public var direction: Direction?
    public var source: Endpoint?
    public var destination: Endpoint?
    /// For `on NAME` without a direction: either way along this pair.
    public var eitherWay = false
    /// Field values in `HeaderField.all` order.
    public var fields: [(field: HeaderField, value: Int64)] = []
    public var ipChecksum: Checksum?
    public var tcpChecksum: Checksum?
    public var ipOptions: [UInt8]?
    public var options: [Option] = []
    public var noOptions = false
    public var payload: [UInt8]?
    /// Set by `absolute(seqBase:ackBase:)`: the bases, so mismatches show relative numbers too.
    var relativeBases: (seq: UInt32, ack: UInt32)?

    public init() {}

    // MARK: Building (inject)

    /// The packet's bytes: `base` (addresses and the connection's defaults) with every field of the
    /// template applied; options in the order written, raw ones byte for byte (a wrong length byte
    /// stays wrong); checksums right unless the template says otherwise.
    public func bytes(base: IPPacket) throws(BuildError) -> [UInt8] {
        var p = base
        if let flags { p.segment.flags = flags }
        // Without ACK the field carries nothing (RFC 9293 §3.1): zero unless the template sets it.
        if !p.segment.flags.contains(.ack) { p.segment.acknowledgmentNumber = 0 }
        for (f, v) in fields { f.write?(&p, v) }
        if let ipOptions {
            guard case .v4(var v4) = p else { throw BuildError(message: "ipopt is IPv4's (RFC 791 §3.1); IPv6 has extension headers") }
            v4.header.options = ipOptions
            p = .v4(v4)
        }
        var w = ByteWriter(capacity: 40)
        for o in options {
            switch o {
            case .mss(.value(let v)): TCPOption.mss(v).emit(into: &w)
            case .windowScale(.value(let v)): TCPOption.windowScale(v).emit(into: &w)
            case .sackPermitted(true): TCPOption.sackPermitted.emit(into: &w)
            case .timestamps(.value(let a), .value(let b)): TCPOption.timestamps(value: a, echoReply: b).emit(into: &w)
            case .sack(let blocks?): TCPOption.sack(blocks).emit(into: &w)
            case .nop: TCPOption.nop.emit(into: &w)
            case .eol: TCPOption.eol.emit(into: &w)
            case .raw(let b): w.write(contentsOf: b)
            default: break
            }
        }
        guard w.count <= 40 else {
            throw BuildError(message: "options take \(w.count) bytes; TCP allows at most 40 (RFC 9293 §3.1)")
        }
        // Options go out as written: as raw bytes after the (empty) parsed list.
        p.segment.options = []
        p.segment.optionPadding = w.bytes
        if let payload { p.segment.payload = payload }
        guard p.encodedLength <= 65535 else {
            throw BuildError(message: "the packet would be \(p.encodedLength) bytes; IP allows 65535")
        }
        var bytes = p.bytes()
        if p.isIPv6 {
            guard ipChecksum == nil else { throw BuildError(message: "ipcsum is IPv4's; IPv6 has no header checksum (RFC 8200 §3)") }
        } else {
            ResolvedTemplate.patch(&bytes, at: 10, ipChecksum)
        }
        ResolvedTemplate.patch(&bytes, at: p.ipHeaderLength + 16, tcpChecksum)
        return bytes
    }

    static func patch(_ bytes: inout [UInt8], at i: Int, _ c: Checksum?) {
        guard let c, i + 1 < bytes.count else { return }
        let right = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
        let v: UInt16
        switch c {
        case .right: return
        // 0x0000 and 0xffff are the same one's-complement zero: never turn one into the other.
        case .wrong: v = right == 0xFFFF || right == 0 ? 0x1234 : right &+ 1
        case .value(let x): v = x
        }
        bytes[i] = UInt8(v >> 8)
        bytes[i + 1] = UInt8(v & 0xFF)
    }

    /// The template with relative numbers made absolute (`set numbers relative`): `seqBase` is added to
    /// `seq`, `ackBase` to `ack` and to SACK edges (they acknowledge the other direction's bytes).
    public func absolute(seqBase: UInt32, ackBase: UInt32) -> ResolvedTemplate {
        var r = self
        r.relativeBases = (seqBase, ackBase)
        r.fields = fields.map { f, v in
            switch f.name {
            case "seq": return (f, Int64(UInt32(v) &+ seqBase))
            case "ack": return (f, Int64(UInt32(v) &+ ackBase))
            default: return (f, v)
            }
        }
        r.options = options.map { o in
            guard case .sack(let blocks?) = o else { return o }
            return .sack(blocks.map { SACKBlock(left: $0.left + Int(ackBase), right: $0.right + Int(ackBase)) })
        }
        return r
    }

    /// The sequence number the template sets, if it does.
    var sequenceValue: Int64? { fields.first { $0.field.name == "seq" }?.value }

    // MARK: Matching (expect)

    /// True if the segment travels where the template looks (direction and addresses); the rest of the
    /// fields are then compared by `mismatches`.
    public func isCandidate(_ packet: IPPacket, direction d: Direction) -> Bool {
        if let direction, direction != d { return false }
        let src = packet.sourceEndpoint
        let dst = packet.destinationEndpoint
        if let source, let destination {
            if src == source && dst == destination { return true }
            return eitherWay && src == destination && dst == source
        }
        if let source, src != source { return false }
        if let destination, dst != destination { return false }
        return true
    }

    /// The fields that differ, in header order, packetdrill-style (`ack: expected 1001 (0x3e9), got 1
    /// (0x1)`). Empty: it matches.
    /// The IPv4 forms, for callers written before IPv6 (the packetdrill runner).
    public func bytes(base: IPv4Packet) throws(BuildError) -> [UInt8] { try bytes(base: .v4(base)) }
    public func isCandidate(_ packet: IPv4Packet, direction d: Direction) -> Bool { isCandidate(.v4(packet), direction: d) }
    public func mismatches(_ packet: IPv4Packet) -> [String] { mismatches(.v4(packet)) }

    public func mismatches(_ packet: IPPacket) -> [String] {
        let s = packet.segment
        var out: [String] = []
        func num<T: BinaryInteger>(_ name: String, _ want: T, _ got: T) {
            guard want != got else { return }
            out.append("\(name): expected \(want) (0x\(String(want, radix: 16))), got \(got) (0x\(String(got, radix: 16)))")
        }
        if let flags, flags != s.flags { out.append("flags: expected [\(flags)], got [\(s.flags)]") }
        for (f, v) in fields {
            let got = f.read(packet)
            if let bases = relativeBases, f.name == "seq" || f.name == "ack", v != got {
                let base = f.name == "seq" ? bases.seq : bases.ack
                out.append("\(f.name): expected \(UInt32(v) &- base) (relative; \(v) absolute), got \(UInt32(got) &- base) (relative; \(got) absolute)")
                continue
            }
            num(f.name, v, got)
        }
        if ipChecksum != nil || tcpChecksum != nil {
            let right = packet.bytes()
            let hl = packet.ipHeaderLength
            func check(_ name: String, _ want: Checksum?, _ got: UInt16, _ at: Int) {
                guard let want, at + 1 < right.count else { return }
                let good = UInt16(right[at]) << 8 | UInt16(right[at + 1])
                switch want {
                case .right: if got != good { out.append("\(name): expected right (0x\(String(good, radix: 16))), got 0x\(String(got, radix: 16))") }
                case .wrong: if got == good { out.append("\(name): expected a wrong checksum, got the right one") }
                case .value(let x): num(name, x, got)
                }
            }
            if case .v4(let p) = packet {
                check("ipcsum", ipChecksum, p.header.headerChecksum, 10)
            } else if ipChecksum != nil {
                out.append("ipcsum: expected an IPv4 header checksum, got an IPv6 packet (no header checksum)")
            }
            check("csum", tcpChecksum, s.checksum, hl + 16)
        }
        if let ipOptions {
            let got: [UInt8] = if case .v4(let p) = packet { p.header.options } else { [] }
            if ipOptions != got {
                out.append("ipopt: expected \(ResolvedTemplate.hex(ipOptions)), got \(ResolvedTemplate.hex(got))")
            }
        }
        let opts = s.options
        if noOptions, !opts.filter({ $0 != .nop && $0 != .eol }).isEmpty {
            out.append("options: expected none, got [\(TcpdumpLine.optionsText(opts))]")
        }
        func want<T: BinaryInteger & Hashable & Sendable>(_ name: String, _ w: Want<T>, _ got: T?) {
            switch (w, got) {
            case (.value(let v), let g?): num(name, v, g)
            case (.value(let v), nil): out.append("\(name): expected \(v), got no \(name) option")
            case (.any, nil): out.append("\(name): expected the option, got none")
            case (.absent, let g?): out.append("\(name): expected no \(name) option, got \(g)")
            default: break
            }
        }
        for o in options {
            switch o {
            case .mss(let w): want("mss", w, opts.mss)
            case .windowScale(let w): want("wscale", w, opts.windowScale)
            case .sackPermitted(let present):
                if present != opts.sackPermitted {
                    out.append(present ? "sackOK: expected, got no sackOK option" : "sackOK: expected none, got sackOK")
                }
            case .timestamps(let a, let b):
                if let ts = opts.timestamps {
                    want("TS val", a, ts.value)
                    want("TS ecr", b, ts.echoReply)
                } else {
                    out.append("TS: expected timestamps, got no TS option")
                }
            case .timestampsAbsent:
                if let ts = opts.timestamps { out.append("TS: expected none, got TS val \(ts.value) ecr \(ts.echoReply)") }
            case .sack(let blocks):
                let got = opts.sackBlocks
                let text: ([SACKBlock]) -> String = { $0.map { "{\($0.left):\($0.right)}" }.joined() }
                switch (blocks, got) {
                case (let b?, let g?): if b != g { out.append("sack: expected \(text(b)), got \(text(g))") }
                case (let b?, nil): out.append("sack: expected \(text(b)), got no SACK option")
                case (nil, let g?): out.append("sack: expected none, got \(text(g))")
                case (nil, nil): break
                }
            case .raw(let b):
                var w = ByteWriter(capacity: 40)
                for o in opts { o.emit(into: &w) }
                w.write(contentsOf: s.optionPadding)
                if !ResolvedTemplate.contains(w.bytes, b) {
                    out.append("opt: expected \(ResolvedTemplate.hex(b)) among the options, got \(ResolvedTemplate.hex(w.bytes))")
                }
            case .nop, .eol: break
            }
        }
        if let payload, payload != s.payload {
            out.append("payload: expected \(Value.quote(payload)), got \(Value.quote(s.payload))")
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = "0x"
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return s
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return true }
        return false
    }

    /// The template written as tcpdump would print a matching segment, `*` for what is left open, and
    /// the other fields as `name=value`.
    public var tcpdumpLine: String {
        var line = source?.ip.isIPv6 == true || destination?.ip.isIPv6 == true ? "IP6 " : "IP "
        line += source.map { "\($0.ip).\($0.port)" } ?? "*"
        line += " > "
        line += destination.map { "\($0.ip).\($0.port)" } ?? "*"
        line += ": Flags [\(flags.map { $0.description } ?? "*")]"
        let value = Dictionary(fields.map { ($0.field.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        if let seq = value["seq"] {
            if let length = value["len"], length > 0 { line += ", seq \(seq):\(UInt32(seq) &+ UInt32(truncatingIfNeeded: length))" }
            else { line += ", seq \(seq)" }
        }
        if let ack = value["ack"] { line += ", ack \(ack)" }
        line += ", win " + (value["win"].map { String($0) } ?? "*")
        if let urg = value["urg"] { line += ", urg \(urg)" }
        var o: [String] = []
        func w<T>(_ x: Want<T>) -> String {
            switch x { case .value(let v): return "\(v)"; case .any: return "*"; case .absent: return "none" }
        }
        for opt in options {
            switch opt {
            case .mss(let x): o.append("mss \(w(x))")
            case .windowScale(let x): o.append("wscale \(w(x))")
            case .sackPermitted(let p): o.append(p ? "sackOK" : "no sackOK")
            case .timestamps(let a, let b): o.append("TS val \(w(a)) ecr \(w(b))")
            case .timestampsAbsent: o.append("no TS")
            case .sack(let b?): o.append("sack \(b.count) " + b.map { "{\($0.left):\($0.right)}" }.joined())
            case .sack(nil): o.append("no sack")
            case .nop: o.append("nop")
            case .eol: o.append("eol")
            case .raw(let b): o.append("opt \(ResolvedTemplate.hex(b))")
            }
        }
        if !o.isEmpty { line += ", options [\(o.joined(separator: ","))]" }
        if noOptions { line += ", options []" }
        line += ", length " + (value["len"].map { String($0) } ?? payload.map { String($0.count) } ?? "*")
        let shown: Set<String> = ["seq", "ack", "win", "urg", "len"]
        for (f, v) in fields where !shown.contains(f.name) { line += " \(f.name)=\(v)" }
        return line
    }
}
