import CToyTCPPacketdrill
import ToyTCPEngine
import ToyTCPWire

/// The socket error queue for MSG_ZEROCOPY (Documentation/networking/msg_zerocopy.rst): with
/// SO_ZEROCOPY set, each `send` with MSG_ZEROCOPY that queues data takes the next 32-bit id; once all
/// its bytes are acknowledged (the kernel frees them), a notification for it is queued, merged with the
/// notification still unread at the tail when the ids follow on (one `[ee_info, ee_data]` range).
/// `recvmsg(…, MSG_ERRQUEUE)` takes one notification (an IP_RECVERR control message carrying
/// `sock_extended_err` with origin SO_EE_ORIGIN_ZEROCOPY) or fails with EAGAIN; `poll` reports POLLERR
/// while the queue is not empty. Our stack always copies the application's bytes into its send buffer,
/// so the code is SO_EE_CODE_ZEROCOPY_COPIED, as Linux reports when it fell back to copying.
extension ToySocketFacade {
    /// One entry of a socket's error queue.
    enum ErrorQueueEntry {
        /// MSG_ZEROCOPY sends completed, by id.
        case zerocopy(ClosedRange<UInt32>)
        /// A transmit timestamp: SCM_TSTAMP_SND (0), _SCHED (1) or _ACK (2), its key, its time.
        case timestamp(info: UInt32, key: UInt32, at: Instant)
    }

    /// A MSG_ZEROCOPY send whose bytes are not all acknowledged yet.
    struct ZerocopySend {
        var id: UInt32
        /// One past its last byte.
        var end: SequenceNumber
    }

    /// Records a MSG_ZEROCOPY send that queued data (a failed or empty one takes no id, as Linux gives
    /// the id back: `msg_zerocopy_put_abort`).
    func noteZerocopySend(_ fd: Int32) {
        guard let s = sockets[fd], s.zerocopy, let c = s.connection, let snap = stack.snapshot(c) else { return }
        sockets[fd]?.zerocopyPending.append(ZerocopySend(id: s.zerocopyNextID, end: snap.snd.una + snap.sendQueued))
        sockets[fd]?.zerocopyNextID &+= 1
    }

    /// Moves the sends whose bytes are all acknowledged (or dropped with the connection) to the error
    /// queue, in order, merging consecutive ids into the unread tail notification.
    func collectZerocopyCompletions(_ fd: Int32) {
        guard let s = sockets[fd], !s.zerocopyPending.isEmpty else { return }
        let una = s.connection.flatMap { stack.snapshot($0) }.map(\.snd.una)
        var pending = s.zerocopyPending
        var queue = s.errorQueue
        while let first = pending.first, una.map({ $0 >= first.end }) ?? true {
            pending.removeFirst()
            if case .zerocopy(let last)? = queue.last, last.upperBound &+ 1 == first.id {
                queue[queue.count - 1] = .zerocopy(last.lowerBound...first.id)
            } else {
                queue.append(.zerocopy(first.id...first.id))
            }
        }
        if pending.count != s.zerocopyPending.count { sockets[fd]?.wakeups += 1 } // sk_error_report
        sockets[fd]?.zerocopyPending = pending
        sockets[fd]?.errorQueue = queue
    }

    /// `recvmsg(…, MSG_ERRQUEUE)`: the oldest notification, never blocking.
    func readErrorQueue(_ a: [PktExpr]) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a) else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        collectZerocopyCompletions(fd)
        guard let entry = sockets[fd]?.errorQueue.first else { return .done(SyscallOutcome(result: -1, errno: 11)) }
        sockets[fd]?.errorQueue.removeFirst()
        // A stamp comes with a clone of the data (MSG_TRUNC into an empty buffer); a notification without.
        let (flags, cmsgs): (Int64, [pktd_cmsg])
        switch entry {
        case .zerocopy(let range): (flags, cmsgs) = (0x2000, [zerocopyNotification(range)])
        case .timestamp(let info, let key, let t):
            (flags, cmsgs) = (0x2000 | 0x20, [ToySocketFacade.timestampingMessage(t), timestampNotification(info: info, key: key)])
        }
        var mismatch: String?
        if let want = a[1].field("msg_flags"), want != .ellipsis, try KernelSyscalls.value(want) != flags {
            mismatch = "msg_flags: expected \(want) vs actual \(flags)"
        }
        if mismatch == nil, let control = a[1].field("msg_control") {
            mismatch = try KernelSyscalls.checkCmsgs(control, cmsgs, realtimeStart: 0)
        }
        return .done(SyscallOutcome(result: 0, errno: 0, outputMismatch: mismatch))
    }

    /// The level and type of an error-queue notification: SOL_IP, IP_RECVERR on an AF_INET socket;
    /// SOL_IPV6, IPV6_RECVERR on an AF_INET6 one (Linux's `ipv6_recv_error`), IPv4-mapped ones too.
    var recvErrLevelAndType: (level: Int32, type: Int32) { socketsAreIPv6 ? (41, 25) : (0, 11) }

    /// IP_RECVERR (`recvErrLevelAndType`) with `struct sock_extended_err`: ee_errno 0, ee_origin
    /// SO_EE_ORIGIN_ZEROCOPY, ee_type 0, ee_code SO_EE_CODE_ZEROCOPY_COPIED, ee_info and ee_data the
    /// first and last id.
    func zerocopyNotification(_ ids: ClosedRange<UInt32>) -> pktd_cmsg {
        var c = pktd_cmsg()
        (c.level, c.type) = recvErrLevelAndType
        c.length = 16
        withUnsafeMutableBytes(of: &c.data) { b in
            b.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)
            b[4] = 5 // SO_EE_ORIGIN_ZEROCOPY
            b[5] = 0
            b[6] = 1 // SO_EE_CODE_ZEROCOPY_COPIED
            b[7] = 0
            b.storeBytes(of: ids.lowerBound.littleEndian, toByteOffset: 8, as: UInt32.self)
            b.storeBytes(of: ids.upperBound.littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        return c
    }
}
