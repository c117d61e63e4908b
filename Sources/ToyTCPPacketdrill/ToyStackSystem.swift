import Foundation
import ToyTCPEngine
import ToyTCPWire

/// toytcp's own stack as the system under test (`--stack toytcp`): a `Stack` with
/// `StackConfiguration.packetdrillLinuxDefaults` behind its `PacketPort`, system calls through
/// `ToySocketFacade`, in virtual time. Nothing sleeps and nothing runs on another thread: time moves
/// from one event to the next (a script line's time or a stack timer), so a script with a 3 s RTO runs
/// in milliseconds and gives the same result every run. A blocking call is retried after every input
/// and timer until it completes.
final class ToyStackSystem: PktSystemUnderTest {
    let name = "toytcp"
    let options: PktRunOptions
    var port: PacketPort!
    var facade: ToySocketFacade!
    /// Virtual time; script time 0 is `Instant.zero`.
    var now = Instant.zero
    var outbound: [(bytes: [UInt8], time: Double)] = []
    var pending: (call: PktSyscall, progress: ToySocketFacade.Progress)?
    var result: (Result<SyscallOutcome, SyscallError>, Double)?
    var writer = ByteWriter(capacity: 2048)
    var underTest: Int32?
    var gso = GSOCoalescer()
    var gsoOn = true

    /// How far virtual time may run on for a blocking call that nothing in the script wakes.
    static let blockingLimit: Duration = .seconds(600)

    init(options: PktRunOptions) { self.options = options }

    func unsupported(_ event: PktEvent) -> String? {
        switch event.kind {
        case .syscall(let call) where !ToySocketFacade.supported.contains(call.name):
            return "unsupported on toytcp: system call '\(call.name)'"
        case .syscall(let call):
            return ToySocketFacade.unsupportedArguments(call)
        case .shell(let command):
            do { _ = try ToyStackSystem.settings(command, base: Settings(configuration: .packetdrillLinuxDefaults)) } catch { return "\(error)" }
            return nil
        case .packet(let p) where p.icmp != nil:
            return "unsupported on toytcp: inbound ICMP (the engine takes TCP segments only)"
        case .packet(let p) where p.options?.contains(where: { if case .fastOpen = $0 { return true }; if case .md5 = $0 { return true }; if case .accECN = $0 { return true }; return false }) ?? false:
            return "unsupported on toytcp: TCP option in \(p.options!.map(\.text).joined(separator: ",")) (Fast Open, MD5 and AccECN are Linux-only here)"
        default:
            return nil
        }
    }

    func setUp() throws {
        guard let local = options.wireLocal, let remote = options.wireRemote, local.isIPv6 == remote.isIPv6 else {
            throw SyscallError(description: "bad --local_ip or --remote_ip")
        }
        let stack = Stack(addresses: [local], configuration: .packetdrill(mtu: options.mtu))
        port = PacketPort(stack: stack)
        facade = ToySocketFacade(stack: stack, local: local, remote: remote)
        facade?.socketsAreIPv6 = options.ipVersion != .ipv4
    }

    func tearDown() {}

    func elapsed() -> Double { Double(now.nanoseconds) / 1e9 }

    /// The first nanosecond at or after script time `t` (so `elapsed()` is then never below `t`: a
    /// rounding the other way would leave a waiting loop one nanosecond short for ever).
    static func instant(_ t: Double) -> Instant {
        var i = Instant(nanoseconds: Int64((t * 1e9).rounded(.up)))
        while Double(i.nanoseconds) / 1e9 < t { i.nanoseconds += 1 }
        return i
    }

    /// Retries a blocked call, takes what the stack sends now and what it reports; twice, since what
    /// it reports (a handshake completed) can complete the call, and the call can send (a SYN, data).
    func drain() {
        for _ in 0..<2 {
            retryPending()
            var burst: [[UInt8]] = []
            while true {
                writer.bytes.removeAll(keepingCapacity: true)
                guard port.pollTransmit(into: &writer, at: now) else { break }
                burst.append(writer.bytes)
            }
            for bytes in gsoOn ? gso.merge(burst) : burst { outbound.append((bytes, elapsed())) }
            while let e = port.pollEvent() { facade.note(e) }
            facade.observeTransmissions(at: now)
        }
    }

    func retryPending() {
        guard var p = pending, result == nil else { return }
        do {
            if case .done(let o) = try facade.attempt(p.call, &p.progress, at: now) {
                result = (.success(o), elapsed())
                pending = nil
                return
            }
            pending = p
        } catch {
            result = (.failure(error), elapsed())
            pending = nil
        }
    }

    /// The next time something happens by itself: a stack timer or a blocked poll's timeout.
    func nextWakeUp() -> Instant? {
        var next = port.nextDeadline
        if let p = pending, result == nil, let d = facade.pollDeadline(p.call, p.progress) { next = min(next ?? d, d) }
        return next
    }

