import ToyTCPScript
import ToyTCPWire

/// One TCP connection of a script: its live addresses and the two sequence-space offsets packetdrill
/// numbers segments by (the script writes sequence numbers relative to each side's ISN).
public struct PktConnection: Sendable {
    public var local: Endpoint
    public var remote: Endpoint
    /// The kernel's ISN, learned from its SYN or SYN-ACK; nil until then.
    public var localISN: UInt32?
    /// The ISN the script writes on the kernel's SYN (`> S. 1234:1234(0)`); its other sequence
    /// numbers are relative to the live ISN.
    public var scriptLocalISN: UInt32 = 0
    /// The remote ISN: the sequence number of the script's inbound SYN or SYN-ACK, which is written
    /// absolute; the script's other inbound sequence numbers are relative to it.
    public var remoteISN: UInt32 = 0
    public var sawInboundNonSYN = false
    public var clientSide = false
}

extension PktPacket {
    /// Flags as `TCPFlags` (packetdrill letters: `.` is ACK, `E` ECE, `W` CWR, `A` AE, `-` none).
    var tcpFlags: TCPFlags {
        var f: TCPFlags = []
        for c in flags {
            switch c {
            case "S": f.insert(.syn)
            case "F": f.insert(.fin)
            case "R": f.insert(.rst)
            case "P": f.insert(.psh)
            case ".": f.insert(.ack)
            case "U": f.insert(.urg)
            case "E": f.insert(.ece)
            case "W": f.insert(.cwr)
            case "A": f.insert(.ae)
            default: break
            }
        }
        if let ace {
            if ace & 4 != 0 { f.insert(.ae) }
            if ace & 2 != 0 { f.insert(.cwr) }
            if ace & 1 != 0 { f.insert(.ece) }
        }
        return f
    }

    static let ecnValues: [String: Int64] = ["noecn": 0, "ect1": 1, "ect0": 2, "ce": 3]

    /// The template `expect` matches with, in the script's relative sequence space: compared against
    /// `relative(_:)` of the live packet by `ResolvedTemplate.mismatches`.
    func outboundTemplate() -> ResolvedTemplate {
        var t = ResolvedTemplate()
        t.flags = tcpFlags
        var fields: [(String, Int64)] = [("seq", Int64(seq))]
        if let ack { fields.append(("ack", Int64(ack))) }
        if let window { fields.append(("win", Int64(window))) }
        if let urgent { fields.append(("urg", Int64(urgent))) }
        fields.append(("len", Int64(length)))
        if let ecn, let v = PktPacket.ecnValues[ecn] { fields.append(("ecn", v)) }
        let order = HeaderField.all.map(\.name)
        fields.sort { (order.firstIndex(of: $0.0) ?? 99) < (order.firstIndex(of: $1.0) ?? 99) }
        t.fields = fields.compactMap { f in HeaderField.byName[f.0].map { ($0, f.1) } }
        if let options {
            t.options = options.compactMap { o -> ResolvedTemplate.Option? in
                switch o {
                case .mss(let v): return .mss(.value(v))
                case .wscale(let v): return .windowScale(.value(v))
                case .sackOK: return .sackPermitted(true)
                // packetdrill does not compare the kernel's TS values (its clock is its own).
                case .timestamps: return .timestamps(.any, .any)
                case .sack(let blocks): return .sack(blocks.map { SACKBlock(left: SequenceNumber($0.0), right: SequenceNumber($0.1)) })
                case .fastOpen: return .raw(o.fastOpenBytes)
                case .md5(let d): return .raw([19, 18] + d)
                case .accECN: return .raw(o.accECNBytes)
                case .nop, .eol, .ellipsis: return nil
                }
            }
        } else {
            t.noOptions = true
        }
        return t
    }

    /// Option kinds the live packet carries that the script did not write (and no `...`): packetdrill
    /// compares the whole option list.
    func unexpectedOptions(in live: TCPSegment) -> [String] {
        guard let options, !options.contains(.ellipsis) else { return [] }
        var wanted: Set<UInt8> = []
        for o in options {
            switch o {
            case .mss: wanted.insert(2)
            case .wscale: wanted.insert(3)
            case .sackOK: wanted.insert(4)
            case .sack: wanted.insert(5)
            case .timestamps: wanted.insert(8)
            case .fastOpen(_, let exp): wanted.insert(exp ? 254 : 34)
            case .md5: wanted.insert(19)
            case .accECN(let o1, _): wanted.insert(o1 ? 174 : 172)
            default: break
            }
        }
        var out: [String] = []
        for o in live.options {
            let (kind, name): (UInt8, String)
            switch o {
            case .mss(let v): (kind, name) = (2, "mss \(v)")
            case .windowScale(let v): (kind, name) = (3, "wscale \(v)")
            case .sackPermitted: (kind, name) = (4, "sackOK")
            case .sack: (kind, name) = (5, "sack")
            case .timestamps(let v, let e): (kind, name) = (8, "TS val \(v) ecr \(e)")
            case .unknown(let k, _): (kind, name) = (k, "option kind \(k)")
            case .nop, .eol: continue
            }
            if !wanted.contains(kind) { out.append("options: unexpected \(name)") }
        }
        if wanted.contains(8) && live.options.timestamps == nil { out.append("options: expected TS, got none") }
        return out
    }

