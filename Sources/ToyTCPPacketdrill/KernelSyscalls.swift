import CToyTCPPacketdrill
import Foundation

/// What one system call did: its return value and errno, a description of an output that differs from
/// the script (a getsockopt value, a cmsg, epoll events), and script fds it bound to live ones.
struct SyscallOutcome: Sendable {
    var result: Int64
    var errno: Int32
    var outputMismatch: String?
    var newFDs: [(script: Int32, live: Int32)] = []
}

struct SyscallError: Error, CustomStringConvertible { var description: String }

/// System calls of a script run on real kernel sockets: script fds are mapped to live ones, `...`
/// buffers are zero-filled, addresses are the run's (bind: local:8080, connect/sendto: remote:8080).
struct KernelSyscalls: Sendable {
    /// local:8080 and remote:8080 in the run's family (`PktAddressing.swift`).
    var local: PktSocketAddress
    var remote: PktSocketAddress
    /// What `socket(..., …)` means by `...`: AF_INET, or AF_INET6 in an IPv6 or IPv4-mapped run.
    var family: Int32 = AF_INET
    var fds: [Int32: Int32] = [:]
    /// CLOCK_REALTIME of script time 0, and the tolerance: SCM_TIMESTAMPING values are script times.
    var realtimeStart = 0.0
    var tolerance = 0.004
    static let port: UInt16 = 8080

    func live(_ fd: Int32) -> Int32 { fds[fd] ?? fd }

    /// The integer an argument stands for (names, `a|b`, `[v]` as v).
    static func value(_ e: PktExpr) throws(SyscallError) -> Int64 {
        switch e {
        case .integer(let v): return v
        case .symbol(let s):
            if let v = PktSymbols.values[s] ?? PktSymbols.python[s] { return v }
            throw SyscallError(description: "unknown symbol '\(s)'")
        case .or(let xs):
            var v: Int64 = 0
            for x in xs { v |= try value(x) }
            return v
        case .list(let xs) where xs.count == 1: return try value(xs[0])
        case .ellipsis: return 0
        default: throw SyscallError(description: "expected a number, got \(e)")
        }
    }

    func fdArg(_ args: [PktExpr], _ i: Int) throws(SyscallError) -> Int32 {
        guard i < args.count else { throw SyscallError(description: "missing argument \(i + 1)") }
        return live(Int32(truncatingIfNeeded: try KernelSyscalls.value(args[i])))
    }

    func intArg(_ args: [PktExpr], _ i: Int) throws(SyscallError) -> Int64 {
        guard i < args.count else { throw SyscallError(description: "missing argument \(i + 1)") }
        return try KernelSyscalls.value(args[i])
    }

    static func isNull(_ e: PktExpr) -> Bool { e == .symbol("NULL") }

