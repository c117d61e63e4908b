import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire

/// Which way a segment travels, seen from our stack: the engine's `PacketDirection` (`inbound`: what
/// the peer sends; `outbound`: what our stack, or `inject`, sends), the direction of every `PacketRecord`.
public typealias Direction = PacketDirection

/// What `expect` waits for: flags and any fields, options and payload; what is left out is "don't care".
///
/// Written like `inject` (`expect S. ack=c.snd.nxt win=* mss=1460 within 1s as synack`). By default it
/// looks at inbound segments only; `out` looks at ours, and `SRC > DST` or `on NAME` narrows by address.
public struct SegmentPattern: Hashable, Sendable {
    /// Flags that must be exactly these; `nil` (written `*`) for any.
    public var flags: TCPFlags?
    public var route: Route = .unspecified
    public var direction: Direction? = nil
    public var seq: Expr?
    public var ack: Expr?
    public var window: Expr?
    public var urgent: Expr?
    /// Payload length (`len=`).
    public var length: Expr?
    public var payload: PayloadSource?
    public var mss: Expr?
    public var windowScale: Expr?
    /// `sackOK` must be present.
    public var sackPermitted = false
    /// `ts=VAL,ECR`; `ts=*` (both nil) means "present".
    public var timestamps: (value: Expr?, echo: Expr?)?
    /// `noopts`: no options at all.
    public var noOptions = false
    /// `sack=L:R,…`: exactly these SACK blocks (RFC 2018 §3).
    public var sack: [SACKBlockSpec]?

    public init(flags: TCPFlags?) { self.flags = flags }

    public static func == (a: SegmentPattern, b: SegmentPattern) -> Bool {
        a.flags == b.flags && a.route == b.route && a.direction == b.direction && a.seq == b.seq
            && a.ack == b.ack && a.window == b.window && a.urgent == b.urgent && a.length == b.length
            && a.payload == b.payload && a.mss == b.mss && a.windowScale == b.windowScale
            && a.sackPermitted == b.sackPermitted && a.noOptions == b.noOptions && a.sack == b.sack
            && a.timestamps?.value == b.timestamps?.value && a.timestamps?.echo == b.timestamps?.echo
            && (a.timestamps == nil) == (b.timestamps == nil)
    }

    public func hash(into h: inout Hasher) {
        h.combine(flags)
        h.combine(seq)
        h.combine(ack)
    }
}

/// A pattern with every expression evaluated: what a segment is compared against.
public struct ResolvedPattern: Sendable {
    public var flags: TCPFlags?
    public var direction: Direction?
    public var source: Endpoint?
    public var destination: Endpoint?
    /// For `on NAME` without a direction: either way along this pair.
    public var eitherWay = false
    public var seq: UInt32?
    public var ack: UInt32?
    public var window: UInt16?
    public var urgent: UInt16?
    public var length: Int?
    public var payload: [UInt8]?
    public var mss: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted = false
    public var timestampsPresent = false
    public var tsValue: UInt32?
    public var tsEcho: UInt32?
    public var noOptions = false
    public var sack: [SACKBlock]?

    public init() {}

    /// True if the segment travels where the pattern looks (direction and addresses); the rest of the
    /// fields are then compared by `mismatches`.
    public func isCandidate(_ packet: IPv4Packet, direction d: Direction) -> Bool {
        if let direction, direction != d { return false }
        let src = Endpoint(address: packet.header.source, port: packet.segment.sourcePort)
        let dst = Endpoint(address: packet.header.destination, port: packet.segment.destinationPort)
        if let source, let destination {
            if src == source && dst == destination { return true }
            return eitherWay && src == destination && dst == source
        }
        if let source, src != source { return false }
        if let destination, dst != destination { return false }
        return true
    }

    /// The fields that differ, in header order (ports, seq, ack, flags, window, urgent, options,
    /// payload), packetdrill-style: `ack: expected 1001 (0x3e9), got 1 (0x1)`. Empty: it matches.
    public func mismatches(_ packet: IPv4Packet) -> [String] {
        let s = packet.segment
        var out: [String] = []
        func num<T: BinaryInteger>(_ name: String, _ want: T?, _ got: T) {
            guard let want, want != got else { return }
            out.append("\(name): expected \(want) (0x\(String(want, radix: 16))), got \(got) (0x\(String(got, radix: 16)))")
        }
        num("seq", seq, s.sequenceNumber.rawValue)
        num("ack", ack, s.acknowledgmentNumber.rawValue)
        if let flags, flags != s.flags {
            out.append("flags: expected [\(flags)], got [\(s.flags)]")
        }
        num("win", window, s.window)
        num("urg", urgent, s.urgentPointer)
        let opts = s.options
        if noOptions, !opts.filter({ $0 != .nop && $0 != .eol }).isEmpty {
            out.append("options: expected none, got [\(TcpdumpLine.optionsText(opts))]")
        }
        if let mss {
            if let got = opts.mss { num("mss", mss, got) } else { out.append("mss: expected \(mss), got no mss option") }
        }
        if let windowScale {
            if let got = opts.windowScale { num("wscale", windowScale, got) }
            else { out.append("wscale: expected \(windowScale), got no wscale option") }
        }
        if sackPermitted, !opts.sackPermitted { out.append("sackOK: expected, got no sackOK option") }
        if timestampsPresent {
            if let ts = opts.timestamps {
                num("TS val", tsValue, ts.value)
                num("TS ecr", tsEcho, ts.echoReply)
            } else {
                out.append("TS: expected timestamps, got no TS option")
            }
        }
        if let sack {
            let want = sack.map { "{\($0.left):\($0.right)}" }.joined()
            if let got = opts.sackBlocks {
                if got != sack { out.append("sack: expected \(want), got \(got.map { "{\($0.left):\($0.right)}" }.joined())") }
            } else {
                out.append("sack: expected \(want), got no SACK option")
            }
        }
        num("length", length, s.payload.count)
        if let payload, payload != s.payload {
            out.append("payload: expected \(Value.quote(payload)), got \(Value.quote(s.payload))")
        }
        return out
    }

    /// The pattern written as tcpdump would print a matching segment, with `*` for don't-care fields.
    public var tcpdumpLine: String {
        var line = "IP "
        line += source.map { "\($0.address).\($0.port)" } ?? "*"
        line += " > "
        line += destination.map { "\($0.address).\($0.port)" } ?? "*"
        line += ": Flags [\(flags.map { $0.description } ?? "*")]"
        if let seq {
            if let length, length > 0 { line += ", seq \(seq):\(seq &+ UInt32(truncatingIfNeeded: length))" }
            else { line += ", seq \(seq)" }
        }
        if let ack { line += ", ack \(ack)" }
        line += ", win " + (window.map { String($0) } ?? "*")
        if let urgent { line += ", urg \(urgent)" }
        var o: [String] = []
        if let mss { o.append("mss \(mss)") }
        if sackPermitted { o.append("sackOK") }
        if timestampsPresent {
            o.append("TS val \(tsValue.map { String($0) } ?? "*") ecr \(tsEcho.map { String($0) } ?? "*")")
        }
        if let windowScale { o.append("wscale \(windowScale)") }
        if let sack { o.append("sack \(sack.count) " + sack.map { "{\($0.left):\($0.right)}" }.joined()) }
        if !o.isEmpty { line += ", options [\(o.joined(separator: ","))]" }
        if noOptions { line += ", options []" }
        line += ", length " + (length.map { String($0) } ?? payload.map { String($0.count) } ?? "*")
        return line
    }
}
