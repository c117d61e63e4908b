import CToyTCPPacketdrill
import ToyTCPEngine

/// `sendmsg` and `recvmsg` (sendmsg(2), recvmsg(2), tcp(7)) over the same send and receive paths as
/// `write` and `read`: the iovecs' lengths add up to one transfer (a stream socket has no record
/// boundaries), the flags are `write`'s and `read`'s, and the control messages are those our stack
/// can honour: `TCP_CM_INQ` (the bytes left to read after the call, with `TCP_INQ` set), nothing else.
extension ToySocketFacade {
    /// Flags a stream socket's `sendmsg`/`send` honours here: MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE
    /// (more data follows: hold a partial segment, as TCP_CORK does for one call), MSG_ZEROCOPY (the
    /// kernel's buffer ownership only; the segments on the wire are the same).
    static let sendFlags: Int64 = 0x40 | 0x4000 | 0x8000 | 0x4000000
    /// Flags `recv` honours: MSG_DONTWAIT; `recvmsg` also reads the error queue (MSG_ERRQUEUE).
    static let receiveFlags: Int64 = 0x40
    static let errorQueueFlag: Int64 = 0x2000

    /// Why the façade cannot run this `sendmsg`/`recvmsg`, checked before the script starts (so the
    /// error has the line and column): flags and control messages it does not model.
    static func unsupportedArguments(_ call: PktSyscall) -> String? {
        let a = call.arguments
        switch call.name {
        case "sendmsg", "recvmsg":
            guard a.count >= 3, case .structure = a[1] else { return nil }
            let flags = (try? KernelSyscalls.value(a[2])) ?? 0
            let allowed = call.name == "sendmsg" ? sendFlags : receiveFlags | errorQueueFlag
            if flags & ~allowed != 0 { return "unsupported on toytcp: \(call.name) flags \(a[2])" }
            guard let control = a[1].field("msg_control"), control != .ellipsis else { return nil }
            guard case .list(let items) = control else { return "unsupported on toytcp: msg_control \(control)" }
            if call.name == "sendmsg" && !items.isEmpty { return "unsupported on toytcp: sendmsg control messages \(control)" }
            for item in items {
                let level = item.field("cmsg_level").flatMap { try? KernelSyscalls.value($0) }
                let type = item.field("cmsg_type").flatMap { try? KernelSyscalls.value($0) }
                // SOL_TCP, TCP_CM_INQ; from the error queue SOL_IP, IP_RECVERR (SOL_IPV6, IPV6_RECVERR on an
                // AF_INET6 socket) and SOL_SOCKET, SCM_TIMESTAMPING.
                let errorQueue = flags & errorQueueFlag != 0
                let recvErr = (level == 0 && type == 11) || (level == 41 && type == 25)
                if !(level == 6 && type == 36) && !(errorQueue && (recvErr || (level == 1 && type == 37))) {
                    let what = [item.field("cmsg_level"), item.field("cmsg_type")].compactMap { $0?.description }.joined(separator: ", ")
                    return "unsupported on toytcp: control message \(what) (only SOL_TCP, TCP_CM_INQ, and the error queue's IP_RECVERR and SCM_TIMESTAMPING)"
                }
                // MSG_ZEROCOPY (5) and timestamping (4) only: ICMP errors do not reach the engine.
                if recvErr, let origin = item.field("cmsg_data")?.field("ee_origin"), ![4, 5].contains(try? KernelSyscalls.value(origin)) {
                    return "unsupported on toytcp: error-queue origin \(origin) (only SO_EE_ORIGIN_ZEROCOPY and SO_EE_ORIGIN_TIMESTAMPING)"
                }
            }
            return nil
        case "send", "sendto", "recv", "recvfrom":
            guard a.count > 3, let flags = try? KernelSyscalls.value(a[3]) else { return nil }
            let allowed = call.name.hasPrefix("send") ? sendFlags : receiveFlags
            return flags & ~allowed == 0 ? nil : "unsupported on toytcp: \(call.name) flags \(a[3])"
        default:
            return nil
        }
    }

    /// The total length of `msg_iov=[{…, LEN}, …]`, and whether a base pointer is NULL (EFAULT).
    func iovecs(_ message: PktExpr) throws(SyscallError) -> (length: Int, null: Bool) {
        guard case .list(let iovs)? = message.field("msg_iov") else { return (0, false) }
        var total = 0, null = false
        for iov in iovs {
            guard case .structure(let f) = iov, f.count == 2 else { throw SyscallError(description: "msg_iov entry \(iov) is not {base, length}") }
            let n = Int(try KernelSyscalls.value(f[1].value))
            total += n
            if KernelSyscalls.isNull(f[0].value) && n > 0 { null = true }
        }
        return (total, null)
    }

    func sendmsg(_ call: PktSyscall, _ progress: inout Progress, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        guard a.count >= 3 else { throw SyscallError(description: "sendmsg needs 3 arguments") }
        let (n, null) = try iovecs(a[1])
        return try send(a, length: n, nullBuffer: null, flags: try int(a, 2), &progress, at: now)
    }

    func recvmsg(_ call: PktSyscall, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        guard a.count >= 3 else { throw SyscallError(description: "recvmsg needs 3 arguments") }
        let (n, null) = try iovecs(a[1])
        let flags = try int(a, 2)
        if flags & ToySocketFacade.errorQueueFlag != 0 { return try readErrorQueue(a) }
        let attempt = try receive(a, length: n, nullBuffer: null, flags: flags, name: call.name, at: now)
        guard case .done(let outcome) = attempt, outcome.result >= 0, let fd = try socket(a) else { return attempt }
        var mismatch: String?
        if let want = a[1].field("msg_flags"), want != .ellipsis, try KernelSyscalls.value(want) != 0 {
            mismatch = "msg_flags: expected \(want) vs actual 0"
        }
        if mismatch == nil, let control = a[1].field("msg_control") {
            let cmsgs = sockets[fd]?.inq == true ? [ToySocketFacade.cmsg(level: 6, type: 36, value: inq(fd))] : []
            mismatch = try KernelSyscalls.checkCmsgs(control, cmsgs, realtimeStart: 0)
        }
        return .done(SyscallOutcome(result: outcome.result, errno: 0, outputMismatch: mismatch))
    }

    /// TCP_CM_INQ's value (tcp_inq_hint): bytes received and not yet read; 1 when none are left and
    /// the peer's FIN has arrived, so a reader that stops at 0 still comes back for end of stream.
    func inq(_ fd: Int32) -> UInt32 {
        guard let c = sockets[fd]?.connection, let snap = stack.snapshot(c) else { return 0 }
        if snap.receiveQueued == 0 && [.closeWait, .lastAck, .closing, .timeWait].contains(snap.state) { return 1 }
        return UInt32(clamping: snap.receiveQueued)
    }

    static func cmsg(level: Int32, type: Int32, value: UInt32) -> pktd_cmsg {
        var c = pktd_cmsg()
        c.level = level
        c.type = type
        c.length = 4
        withUnsafeMutableBytes(of: &c.data) { $0.storeBytes(of: value.littleEndian, as: UInt32.self) }
        return c
    }
}
