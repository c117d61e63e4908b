import CToyTCPPacketdrill
import Foundation
import ToyTCPScript
import ToyTCPWire

/// The Linux kernel as the system under test, as packetdrill runs it: a tun device in a private
/// namespace (inbound packets written to it, outbound ones sniffed from it with the kernel's
/// timestamps), system calls on real sockets, the real monotonic clock.
final class KernelSystem: PktSystemUnderTest {
    let name = "kernel"
    let options: PktRunOptions
    var net: KernelNamespace!
    var calls: KernelSyscalls
    var start = 0.0
    var outbound: [(bytes: [UInt8], time: Double)] = []
    var pending: PendingCall?
    var socketUnderTest: Int32?
    /// CLOCK_REALTIME - CLOCK_MONOTONIC: sniffed packets carry realtime stamps.
    let realtimeOffset = pktd_realtime_offset()
    let debug: ((String) -> Void)?

    init(options: PktRunOptions, debug: ((String) -> Void)?) {
        self.options = options
        self.debug = debug
        let v = options.ipVersion
        calls = KernelSyscalls(local: PktSocketAddress(options.wireLocal, port: KernelSyscalls.port, version: v),
                               remote: PktSocketAddress(options.wireRemote, port: KernelSyscalls.port, version: v),
                               family: v.socketFamily)
    }

    func unsupported(_ event: PktEvent) -> String? {
        if case .syscall(let call) = event.kind, !KernelSyscalls.supported.contains(call.name) {
            return "unsupported system call '\(call.name)'"
        }
        return nil
    }

