/// A packetdrill script written as the equivalent `.ttcp` (`toytcp-shell convert FILE.pkt`).
///
/// The roles swap: in packetdrill the kernel is under test and the script plays the remote host; in a
/// `.ttcp` script the stack under test is ours, so the script's system calls become our stack's
/// commands (`listen`, `accept`, `connect`, `send`, `recv`, `close`, `shutdown`) and its segments
/// become `inject … to c` (what the remote sends) and `expect out …` (what our stack must send), with
/// `set numbers relative` and `set expect strict`, as packetdrill matches. What has no `.ttcp` form
/// (socket options, fcntl, cmsgs, shell and python blocks) stays as a comment naming it.
public struct PktConverter {
    public var local: String
    public var remote: String
    public init(local: String = "10.0.0.1", remote: String = "10.0.1.1") {
        self.local = local
        self.remote = remote
    }

    public func convert(_ script: PktScript) -> String {
        var out = ["# \(script.file), converted from packetdrill by `toytcp-shell convert`.",
                   "set numbers relative", "set expect strict"]
        var tolerance = "4ms"
        for (name, value, _) in script.options {
            if name == "tolerance_usecs", let us = Int(value) { tolerance = "\(us)us" }
            else { out.append("# packetdrill option --\(name)\(value.isEmpty ? "" : "=" + value)") }
        }
        out.append("set tolerance \(tolerance)")
        var fdNames: [Int64: String] = [:]
        var listeners: Set<Int64> = []
        for e in script.events {
            let time = PktConverter.timeText(e.time)
            switch e.kind {
            case .shell(let c): out.append("# line \(e.location.line): shell `\(c.trimmed.replacingOccurrences(of: "\n", with: " "))`")
            case .python(let c): out.append("# line \(e.location.line): python \(c.trimmed.replacingOccurrences(of: "\n", with: " "))")
            case .packet(let p) where p.icmp != nil || p.tcpFlags.isEmpty:
                // ICMP errors and flagless segments have no `.ttcp` form yet.
                out.append("# line \(e.location.line): \(p.inbound ? "<" : ">") " + (p.icmp.map { "icmp \($0.type) \($0.code ?? "")" } ?? "segment without flags"))
            case .packet(let p): out.append(time + " " + packet(p, bound: fdNames.values.contains("c")))
            case .syscall(let call):
                out.append(syscall(call, time: time, line: e.location.line, fdNames: &fdNames, listeners: &listeners))
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func timeText(_ t: PktTime) -> String {
        func n(_ v: Double) -> String {
            var s = String(v)
            if s.hasSuffix(".0") { s.removeLast(2) }
            return s
        }
        switch t.kind {
        case .any: return "*"
        case .absolute: return n(t.start) + (t.latest.map { "~" + n($0) } ?? "")
        case .relative: return "+" + n(t.start) + (t.latest.map { "~+" + n($0) } ?? "")
        }
    }

    /// Before `accept`/`connect` names the connection `c`, the segment says its addresses (the remote
    /// port is the one packetdrill's runner uses, 40000).
    func packet(_ p: PktPacket, bound: Bool) -> String {
        var words = [p.inbound ? "inject" : "expect out", p.flags]
        let us = "\(local):8080", peer = "\(remote):40000"
        if bound { words.append(p.inbound ? "to c" : "on c") }
        else { words.append(p.inbound ? "\(peer) > \(us)" : "\(us) > \(peer)") }
        words.append("seq=\(p.seq)")
        if let a = p.ack { words.append("ack=\(a)") }
        if let w = p.window { words.append("win=\(w)") }
        if let u = p.urgent { words.append("urg=\(u)") }
        if let ecn = p.ecn, ecn != "ect01" { words.append("ecn=" + (ecn == "noecn" ? "notect" : ecn)) }
        if let opts = p.options {
            for o in opts {
                switch o {
                case .mss(let v): words.append("mss=\(v)")
                case .wscale(let v): words.append("wscale=\(v)")
                case .sackOK: words.append("sackOK")
                case .timestamps(let v, let e): words.append(p.inbound ? "ts=\(v),\(e)" : "ts=*")
                case .sack(let b): words.append("sack=" + b.map { "\($0.0):\($0.1)" }.joined(separator: ","))
                case .nop: words.append("nop")
                case .eol: words.append("eol")
                case .fastOpen, .md5, .accECN:
                    words.append("opt=0x" + PktConverter.hex(PktConverter.rawBytes(o)))
                case .ellipsis: break
                }
            }
        } else if !p.inbound {
            words.append("noopts")
        }
        if p.inbound { if p.length > 0 { words.append("fill=\(p.length)") } } else { words.append("len=\(p.length)") }
        return words.joined(separator: " ")
    }

    static func rawBytes(_ o: PktOption) -> [UInt8] {
        switch o {
        case .fastOpen: return o.fastOpenBytes
        case .md5(let d): return [19, 18] + d
        case .accECN: return o.accECNBytes
        default: return []
        }
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String($0, radix: 16).leftPadded(2) }.joined() }

    func syscall(_ call: PktSyscall, time: String, line: Int, fdNames: inout [Int64: String],
                 listeners: inout Set<Int64>) -> String {
        let a = call.arguments
        func fd(_ i: Int) -> Int64? { if i < a.count, case .integer(let v) = a[i] { return v }; return nil }
        func name(_ i: Int) -> String { fd(i).flatMap { fdNames[$0] } ?? "c" }
        func length(_ i: Int) -> Int64? { if i < a.count, case .integer(let v) = a[i] { return v }; return nil }
        let comment = "# line \(line): \(call.name)(" + a.map(\.description).joined(separator: ", ") + ") = \(call.result)"
            + (call.errno.map { " " + $0 } ?? "")
        switch call.name {
        case "listen":
            if let f = fd(0) { listeners.insert(f); fdNames[f] = "s" }
            return "\(time) listen \(local) 8080 as s"
        case "accept":
            if case .integer(let f) = call.result { fdNames[f] = "c" }
            return "\(time) accept s as c"
        case "connect":
            if let f = fd(0) { fdNames[f] = "c" }
            return "\(time) connect \(remote) 8080 within 0 as c"
        case "write", "send":
            guard let n = length(2), call.errno == nil else { return comment }
            return "\(time) send \(name(0)) fill=\(n)"
        case "read", "recv":
            guard case .integer(let n) = call.result, n > 0, call.errno == nil else { return comment }
            return "\(time) recv \(name(0)) \(n)"
        case "close":
            if let f = fd(0), listeners.contains(f) { return comment }
            return "\(time) close \(name(0))"
        case "shutdown":
            return "\(time) shutdown \(name(0))"
        default:
            return comment
        }
    }
}
