import CToyTCPPacketdrill
import Foundation
import ToyTCPDecode
import ToyTCPScript
import ToyTCPWire

/// How a kernel run is set up: packetdrill's command-line options.
public struct PktRunOptions: Sendable {
    /// `--ip_version`; the addresses, netmask and MTU default to the family's (`PktIPVersion`).
    public var ipVersion: PktIPVersion = .ipv4
    public var local: String { get { given.local ?? ipVersion.defaultLocal } set { given.local = newValue } }
    public var remote: String { get { given.remote ?? ipVersion.defaultRemote } set { given.remote = newValue } }
    public var gateway: String { get { given.gateway ?? ipVersion.defaultGateway } set { given.gateway = newValue } }
    public var netmask: String { get { given.netmask ?? ipVersion.defaultNetmask } set { given.netmask = newValue } }
    /// tun0's MTU (`--mtu`).
    public var mtu: Int { get { given.mtu ?? ipVersion.defaultMTU } set { given.mtu = newValue } }
    /// What the command line set; the rest follows `ipVersion`.
    var given = PktGivenAddresses()
    /// Seconds either side of a scripted time (packetdrill's `--tolerance_usecs`, default 4000).
    public var tolerance = 0.004
    /// Percent of the time since the previous event that an event may be off by, when that is more
    /// than `tolerance` (packetdrill's `--tolerance_percent`, default 12.5: the worst case of the
    /// kernel's timer wheel since Linux 4.8, commit 500462a9de65 "timers: Switch to a non-cascading
    /// wheel"; at HZ=250 a 1 s RTO fires up to 32 ms late).
    public var tolerancePercent = 12.5
    public var defines: [String: String] = [:]
    public init() {}

    /// `-D` values the Linux scripts expect, for these addresses, under the user's own.
    public var allDefines: [String: String] {
        PacketdrillDefaults.defines(local: local, remote: remote, ipVersion: ipVersion).merging(defines) { _, user in user }
    }
}

/// Which system a script runs against (`--stack`).
public enum PktStack: String, Sendable, CaseIterable {
    /// The Linux kernel in a private namespace, real time (what packetdrill does).
    case kernel
    /// toytcp's own engine behind a BSD-socket façade, in virtual time.
    case toytcp
}

/// Runs a packetdrill script against a system under test (`PktSystemUnderTest`): the Linux kernel as
/// packetdrill does, or our own stack. Inbound segments are crafted from the script's template and
/// delivered at their time, outbound ones are matched against it, system calls go to the system and
/// their results are checked.
public final class PktRunner {
    let script: PktScript
    var options: PktRunOptions
    let output: (String) -> Void
    let sut: any PktSystemUnderTest

    var connections: [PktConnection] = []
    var current: Int?
    var lastTime = 0.0
    var outboundQueue: [(packet: IPPacket, time: Double)] = []
    var recent: [String] = []
    /// The system's TS val minus the script's, from the first outbound timestamp.
    var tsOffset: UInt32?
    var pending: PendingSyscall?
    /// `%{ … }%` blocks with the TCP_INFO values of their time, run after the script.
    var pythonBlocks: [(line: Int, source: String)] = []
    /// `--mss=N`: inbound segments longer than N arrive as a GSO burst of N-byte segments.
    var mss: Int?
    /// `--strict_segments`: each outbound segment is matched alone (no aggregation: PktRunner+Fragments).
    var strictSegments = false
    /// What the system did, in order (`time what`): outbound segments and system call results, the
    /// trace `--stack both` compares.
    public private(set) var observations: [PktObservation] = []

    struct Failure: Error { var line: Int; var column: Int? = nil; var message: String }

    /// A blocking call started and not yet checked.
    struct PendingSyscall { var call: PktSyscall; var line: Int; var column: Int; var start: Double; var end: Double }

    public convenience init(script: PktScript, options: PktRunOptions, stack: PktStack = .kernel, output: @escaping (String) -> Void) {
        self.init(script: script, options: options, output: output) { options in
            switch stack {
            case .kernel: KernelSystem(options: options, debug: PktRunner.debug ? output : nil)
            case .toytcp: ToyStackSystem(options: options)
            }
        }
    }