    func pass(until t: Double, stopEarly: Bool) {
        let end = ToyStackSystem.instant(t)
        // Bounded: a timer that kept re-arming at the same instant must not hang the run.
        for _ in 0..<1_000_000 {
            if stopEarly && (!outbound.isEmpty || result != nil) { return }
            guard let next = nextWakeUp(), next <= end else { break }
            now = max(now, next)
            port.handleTimeout(at: now)
            drain()
        }
        now = max(now, end)
        drain()
    }

    func takeOutbound() -> [(bytes: [UInt8], time: Double)] {
        defer { outbound.removeAll() }
        return outbound
    }

    func inject(_ bytes: [UInt8], gsoSize: Int?) -> Bool {
        // Passive connections take the listening socket's options when their SYN arrives.
        if let c = facade.listeningConfiguration, c != port.stack.configuration { port.stack.configuration = c }
        port.receive(bytes, at: now)
        drain()
        return true
    }

    func run(_ call: PktSyscall) throws(SyscallError) -> SyscallOutcome {
        begin(call)
        let limit = now + ToyStackSystem.blockingLimit
        while result == nil {
            guard let next = nextWakeUp(), next <= limit else {
                pending = nil
                throw SyscallError(description: "\(call.name) blocks and nothing wakes it: no timer is armed in the stack (the kernel would block for ever too)")
            }
            now = max(now, next)
            port.handleTimeout(at: now)
            drain()
        }
        let (r, _) = result!
        result = nil
        return try r.get()
    }

    func begin(_ call: PktSyscall) {
        result = nil
        pending = (call, ToySocketFacade.Progress(began: now))
        // Drained even when the call blocks: what it sent (a SYN) is sent now.
        drain()
    }

    var finished: (Result<SyscallOutcome, SyscallError>, Double)? {
        guard let r = result else { return nil }
        result = nil
        return r
    }

    func bind(scriptFD: Int32, to live: Int32, underTest: Bool) {
        facade.scriptFDs[scriptFD] = live
        if underTest { self.underTest = live }
    }

    func closed(scriptFD: Int32) { facade.scriptFDs[scriptFD] = nil }

    /// A sysctl changes the configuration of sockets created afterwards (as in Linux).
    func shell(_ command: String) -> (status: Int32, output: String) {
        guard let s = try? ToyStackSystem.settings(command, base: Settings(configuration: facade.base, gso: gsoOn)) else {
            return (1, "unsupported on toytcp: \(command)")
        }
        facade.base = s.configuration
        gsoOn = s.gso
        return (0, "")
    }

    /// The TCP_INFO values the engine has (tcp(7), `struct tcp_info`), from its `ConnectionSnapshot`;
    /// a python block that reads another one (`tcpi_unacked`, `tcpi_lost`, `tcpi_ca_state`, the
    /// chrono and delivery counters …) fails with python's NameError naming it, never passes on a 0.
    func tcpInfoPrelude() -> String {
        guard let fd = underTest, let socket = facade.sockets[fd], let id = socket.connection,
              let s = port.stack.snapshot(id) else { return "" }
        return ToyStackSystem.tcpInfo(s, advertisedMSS: Int(socket.configuration.mss)).map { "\($0.0) = \($0.1)\n" }.joined()
    }

    static func tcpInfo(_ s: ConnectionSnapshot, advertisedMSS: Int) -> [(String, Int64)] {
        func us(_ d: Duration?) -> Int64 { (d?.nanosecondsClamped ?? 0) / 1000 }
        // Linux's numbering of the states (include/net/tcp_states.h).
        let states: [TCPState: Int64] = [.established: 1, .synSent: 2, .synReceived: 3, .finWait1: 4, .finWait2: 5,
                                         .timeWait: 6, .closed: 7, .closeWait: 8, .lastAck: 9, .listen: 10, .closing: 11]
        let inFlight = max(0, s.snd.nxt - s.snd.una)
        return [
            ("tcpi_state", states[s.state] ?? 7),
            ("tcpi_rto", us(s.rto)), ("tcpi_rtt", us(s.srtt)), ("tcpi_rttvar", us(s.rttvar)),
            ("tcpi_snd_mss", Int64(s.mss)), ("tcpi_advmss", Int64(advertisedMSS)),
            ("tcpi_snd_cwnd", Int64(s.cwnd / max(1, s.mss))),
            ("tcpi_snd_ssthresh", Int64(s.ssthresh / max(1, s.mss))), ("tcpi_total_retrans", Int64(s.retransmissions)),
            ("tcpi_snd_wnd", Int64(s.snd.wnd)), ("tcpi_rcv_wnd", Int64(s.rcv.wnd)),
            // write_seq − snd_nxt: queued bytes not sent yet.
            ("tcpi_notsent_bytes", Int64(max(0, s.sendQueued - inFlight))),
        ]
    }
}

