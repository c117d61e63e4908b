import CToyTCPPacketdrill
import Foundation

/// A blocking system call (`+0...0.5 read(…)`) running on its own thread while the script goes on.
final class PendingCall: @unchecked Sendable {
    let call: PktSyscall
    let line: Int
    /// Script time the call must return at (± tolerance).
    let end: Double
    private let lock = NSLock()
    private var outcome: Result<SyscallOutcome, SyscallError>?
    private var finishedAt = 0.0

    init(call: PktSyscall, line: Int, end: Double) {
        self.call = call
        self.line = line
        self.end = end
    }

    func finish(_ r: Result<SyscallOutcome, SyscallError>, at t: Double) {
        lock.lock(); outcome = r; finishedAt = t; lock.unlock()
    }

    var result: (Result<SyscallOutcome, SyscallError>, Double)? {
        lock.lock(); defer { lock.unlock() }
        return outcome.map { ($0, finishedAt) }
    }
}

extension KernelRunner {
    func syscall(_ call: PktSyscall, event: PktEvent, at t: Double) throws {
        let line = event.location.line
        if let endOffset = event.time.end {
            let end = (event.time.kind == .absolute ? 0 : t - event.time.start) + endOffset
            let p = PendingCall(call: call, line: line, end: max(end, t))
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
            return
        }
        let outcome: SyscallOutcome
        do { outcome = try calls.run(call) } catch { throw Failure(line: line, message: "\(error)") }
        try check(call, outcome, line: line)
    }

    /// Waits for the blocking call (until script time `deadline`; nil: as long as it takes, at most
    /// its end + 10 s) and checks it.
    func finishPending(deadline: Double?, line: Int = 0) throws {
        guard let p = pending else { return }
        let limit = deadline ?? (p.end + 10)
        while p.result == nil {
            if elapsed() >= limit {
                if deadline == nil {
                    throw Failure(line: p.line, message: "error: \(p.call.name) did not return (expected it to by \(String(format: "%.6f", p.end)) sec)")
                }
                return
            }
            drainTun(timeout: 0.001)
        }
        pending = nil
        let (r, at) = p.result!
        let outcome: SyscallOutcome
        switch r {
        case .success(let o): outcome = o
        case .failure(let e): throw Failure(line: p.line, message: "\(e)")
        }
        try check(p.call, outcome, line: p.line)
        if abs(at - p.end) > options.tolerance {
            throw Failure(line: p.line, message: String(format: "error: timing error: expected system call to return at %.6f sec but happened at %.6f sec; tolerance %.6f sec", p.end, at, options.tolerance))
        }
    }

    /// Compares a call's return value, errno and outputs with the script; binds fds it returned.
    func check(_ call: PktSyscall, _ o: SyscallOutcome, line: Int) throws {
        for (s, l) in o.newFDs { calls.fds[s] = l }
        let expected: Int64
        do { expected = try KernelSyscalls.value(call.result) } catch { throw Failure(line: line, message: "\(error)") }
        let actualText = o.result < 0 ? "\(o.result) (\(PktSymbols.errnoName(o.errno)))" : "\(o.result)"
        if KernelSyscalls.returnsFD.contains(call.name), expected >= 0, o.result >= 0 {
            calls.fds[Int32(expected)] = Int32(o.result)
            if call.name == "socket" || call.name.hasPrefix("accept") { socketUnderTest = Int32(o.result) }
        } else if call.result != .ellipsis && o.result != expected {
            throw Failure(line: line, message: "error: \(call.name)(...) returned \(actualText) but expected \(expected)\(call.errno.map { " (\($0))" } ?? "")")
        }
        if expected < 0, let name = call.errno {
            guard let want = PktSymbols.errnos[name] else { throw Failure(line: line, message: "unknown errno name '\(name)'") }
            if want != o.errno {
                throw Failure(line: line, message: "error: \(call.name)(...) expected errno \(name) (\(want)) but got \(PktSymbols.errnoName(o.errno)) (\(o.errno))")
            }
        }
        if let m = o.outputMismatch { throw Failure(line: line, message: "error: \(call.name)(...): \(m)") }
        if call.name == "close", let live = calls.fds[Int32(truncatingIfNeeded: (try? KernelSyscalls.value(call.arguments.first ?? .ellipsis)) ?? -1)], o.result == 0 {
            calls.fds = calls.fds.filter { $0.value != live }
        }
    }

    // MARK: Python

    /// Runs a `%{ … }%` block in python3 with the `tcpi_*` values of TCP_INFO (and `SK_MEMINFO_*`) of
    /// the socket under test bound, as packetdrill does.
    func pythonSource(_ code: String, line: Int) -> String {
        var prelude = "import sys\n"
        for (k, v) in PktSymbols.python.sorted(by: { $0.key < $1.key }) { prelude += "\(k) = \(v)\n" }
        if let fd = socketUnderTest {
            var buf = [UInt8](repeating: 0, count: 512)
            var len: Int32 = 512
            if pktd_tcp_info(fd, &buf, &len) == 0 {
                for (name, off, size) in KernelRunner.tcpInfoLayout where off + size <= Int(len) {
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
        }
        var lines = code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let f = lines.first, f.trimmed.isEmpty { lines.removeFirst() }
        while let l = lines.last, l.trimmed.isEmpty { lines.removeLast() }
        let indent = lines.dropFirst().filter { !$0.trimmed.isEmpty }.map { $0.prefix { $0 == " " || $0 == "\t" }.count }.min() ?? 0
        let body = ([lines.first?.trimmed ?? ""] + lines.dropFirst().map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " || $0 == "\t" }.count))) })
            .joined(separator: "\n")
        return prelude + "exec(compile(" + KernelRunner.pythonString(body) + ", " + KernelRunner.pythonString("\(script.file):\(line)") + ", 'exec'))\n"
    }

    func runPython(_ text: String, line: Int) throws {
        let path = "/tmp/pktdrill-\(getpid())-\(line).py"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw Failure(line: line, message: "cannot write \(path)")
        }
        defer { unlink(path) }
        var out = ""
        let status = Shell.run("python3 \(path)") { out += $0 }
        if status != 0 {
            throw Failure(line: line, message: "error in python code: status \(status)\n" + out)
        }
        if !out.isEmpty { output(out) }
    }

    static func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            .replacingOccurrences(of: "\n", with: "\\n") + "'"
    }

    /// `struct tcp_info` (include/uapi/linux/tcp.h): name, byte offset, size.
    static let tcpInfoLayout: [(String, Int, Int)] = {
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