    /// `system` builds the system under test from the options the script's own lines completed.
    init(script: PktScript, options: PktRunOptions, output: @escaping (String) -> Void,
         system: (PktRunOptions) -> any PktSystemUnderTest) {
        self.script = script
        self.options = options
        self.output = output
        for (name, value, _) in script.options {
            // The script's own tolerance, or the command line's when that is larger (a slow machine's).
            if name == "tolerance_usecs", let v = Double(value) { self.options.tolerance = max(options.tolerance, v / 1e6) }
            if name == "tolerance_percent", let v = Double(value) { self.options.tolerancePercent = max(options.tolerancePercent, v) }
            if name == "mss", let v = Int(value) { mss = v }
            if name == "mtu", let v = Int(value) { self.options.mtu = v }
            if name == "strict_segments" { strictSegments = true }
        }
        sut = system(self.options)
    }

    /// 0 when the script passed; 1 with packetdrill's `FILE:LINE: error …` printed otherwise.
    public func run() -> Int32 {
        for (name, _, at) in script.options where !PktRunner.knownOptions.contains(name) {
            output("\(script.file):\(at.line):\(at.column): unsupported option --\(name)")
            return 1
        }
        // Every construct is checked before anything runs: an unsupported one is never a silent pass.
        for event in script.events {
            if let why = sut.unsupported(event) {
                output("\(script.file):\(event.location.line):\(event.location.column): \(why)")
                return 1
            }
        }
        do {
            try sut.setUp()
        } catch {
            output("\(script.file): cannot set up the \(sut.name) run: \(error)")
            return 2
        }
        defer { sut.tearDown() }
        do {
            for event in script.events { try handle(event) }
            try finishPending(deadline: nil)
            for (line, source) in pythonBlocks { try runPython(source, line: line) }
            return 0
        } catch let f as Failure {
            output("\(script.file):\(f.line):" + (f.column.map { "\($0):" } ?? "") + " \(f.message)")
            observe(at: sut.elapsed(), "script failed at line \(f.line): " + (f.message.split(separator: "\n").first.map(String.init) ?? ""))
            return 1
        } catch {
            output("\(script.file): \(error)")
            return 1
        }
    }

    static let debug = ProcessInfo.processInfo.environment["TOYTCP_PKT_DEBUG"] != nil
    static let knownOptions: Set<String> = ["tolerance_usecs", "tolerance_percent", "ip_version", "mss", "send_omit_free", "tcp_ts_tick_usecs", "mtu", "strict_segments"]

    // MARK: Time

    func elapsed() -> Double { sut.elapsed() }

    /// How far an event expected at `time` may be off: `--tolerance_usecs`, or `--tolerance_percent` of
    /// the time since the previous event when that is more (packetdrill's `verify_time`).
    func tolerance(at time: Double?) -> Double {
        guard let time else { return options.tolerance }
        return max(options.tolerance, options.tolerancePercent / 100 * (time - lastTime))
    }

    func scriptTime(_ t: PktTime) -> Double? {
        switch t.kind {
        case .absolute: return t.start
        case .relative: return lastTime + t.start
        case .any: return nil
        }
    }

    /// Lets time pass until script time `t`, taking what the system sends and checking a blocking call
    /// that returned meanwhile.
    func wait(until t: Double, line: Int) throws {
        sut.pass(until: t, stopEarly: false)
        collect()
        try finishPending(deadline: 0, line: line)
    }

    /// Queues outbound TCP segments (IPv4 or IPv6, as the run's wire) addressed to the remote host.
    func collect() {
        for (bytes, t) in sut.takeOutbound() {
            guard let packet = try? IPPacket.parse(bytes) else { continue }
            guard packet.destination == options.wireRemote else { continue }
            outboundQueue.append((packet, t))
        }
    }

    func observe(at t: Double, _ what: String) {
        observations.append(PktObservation(time: t, what: what))
    }

    // MARK: Events