    /// Runs `call` (on the calling thread; it may block).
    func run(_ call: PktSyscall) throws(SyscallError) -> SyscallOutcome {
        let a = call.arguments
        var mismatch: String?
        var newFDs: [(Int32, Int32)] = []
        let r: Int
        switch call.name {
        case "socket":
            var domain = try intArg(a, 0)
            if a[0] == .ellipsis { domain = Int64(family) }
            r = Int(socket(Int32(domain), Int32(try intArg(a, 1)), Int32(try intArg(a, 2))))
        case "bind":
            let fd = try fdArg(a, 0)
            r = Int(local.withSockaddr { Glibc.bind(fd, $0, $1) })
        case "listen":
            r = Int(listen(try fdArg(a, 0), Int32(try intArg(a, 1))))
        case "accept", "accept4":
            r = Int(pktd_accept(try fdArg(a, 0)))
        case "connect":
            // `connect(fd, AF_UNSPEC, ...)` disconnects (tcp_disconnect).
            let unspec = a.count > 1 && a[1] == .symbol("AF_UNSPEC")
            let fd = try fdArg(a, 0)
            r = Int(unspec ? pktd_connect_unspec(fd) : remote.withSockaddr { Glibc.connect(fd, $0, $1) })
        case "read", "write", "send", "recv", "sendto", "recvfrom":
            let fd = try fdArg(a, 0)
            let n = Int(try intArg(a, 2))
            let null = a.count > 1 && KernelSyscalls.isNull(a[1])
            var buf = [UInt8](repeating: 0, count: max(n, 1))
            let flags = a.count > 3 ? Int32(try intArg(a, 3)) : 0
            r = buf.withUnsafeMutableBytes { b -> Int in
                let p: UnsafeMutableRawPointer? = null ? nil : b.baseAddress
                switch call.name {
                case "read": return Glibc.read(fd, p, n)
                case "write": return Glibc.write(fd, p, n)
                case "send": return Glibc.send(fd, p, n, flags)
                case "recv", "recvfrom": return Glibc.recv(fd, p, n, flags)
                default:
                    // sendto with `...` for the address: connected sockets ignore it; MSG_FASTOPEN uses it.
                    return remote.withSockaddr { Glibc.sendto(fd, p, n, flags, $0, $1) }
                }
            }
        case "sendmsg":
            let fd = try fdArg(a, 0)
            guard a.count >= 3 else { throw SyscallError(description: "sendmsg needs 3 arguments") }
            var lengths: [Int] = []
            if case .list(let iovs)? = a[1].field("msg_iov") {
                for iov in iovs {
                    if case .structure(let f) = iov, f.count == 2 { lengths.append(Int(try KernelSyscalls.value(f[1].value))) }
                }
            }
            let flags = Int32(try intArg(a, 2))
            let named = a[1].field("msg_name") != nil && a[1].field("msg_name") != .ellipsis
            r = lengths.withUnsafeBufferPointer { l in
                named ? remote.withSockaddr { pktd_sendmsg(fd, l.baseAddress, Int32(l.count), flags, $0, $1) }
                      : pktd_sendmsg(fd, l.baseAddress, Int32(l.count), flags, nil, 0)
            }
        case "recvmsg":
            let fd = try fdArg(a, 0)
            guard a.count >= 3 else { throw SyscallError(description: "recvmsg needs 3 arguments") }
            // A stream socket fills the iovecs in order: one buffer of their total length reads the same.
            var n = 0
            if case .list(let iovs)? = a[1].field("msg_iov") {
                for case .structure(let f) in iovs where f.count == 2 { n += Int(try KernelSyscalls.value(f[1].value)) }
            }
            let flags = Int32(try intArg(a, 2))
            var buf = [UInt8](repeating: 0, count: max(n, 1))
            var msgFlags: Int32 = 0
            var cmsgs = [pktd_cmsg](repeating: pktd_cmsg(), count: 8)
            var count: Int32 = 0
            r = pktd_recvmsg(fd, &buf, n, flags, &msgFlags, &cmsgs, 8, &count)
            if r >= 0 {
                if let want = a[1].field("msg_flags"), want != .ellipsis {
                    let w = try KernelSyscalls.value(want)
                    if Int64(msgFlags) != w { mismatch = "msg_flags: expected \(w) vs actual \(msgFlags)" }
                }
                if mismatch == nil, let control = a[1].field("msg_control") {
                    mismatch = try Self.checkCmsgs(control, Array(cmsgs.prefix(Int(count))), realtimeStart: realtimeStart, tolerance: tolerance)
                }
            }
        case "close":
            r = Int(Glibc.close(try fdArg(a, 0)))
        case "shutdown":
            r = Int(Glibc.shutdown(try fdArg(a, 0), Int32(try intArg(a, 1))))
        case "setsockopt":
            let fd = try fdArg(a, 0)
            let level = Int32(try intArg(a, 1)), name = Int32(try intArg(a, 2))
            guard a.count >= 5 else { throw SyscallError(description: "setsockopt needs 5 arguments") }
            let len = Int(try intArg(a, 4))
            var bytes: [UInt8]
            switch a[3] {
            case .string(let s): bytes = s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            case .list(let xs) where xs.count == 1:
                var v = Int32(truncatingIfNeeded: try KernelSyscalls.value(xs[0]))
                bytes = withUnsafeBytes(of: &v) { Array($0) }
            case .list(let xs):
                bytes = []
                for x in xs {
                    var v = Int32(truncatingIfNeeded: try KernelSyscalls.value(x))
                    bytes += withUnsafeBytes(of: &v) { Array($0) }
                }
            case .integer, .symbol, .or:
                var v = Int32(truncatingIfNeeded: try KernelSyscalls.value(a[3]))
                bytes = withUnsafeBytes(of: &v) { Array($0) }
            default:
                throw SyscallError(description: "setsockopt value \(a[3]) is not supported")
            }
            if bytes.count < len { bytes += [UInt8](repeating: 0, count: len - bytes.count) }
            r = Int(setsockopt(fd, level, name, bytes, socklen_t(len)))
        case "getsockopt":
            let fd = try fdArg(a, 0)
            let level = Int32(try intArg(a, 1)), name = Int32(try intArg(a, 2))
            guard a.count >= 5 else { throw SyscallError(description: "getsockopt needs 5 arguments") }
            var len = Int32(try intArg(a, 4))
            var buf = [UInt8](repeating: 0, count: max(Int(len), 4))
            r = Int(pktd_getsockopt(fd, level, name, &buf, &len))
            if r == 0, a[3] != .ellipsis {
                let want = try KernelSyscalls.value(a[3])
                let got = Int64(buf.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) })
                if got != want { mismatch = "getsockopt value: expected \(want) vs actual \(got)" }
            }
        case "fcntl":
            let fd = try fdArg(a, 0)
            let cmd = Int32(try intArg(a, 1))
            r = Int(a.count > 2 ? pktd_fcntl1(fd, cmd, Int(try intArg(a, 2))) : pktd_fcntl0(fd, cmd))
        case "ioctl":
            let fd = try fdArg(a, 0)
            var v: Int32 = 0
            r = Int(pktd_ioctl_int(fd, UInt(try intArg(a, 1)), &v))
            if r == 0, a.count > 2, a[2] != .ellipsis {
                let want = try KernelSyscalls.value(a[2])
                if Int64(v) != want { mismatch = "ioctl value: expected \(want) vs actual \(v)" }
            }
        case "epoll_create", "epoll_create1":
            r = Int(call.name == "epoll_create" ? epoll_create(Int32(try intArg(a, 0))) : epoll_create1(Int32(try intArg(a, 0))))
        case "epoll_ctl":
            let ep = try fdArg(a, 0)
            let op = Int32(try intArg(a, 1))
            let fd = try fdArg(a, 2)
            var events: Int64 = 0, data: Int64 = 0
            if a.count > 3, let e = a[3].field("events") { events = try KernelSyscalls.value(e) }
            if a.count > 3, let f = a[3].field("fd") { data = try KernelSyscalls.value(f) }
            if a.count > 3, let p = a[3].field("ptr") { data = try KernelSyscalls.value(p) }
            r = Int(pktd_epoll_ctl(ep, op, fd, UInt32(truncatingIfNeeded: events), UInt64(truncatingIfNeeded: data)))
        case "epoll_wait":
            let ep = try fdArg(a, 0)
            let max = Int32(try intArg(a, 2)), timeout = Int32(try intArg(a, 3))
            var ev = [UInt32](repeating: 0, count: 64), data = [UInt64](repeating: 0, count: 64)
            r = Int(pktd_epoll_wait(ep, &ev, &data, max, timeout))
            if r > 0, case .structure = a[1], let we = a[1].field("events") {
                let want = try KernelSyscalls.value(we)
                if Int64(ev[0]) != want { mismatch = "epoll_wait events: expected \(want) vs actual \(ev[0])" }
                if let wf = a[1].field("fd"), Int64(data[0]) != (try KernelSyscalls.value(wf)) {
                    mismatch = "epoll_wait fd: expected \(wf) vs actual \(data[0])"
                }
            }
        case "poll":
            guard a.count >= 3, case .list(let items) = a[0] else { throw SyscallError(description: "poll needs [{fd=…, events=…, revents=…}]") }
            var pfds: [pollfd] = []
            for it in items {
                pfds.append(pollfd(fd: live(Int32(try KernelSyscalls.value(it.field("fd") ?? .integer(-1)))),
                                   events: Int16(truncatingIfNeeded: try KernelSyscalls.value(it.field("events") ?? .integer(0))), revents: 0))
            }
            r = Int(Glibc.poll(&pfds, nfds_t(pfds.count), Int32(try intArg(a, 2))))
            for (i, it) in items.enumerated() {
                if let w = it.field("revents"), Int64(pfds[i].revents) != (try KernelSyscalls.value(w)) {
                    mismatch = "poll revents: expected \(w) vs actual \(pfds[i].revents)"
                }
            }
        case "pipe":
            var p: [Int32] = [-1, -1]
            r = Int(pktd_pipe(&p))
            if r == 0, case .list(let xs) = a.first ?? .ellipsis, xs.count == 2 {
                newFDs.append((Int32(try KernelSyscalls.value(xs[0])), p[0]))
                newFDs.append((Int32(try KernelSyscalls.value(xs[1])), p[1]))
            }
        case "splice":
            let from = try fdArg(a, 0), to = try fdArg(a, 2)
            r = pktd_splice(from, to, Int(try intArg(a, 4)), UInt32(try intArg(a, 5)))
        case "open":
            guard case .string(let path)? = a.first else { throw SyscallError(description: "open needs a path") }
            r = Int(pktd_open(path, Int32(try intArg(a, 1))))
        case "sendfile":
            r = pktd_sendfile(try fdArg(a, 0), try fdArg(a, 1), Int(try intArg(a, 3)))
        default:
            throw SyscallError(description: "unsupported system call '\(call.name)'")
        }
        let e = r < 0 ? pktd_errno() : 0
        return SyscallOutcome(result: Int64(r), errno: e, outputMismatch: mismatch, newFDs: newFDs)
    }

    /// The calls `run` knows; any other is an error before the script starts.
    static let supported: Set<String> = [
        "socket", "bind", "listen", "accept", "accept4", "connect", "read", "write", "send", "recv", "sendto",
        "recvfrom", "sendmsg", "recvmsg", "close", "shutdown", "setsockopt", "getsockopt", "fcntl", "ioctl",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "poll", "pipe", "splice", "open", "sendfile",
    ]

    static let returnsFD: Set<String> = ["socket", "accept", "accept4", "epoll_create", "epoll_create1", "open"]

    /// Compares the control messages a call returned with the script's `msg_control=[{cmsg_level=…, …}]`;
    /// nil when they match. Timestamps are read as script time, within `tolerance` seconds: wall-clock
    /// seconds minus `realtimeStart` (the kernel), or virtual seconds with `realtimeStart` 0 (the façade).
    static func checkCmsgs(_ want: PktExpr, _ got: [pktd_cmsg], realtimeStart: Double,
                           tolerance: Double = 0.004) throws(SyscallError) -> String? {
        let value = KernelSyscalls.value
        guard case .list(let items) = want else { return nil }
        guard items.count == got.count else { return "msg_control: expected \(items.count) cmsgs vs actual \(got.count)" }
        for (w, g) in zip(items, got) {
            var g = g
            let data: [UInt8] = withUnsafeBytes(of: &g.data) { Array($0.prefix(Int(g.length))) }
            if let l = w.field("cmsg_level"), try value(l) != Int64(g.level) {
                return "cmsg_level: expected \(l) vs actual \(g.level)"
            }
            if let t = w.field("cmsg_type"), try value(t) != Int64(g.type) {
                return "cmsg_type: expected \(t) vs actual \(g.type)"
            }
            guard let d = w.field("cmsg_data") else { continue }
            func u32(_ at: Int) -> Int64 {
                guard at + 4 <= data.count else { return -1 }
                return Int64(UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24)
            }
            switch d {
            case .integer, .symbol, .or:
                let v = try value(d)
                if u32(0) != v { return "cmsg_data: expected \(v) vs actual \(u32(0))" }
            case .structure(let fields) where fields.contains(where: { $0.name == "scm_sec" }):
                // struct scm_timestamping: the software stamp (tv_sec, tv_nsec as 64-bit), in script time.
                func i64(_ at: Int) -> Double {
                    guard at + 8 <= data.count else { return -1 }
                    var v: UInt64 = 0
                    for k in 0..<8 { v |= UInt64(data[at + k]) << (8 * UInt64(k)) }
                    return Double(Int64(bitPattern: v))
                }
                let got = i64(0) + i64(8) / 1e9 - realtimeStart
                var sec: Int64 = 0, nsec: Int64 = 0
                for f in fields {
                    if f.name == "scm_sec" { sec = try value(f.value) }
                    if f.name == "scm_nsec" { nsec = try value(f.value) }
                }
                let want = Double(sec) + Double(nsec) / 1e9
                if abs(got - want) > tolerance {
                    return String(format: "scm_timestamping: expected %.6f sec vs actual %.6f sec (tolerance %.6f)", want, got, tolerance)
                }
            case .structure(let fields):
                // struct sock_extended_err: u32 ee_errno; u8 origin, type, code, pad; u32 info, data.
                let layout: [String: (Int, Int)] = ["ee_errno": (0, 4), "ee_origin": (4, 1), "ee_type": (5, 1),
                                                    "ee_code": (6, 1), "ee_info": (8, 4), "ee_data": (12, 4)]
                for f in fields {
                    guard let name = f.name, let (at, size) = layout[name] else {
                        if f.name == nil || f.value == .ellipsis { continue }
                        throw SyscallError(description: "cmsg_data field '\(f.name ?? "")' is not supported")
                    }
                    if f.value == .ellipsis { continue }
                    let v = try value(f.value)
                    let got = size == 4 ? u32(at) : (at < data.count ? Int64(data[at]) : -1)
                    if got != v { return "cmsg_data \(name): expected \(v) vs actual \(got)" }
                }
            default:
                continue
            }
        }
        return nil
    }
}