    /// A copy of a live packet with sequence numbers relative to the connection's ISNs.
    static func relative(_ p: IPPacket, to c: PktConnection) -> IPPacket {
        var q = p
        let l = c.localISN ?? 0
        let synOffset = p.segment.flags.contains(.syn) ? c.scriptLocalISN : 0
        q.segment.sequenceNumber = SequenceNumber(p.segment.sequenceNumber.rawValue &- l &+ synOffset)
        // The acknowledgment of the remote SYN on the kernel's SYN-ACK is written absolute (packetdrill).
        let ackOffset = p.segment.flags.contains(.syn) ? 0 : c.remoteISN
        q.segment.acknowledgmentNumber = p.segment.flags.contains(.ack)
            ? SequenceNumber(p.segment.acknowledgmentNumber.rawValue &- ackOffset) : 0
        q.segment.options = p.segment.options.map { o in
            if case .sack(let blocks) = o {
                return .sack(blocks.map { SACKBlock(left: SequenceNumber($0.left.rawValue &- c.remoteISN),
                                                    right: SequenceNumber($0.right.rawValue &- c.remoteISN)) })
            }
            return o
        }
        return q
    }

    /// The inbound packet's bytes, in live sequence space: acknowledgments and SACK blocks offset by
    /// the kernel's ISN, TS ecr mapped onto the kernel's clock (`tsOffset`), built by
    /// `ResolvedTemplate.bytes` like `inject`.
    func inboundBytes(on c: PktConnection, tsOffset: UInt32) throws -> [UInt8] {
        let l = c.localISN ?? 0
        var t = ResolvedTemplate()
        t.flags = tcpFlags
        // packetdrill: a SYN's own sequence number is written absolute, every other one relative.
        let syn = tcpFlags.contains(.syn)
        var fields: [(String, Int64)] = [("seq", Int64(syn ? seq : seq &+ c.remoteISN))]
        if let ack { fields.append(("ack", Int64(ack &+ l))) }
        fields.append(("win", Int64(min(window ?? 65535, 65535))))
        if let urgent { fields.append(("urg", Int64(urgent))) }
        if let ecn, let v = PktPacket.ecnValues[ecn] { fields.append(("ecn", v)) }
        t.fields = fields.compactMap { f in HeaderField.byName[f.0].map { ($0, f.1) } }
        t.options = (options ?? []).compactMap { o -> ResolvedTemplate.Option? in
            switch o {
            case .mss(let v): return .mss(.value(v))
            case .wscale(let v): return .windowScale(.value(v))
            case .sackOK: return .sackPermitted(true)
            case .timestamps(let v, let e): return .timestamps(.value(v), .value(e == 0 ? 0 : e &+ tsOffset))
            case .sack(let blocks): return .sack(blocks.map { SACKBlock(left: SequenceNumber($0.0 &+ l), right: SequenceNumber($0.1 &+ l)) })
            case .fastOpen: return .raw(o.fastOpenBytes)
            case .md5(let d): return .raw([19, 18] + d)
            case .accECN: return .raw(o.accECNBytes)
            case .nop: return .nop
            case .eol: return .eol
            case .ellipsis: return nil
            }
        }
        t.payload = [UInt8](repeating: 0, count: length)
        return try t.bytes(base: PktConnection.inboundBase(from: c.remote, to: c.local))
    }
}

extension PktOption {
    /// AccECN option: kind 172 (order 0) or 174 (order 1), then 3-byte counters.
    var accECNBytes: [UInt8] {
        guard case .accECN(let o1, let counters) = self else { return [] }
        var out: [UInt8] = [o1 ? 174 : 172, UInt8(2 + 3 * counters.count)]
        for c in counters {
            out.append(UInt8(truncatingIfNeeded: c >> 16))
            out.append(UInt8(truncatingIfNeeded: c >> 8))
            out.append(UInt8(truncatingIfNeeded: c))
        }
        return out
    }

    /// `FO` is kind 34 (RFC 7413 §4.1.1); `FOEXP` the experimental kind 254 with magic 0xF989.
    var fastOpenBytes: [UInt8] {
        guard case .fastOpen(let cookie, let exp) = self else { return [] }
        return exp ? [254, UInt8(4 + cookie.count), 0xF9, 0x89] + cookie : [34, UInt8(2 + cookie.count)] + cookie
    }
}