    func handle(_ event: PktEvent) throws {
        let line = event.location.line
        switch event.kind {
        case .packet(let p) where p.inbound:
            let t = scriptTime(event.time) ?? elapsed()
            // Crafted before the wait, so that it goes in at its time, not after our crafting.
            let bytes = try inboundBytes(p, line: line)
            try wait(until: t, line: line)
            // When this process runs late (a busy machine), later times count from when the segment
            // really went in, so the kernel is timed against the stimulus it got, not our lateness.
            let actual = elapsed()
            if PktRunner.debug { output(String(format: "# %.6f inbound line %d, due at %.6f (%.3f ms late)", actual, line, t, (actual - t) * 1000)) }
            try deliver(bytes, gsoSize: p.icmp == nil ? mss.flatMap { p.length > $0 ? $0 : nil } : nil, line: line)
            lastTime = max(t, actual)
        case .packet(let p):
            let latest = event.time.latest.map { (event.time.kind == .absolute ? 0 : lastTime) + $0 }
            try expect(p, time: scriptTime(event.time), latest: latest, line: line)
        case .syscall(let call):
            let t = scriptTime(event.time) ?? elapsed()
            try wait(until: t, line: line)
            try finishPending(deadline: nil, line: line)
            let actual = elapsed()
            lastTime = max(t, actual)
            try syscall(call, event: event, at: max(t, actual))
        case .shell(let command):
            let t = scriptTime(event.time) ?? elapsed()
            try wait(until: t, line: line)
            let (status, text) = sut.shell(command)
            if !text.isEmpty { output(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
            guard status == 0 else { throw Failure(line: line, message: "non-zero status \(status) from command: \(command)") }
            lastTime = t
        case .python(let code):
            let t = scriptTime(event.time) ?? elapsed()
            try wait(until: t, line: line)
            // TCP_INFO is read now; python runs after the script, as packetdrill does, so its start-up
            // time does not stretch the kernel's timeline (tcpi_rwnd_limited and friends count it).
            pythonBlocks.append((line, pythonSource(code, line: line)))
            lastTime = t
        }
    }

    // MARK: Packets

    var currentConnection: PktConnection? { current.map { connections[$0] } }

    /// The IP packet for inbound line `p`, on its connection (a SYN with no connection, or after a
    /// closed one, starts a passive one).
    func inboundBytes(_ p: PktPacket, line: Int) throws -> [UInt8] {
        if p.icmp != nil { return try icmpBytes(p, line: line) }
        let flags = p.tcpFlags
        if flags.contains(.syn) && !flags.contains(.ack), currentConnection.map({ $0.clientSide || $0.sawInboundNonSYN }) ?? true {
            // A new passive connection: the next remote port.
            guard let local = options.wireLocal, let remote = options.wireRemote else {
                throw Failure(line: line, message: "--local_ip \(options.local) or --remote_ip \(options.remote) is not an address")
            }
            let l = Endpoint(address: local, port: KernelSyscalls.port)
            let r = Endpoint(address: remote, port: UInt16(40000 + connections.count))
            connections.append(PktConnection(local: l, remote: r))
            current = connections.count - 1
        }
        guard let i = current else {
            throw Failure(line: line, message: "inbound packet with no connection: no SYN and no connect() before it")
        }
        if !flags.contains(.syn) || flags.contains(.ack) { connections[i].sawInboundNonSYN = true }
        if flags.contains(.syn) { connections[i].remoteISN = p.seq }
        do { return try p.inboundBytes(on: connections[i], tsOffset: tsOffset ?? 0) }
        catch { throw Failure(line: line, message: "cannot build the inbound packet: \(error)") }
    }

    /// Writes an inbound packet to the system now.
    func deliver(_ bytes: [UInt8], gsoSize: Int?, line: Int) throws {
        guard sut.inject(bytes, gsoSize: gsoSize) else {
            throw Failure(line: line, message: "delivering the packet to the \(sut.name) failed: \(String(cString: strerror(errno)))")
        }
        remember("< " + (PktRunner.icmpSummary(bytes) ?? summary(bytes)))
    }

    /// `icmp type T code C` (`icmp6 …` for ICMPv6) for an ICMP packet we write, nil for anything else.
    static func icmpSummary(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first else { return nil }
        if first >> 4 == 4, bytes.count > 21, bytes[9] == 1 {
            let at = Int(first & 0x0F) * 4
            guard bytes.count > at + 1 else { return nil }
            return "icmp type \(bytes[at]) code \(bytes[at + 1])"
        }
        if first >> 4 == 6, bytes.count > 41, bytes[6] == 58 { return "icmp6 type \(bytes[40]) code \(bytes[41])" }
        return nil
    }

    func icmpBytes(_ p: PktPacket, line: Int) throws -> [UInt8] {
        guard let icmp = p.icmp, let c = currentConnection else { throw Failure(line: line, message: "icmp with no connection") }
        if c.local.ip.isIPv6 {
            do { return try PktRunner.icmpv6Bytes(icmp, on: c) } catch let f as Failure {
                throw Failure(line: line, message: f.message)
            }
        }
        let codes: [String: UInt8] = ["net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2,
                                      "port_unreachable": 3, "frag_needed": 4, "source_route_failed": 5]
        guard icmp.type == "unreachable" else { throw Failure(line: line, message: "icmp type '\(icmp.type)' is not supported") }
        guard let code = codes[icmp.code ?? "net_unreachable"] else {
            throw Failure(line: line, message: "icmp code '\(icmp.code ?? "")' is not supported")
        }
        // The quoted segment is one the kernel sent: local -> remote, its relative sequence number.
        var quoted = IPv4Packet(header: IPv4Header(source: c.local.address, destination: c.remote.address),
                                segment: TCPSegment(sourcePort: c.local.port, destinationPort: c.remote.port,
                                                    sequenceNumber: SequenceNumber(icmp.seq &+ (c.localISN ?? 0)),
                                                    flags: [.ack], window: 0, payload: [UInt8](repeating: 0, count: icmp.length)))
        quoted.header.identification = 0
        let inner = Array(quoted.bytes().prefix(28))
        var body: [UInt8] = [3, code, 0, 0, 0, 0]
        let mtu = icmp.mtu ?? 0
        body += [UInt8(mtu >> 8 & 0xFF), UInt8(mtu & 0xFF)]
        body += inner
        let sum = internetChecksum(body)
        body[2] = UInt8(sum >> 8); body[3] = UInt8(sum & 0xFF)
        var ip: [UInt8] = [0x45, 0, UInt8((20 + body.count) >> 8), UInt8((20 + body.count) & 0xFF), 0, 0, 0x40, 0, 64, 1, 0, 0]
        for a in [c.remote.address.rawValue, c.local.address.rawValue] {
            ip += [UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)]
        }
        let h = internetChecksum(ip)
        ip[10] = UInt8(h >> 8); ip[11] = UInt8(h & 0xFF)
        return ip + body
    }

    func internetChecksum(_ b: [UInt8]) -> UInt16 { PktRunner.onesComplementSum(b) }

    func expect(_ p: PktPacket, time: Double?, latest: Double? = nil, line: Int) throws {
        let tolerance = tolerance(at: time)
        let deadline = max((latest ?? time ?? elapsed() + 10) + tolerance, elapsed() + options.tolerance)
        collect()
        while outboundQueue.isEmpty {
            try finishPending(deadline: 0, line: line)
            if elapsed() >= deadline { break }
            sut.pass(until: deadline, stopEarly: true)
            collect()
        }
        guard !outboundQueue.isEmpty else {
            observe(at: elapsed(), "> nothing sent")
            let at = time.map { String(format: "%.4f", $0) } ?? "any time"
            throw Failure(line: line, message: "error handling packet: Timed out waiting for packet (expected outbound packet at \(at) sec)")
        }
        var (live, t) = outboundQueue.removeFirst()
        // A segment of an earlier connection (the RST of a socket the script closed) while the script
        // expects one on the current connection: noted, not matched (packetdrill matches by socket).
        while let c = currentConnection,
              live.segment.sourcePort != c.local.port || live.segment.destinationPort != c.remote.port,
              connections.contains(where: { $0.local.port == live.segment.sourcePort && $0.remote.port == live.segment.destinationPort }) {
            remember("> (earlier connection) " + summary(live.bytes()), at: t)
            if outboundQueue.isEmpty {
                while outboundQueue.isEmpty && elapsed() < deadline { sut.pass(until: deadline, stopEarly: true); collect() }
                guard !outboundQueue.isEmpty else {
                    throw Failure(line: line, message: "error handling packet: Timed out waiting for packet")
                }
            }
            (live, t) = outboundQueue.removeFirst()
        }
        (live, t) = try aggregate(live, at: t, toPayload: p.length, deadline: deadline, line: line)
        // The connection it belongs to, by live ports; a SYN from a new port starts a client one.
        var index = connections.firstIndex { $0.local.port == live.segment.sourcePort && $0.remote.port == live.segment.destinationPort }
        if index == nil {
            let l = Endpoint(address: live.source, port: live.segment.sourcePort)
            let r = Endpoint(address: live.destination, port: live.segment.destinationPort)
            var c = PktConnection(local: l, remote: r)
            c.clientSide = true
            connections.append(c)
            index = connections.count - 1
            current = index
        }
        let i = index!
        if live.segment.flags.contains(.syn), connections[i].localISN == nil || p.flags.contains("S") {
            connections[i].localISN = live.segment.sequenceNumber.rawValue
            connections[i].scriptLocalISN = p.seq
        }
        if connections[i].localISN == nil { connections[i].localISN = live.segment.sequenceNumber.rawValue &- p.seq }
        if tsOffset == nil, let ts = live.segment.options.timestamps, let want = p.options?.compactMap({ o -> UInt32? in
            if case .timestamps(let v, _) = o { return v }; return nil }).first {
            tsOffset = ts.value &- want
        }
        let rel = PktPacket.relative(live, to: connections[i])
        let liveLine = "> " + summary(live.bytes())
        observe(at: t, "> " + relativeSummary(rel))
        var problems = p.outboundTemplate().mismatches(rel)
        problems += p.unexpectedOptions(in: live.segment)
        if !problems.isEmpty {
            var lines = ["error handling packet: " + PktRunner.packetdrillField(problems[0])]
            lines += problems.dropFirst().map { "  also: " + PktRunner.packetdrillField($0) }
            lines.append("script packet:  " + scriptSummary(p, time: time))
            lines.append("actual packet:  " + String(format: "%.6f ", t) + relativeSummary(rel))
            lines.append("actual (absolute): " + liveLine)
            if !recent.isEmpty { lines.append("last segments before it:"); lines += recent.suffix(4).map { "  " + $0 } }
            // The actual segment as RFC 791 / RFC 9293 draw the headers.
            lines.append("actual segment's headers:")
            lines += HeaderDiagram.string(live.bytes()).split(separator: "\n").map { "  " + $0 }
            throw Failure(line: line, message: lines.joined(separator: "\n"))
        }
        if let time, t < time - tolerance || t > (latest ?? time) + tolerance {
            throw Failure(line: line, message: String(format: "error handling packet: timing error: expected outbound packet at %.6f sec but happened at %.6f sec; tolerance %.6f sec", time, t, tolerance))
        }
        remember(liveLine, at: t)
        // Later relative times count from when it really came (packetdrill's adjust_relative_event_times).
        lastTime = t
    }

    /// `ack: expected 1001 (0x3e9), got 1 (0x1)` as packetdrill says it: `live packet field tcp_ack:
    /// expected: 1001 (0x3e9) vs actual: 1 (0x1)`.
    static func packetdrillField(_ m: String) -> String {
        let names = ["seq": "tcp_seq", "ack": "tcp_ack", "win": "tcp_window", "urg": "tcp_urg_ptr", "len": "tcp_payload_len",
                     "flags": "tcp_flags", "ecn": "ip_ecn", "mss": "tcp_option mss", "wscale": "tcp_option wscale"]
        guard let colon = m.firstIndex(of: ":") else { return m }
        let name = String(m[..<colon])
        var rest = String(m[m.index(after: colon)...]).trimmed
        if rest.hasPrefix("expected ") { rest = "expected: " + rest.dropFirst(9) }
        rest = rest.replacingOccurrences(of: ", got ", with: " vs actual: ")
        return "live packet field \(names[name] ?? name): \(rest)"
    }

    func remember(_ s: String, at t: Double? = nil) {
        recent.append(String(format: "%.6f ", t ?? elapsed()) + s)
        if recent.count > 8 { recent.removeFirst() }
    }

    func summary(_ bytes: [UInt8]) -> String {
        guard let p = try? IPPacket.parse(bytes) else { return "(\(bytes.count) bytes, not TCP)" }
        return "\(p.source).\(p.segment.sourcePort) > \(p.destination).\(p.segment.destinationPort): " + relativeSummary(p)
    }

    func relativeSummary(_ p: IPPacket) -> String {
        let s = p.segment
        var f = ""
        for (flag, ch) in [(TCPFlags.syn, "S"), (.fin, "F"), (.rst, "R"), (.psh, "P"), (.urg, "U"), (.ece, "E"), (.cwr, "W"), (.ack, ".")] where s.flags.contains(flag) { f += ch }
        var line = "\(f.isEmpty ? "-" : f) \(s.sequenceNumber.rawValue):\(s.sequenceNumber.rawValue &+ UInt32(s.payload.count))(\(s.payload.count))"
        if s.flags.contains(.ack) { line += " ack \(s.acknowledgmentNumber.rawValue)" }
        line += " win \(s.window)"
        if !s.options.isEmpty { line += " <" + TcpdumpLine.optionsText(s.options) + ">" }
        return line
    }

    func scriptSummary(_ p: PktPacket, time: Double?) -> String {
        var line = (time.map { String(format: "%.6f ", $0) } ?? "* ") + (p.ecn.map { "[\($0)] " } ?? "") + p.flags
        line += " \(p.seq):\(p.seq &+ UInt32(p.length))(\(p.length))"
        if let a = p.ack { line += " ack \(a)" }
        if let w = p.window { line += " win \(w)" }
        if let o = p.options { line += " <" + o.map(\.text).joined(separator: ",") + ">" }
        return line
    }
}