    func setUp() throws {
        net = try KernelNamespace(local: options.wireLocal?.description ?? options.local, remote: options.remote,
                                  gateway: options.gateway, netmask: options.netmask, mtu: options.mtu)
        // Scripts are timed to a few milliseconds: run ahead of builds and other work on a busy machine,
        // as packetdrill does (run.c set_scheduling_priority: SCHED_RR at the lowest real-time priority
        // when there is more than one CPU; threads and commands started later inherit it). The kernel's
        // handling of what we write to tun0 runs in our thread, so it is on time too. Needs root, which
        // a kernel run has anyway; where it is refused, a high nice value at least.
        var rr = sched_param(sched_priority: sched_get_priority_min(SCHED_RR))
        if sysconf(Int32(_SC_NPROCESSORS_ONLN)) <= 1 || sched_setscheduler(0, SCHED_RR, &rr) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, -15)
        }
        // A write on a reset connection must fail with EPIPE, not end the run (packetdrill ignores it too).
        signal(SIGPIPE, SIG_IGN)
        // set_sysctls.py names its restore script after packetdrill's pid.
        setenv("PACKETDRILL_PID", String(getpid()), 1)
        start = now()
        calls.realtimeStart = start + realtimeOffset
        calls.tolerance = options.tolerance
    }

    func tearDown() {
        for fd in calls.fds.values { close(fd) }
        net?.close()
        unlink("/tmp/sysctl_restore_\(getpid()).sh")
    }

    // MARK: Time

    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func elapsed() -> Double { now() - start }

    func pass(until t: Double, stopEarly: Bool) {
        while true {
            drainTun(timeout: 0)
            if stopEarly && (!outbound.isEmpty || pending?.result != nil) { return }
            let left = t - elapsed()
            if left <= 0 { return }
            if stopEarly {
                drainTun(timeout: min(left, stopEarlyStep))
            } else if left > 0.0015 {
                drainTun(timeout: min(left - 0.0012, 0.005))
            } else {
                // The last stretch slept precisely: poll's millisecond granularity would make us late.
                var ts = timespec(tv_sec: 0, tv_nsec: Int(left * 1e9))
                nanosleep(&ts, nil)
            }
        }
    }

    /// How often a wait for a packet or a blocking call looks at the call's thread.
    var stopEarlyStep: Double { pending == nil ? 0.01 : 0.001 }

    func takeOutbound() -> [(bytes: [UInt8], time: Double)] {
        drainTun(timeout: 0)
        defer { outbound.removeAll() }
        return outbound
    }

    /// Where packets are read into (one buffer for the run: no allocation in the waiting loop).
    var buf = [UInt8](repeating: 0, count: 70000)

    /// `struct virtio_net_hdr` (no GSO asked for on what we write).
    static let vnetHeader = 10

    /// Reads what the kernel sent: from the AF_PACKET sniffer, timed by the kernel, when there is one
    /// (as packetdrill does); tun0 itself is drained so its queue never fills.
    func drainTun(timeout: Double) {
        let watched = net.sniffer >= 0 ? net.sniffer : net.tun
        var p = pollfd(fd: watched, events: Int16(POLLIN), revents: 0)
        if timeout > 0 { _ = poll(&p, 1, Int32(max(1, (timeout * 1000).rounded(.down)))) }
        while true {
            let r = read(net.tun, &buf, buf.count)
            if r <= KernelSystem.vnetHeader { break }
            if net.sniffer >= 0 { continue }
            // No sniffer: take the packet from tun0, behind its virtio_net_hdr, timed now.
            keep(Array(buf[KernelSystem.vnetHeader..<r]), at: elapsed())
        }
        guard net.sniffer >= 0 else { return }
        while true {
            var outgoing: Int32 = 0
            var when = 0.0
            let n = pktd_packet_recv(net.sniffer, &buf, buf.count, &outgoing, &when)
            if n <= 0 { return }
            guard outgoing != 0 else { continue }
            let t = when > 0 ? when - realtimeOffset - start : elapsed()
            keep(Array(buf[0..<n]), at: t)
        }
    }

    func keep(_ bytes: [UInt8], at t: Double) {
        debug?(String(format: "# %.6f tun0 %d bytes: ", t, bytes.count) + bytes.prefix(40).map { String($0, radix: 16) }.joined(separator: " "))
        outbound.append((bytes, t))
    }

    /// Writes one IP packet to tun0 behind a virtio_net_hdr.
    func inject(_ bytes: [UInt8], gsoSize: Int?) -> Bool {
        var header = [UInt8](repeating: 0, count: KernelSystem.vnetHeader)
        if let gsoSize {
            // VIRTIO_NET_HDR_GSO_TCPV4 (1) or _TCPV6 (4) with gso_size: the kernel takes it as a
            // GRO-merged burst.
            header[1] = bytes.first.map { $0 >> 4 } == 6 ? 4 : 1
            header[4] = UInt8(gsoSize & 0xFF); header[5] = UInt8(gsoSize >> 8)
        }
        let framed = header + bytes
        let n = framed.withUnsafeBytes { write(net.tun, $0.baseAddress, $0.count) }
        return n == framed.count
    }

    // MARK: System calls

    func run(_ call: PktSyscall) throws(SyscallError) -> SyscallOutcome { try calls.run(call) }

    /// The call runs on its own thread while the script goes on.
    func begin(_ call: PktSyscall) {
        let p = PendingCall()
        let calls = self.calls
        let started = start
        let thread = Thread {
            let r = Result<SyscallOutcome, SyscallError> { () throws(SyscallError) -> SyscallOutcome in try calls.run(call) }
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            p.finish(r, at: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 - started)
        }
        thread.start()
        pending = p
    }

    var finished: (Result<SyscallOutcome, SyscallError>, Double)? {
        guard let r = pending?.result else { return nil }
        pending = nil
        return r
    }

    func bind(scriptFD: Int32, to live: Int32, underTest: Bool) {
        calls.fds[scriptFD] = live
        if underTest { socketUnderTest = live }
    }

    func closed(scriptFD: Int32) {
        guard let live = calls.fds[scriptFD] else { return }
        calls.fds = calls.fds.filter { $0.value != live }
    }

    func shell(_ command: String) -> (status: Int32, output: String) {
        var text = ""
        let began = now()
        let status = Shell.run(Shell.withInterpreter(command)) { text += $0 }
        // The command's own run time does not count against the script's timeline (packetdrill).
        start += now() - began
        calls.realtimeStart = start + realtimeOffset
        return (status, text)
    }

    /// The `tcpi_*` values of TCP_INFO and `SK_MEMINFO_*` of the socket under test, as packetdrill binds them.
    func tcpInfoPrelude() -> String {
        guard let fd = socketUnderTest else { return "" }
        var prelude = ""
        var buf = [UInt8](repeating: 0, count: 512)
        var len: Int32 = 512
        if pktd_tcp_info(fd, &buf, &len) == 0 {
            for (name, off, size) in TCPInfoLayout.fields where off + size <= Int(len) {
                var v: UInt64 = 0
                for i in 0..<size { v |= UInt64(buf[off + i]) << (8 * UInt64(i)) }
                if name == "tcpi_snd_wscale" { prelude += "tcpi_snd_wscale = \(v & 15)\ntcpi_rcv_wscale = \(v >> 4)\n"; continue }
                if name == "tcpi_delivery_rate_app_limited" { prelude += "\(name) = \(v & 1)\ntcpi_fastopen_client_fail = \((v >> 1) & 3)\n"; continue }
                prelude += "\(name) = \(v)\n"
            }
        }
        var mem = [UInt8](repeating: 0, count: 64)
        var mlen: Int32 = 64
        if pktd_getsockopt(fd, 1, 55, &mem, &mlen) == 0 {
            let names = ["RMEM_ALLOC", "RCVBUF", "WMEM_ALLOC", "SNDBUF", "FWD_ALLOC", "WMEM_QUEUED", "OPTMEM", "BACKLOG", "DROPS"]
            for (i, n) in names.enumerated() where i * 4 + 4 <= Int(mlen) {
                let v = UInt32(mem[i * 4]) | UInt32(mem[i * 4 + 1]) << 8 | UInt32(mem[i * 4 + 2]) << 16 | UInt32(mem[i * 4 + 3]) << 24
                prelude += "SK_MEMINFO_\(n) = \(v)\n"
            }
        }
        return prelude
    }
}

/// A blocking system call (`+0...0.5 read(…)`) running on its own thread while the script goes on.
final class PendingCall: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<SyscallOutcome, SyscallError>?
    private var finishedAt = 0.0

    func finish(_ r: Result<SyscallOutcome, SyscallError>, at t: Double) {
        lock.lock(); outcome = r; finishedAt = t; lock.unlock()
    }

    var result: (Result<SyscallOutcome, SyscallError>, Double)? {
        lock.lock(); defer { lock.unlock() }
        return outcome.map { ($0, finishedAt) }
    }
}

/// `struct tcp_info` (include/uapi/linux/tcp.h): name, byte offset, size.
enum TCPInfoLayout {
    static let fields: [(String, Int, Int)] = {
        var out: [(String, Int, Int)] = []
        let u8s = ["tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_probes", "tcpi_backoff", "tcpi_options",
                   "tcpi_snd_wscale", "tcpi_delivery_rate_app_limited"]
        for (i, n) in u8s.enumerated() { out.append((n, i, 1)) }
        var off = 8
        func add(_ names: [String], _ size: Int) { for n in names { out.append(("tcpi_" + n, off, size)); off += size } }
        add(["rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans", "fackets", "last_data_sent",
             "last_ack_sent", "last_data_recv", "last_ack_recv", "pmtu", "rcv_ssthresh", "rtt", "rttvar", "snd_ssthresh",
             "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space", "total_retrans"], 4)
        add(["pacing_rate", "max_pacing_rate", "bytes_acked", "bytes_received"], 8)
        add(["segs_out", "segs_in", "notsent_bytes", "min_rtt", "data_segs_in", "data_segs_out"], 4)
        add(["delivery_rate", "busy_time", "rwnd_limited", "sndbuf_limited"], 8)
        add(["delivered", "delivered_ce"], 4)
        add(["bytes_sent", "bytes_retrans"], 8)
        add(["dsack_dups", "reord_seen", "rcv_ooopack", "snd_wnd", "rcv_wnd", "rehash"], 4)
        add(["total_rto", "total_rto_recoveries"], 2)
        add(["total_rto_time"], 4)
        return out
    }()
}
