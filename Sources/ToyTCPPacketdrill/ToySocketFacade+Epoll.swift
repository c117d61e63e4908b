import ToyTCPEngine

/// epoll(7) over the façade: an epoll instance is an fd of the same table, with an interest list;
/// `epoll_wait` reports readiness from the same source as `poll` (`revents`, `tcp_poll`'s answer).
/// Level-triggered, a socket is reported for as long as it is ready. Edge-triggered (EPOLLET), it is
/// reported once after each wake-up of the socket, as Linux queues an entry on its ready list from the
/// socket's wait queue: when the entry is added or modified (ep_insert/ep_modify poll it once), and
/// when the socket is woken (`Socket.wakeups`: data, FIN, reset, send space after a full buffer, a
/// MSG_ZEROCOPY notification). EPOLLONESHOT disables an entry once reported (until EPOLL_CTL_MOD);
/// EPOLLEXCLUSIVE only matters with several waiters, and there is one.
extension ToySocketFacade {
    /// One entry of an interest list.
    struct EpollInterest {
        var events: Int64
        /// `epoll_data`: what `epoll_wait` hands back (the script's `fd=` or `ptr=`).
        var data: Int64
        var disabled = false
        /// The socket's `wakeups` when this entry was last reported; nil: not since it was added or
        /// modified (EPOLLET reports it once more only after a new wake-up).
        var reportedAtWakeup: Int?
    }

    static let epollET: Int64 = 1 << 31
    static let epollOneShot: Int64 = 1 << 30
    static let epollExclusive: Int64 = 1 << 28

    func epoll(_ call: PktSyscall, _ progress: Progress, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        func ok(_ r: Int64, _ mismatch: String? = nil) -> Attempt { .done(SyscallOutcome(result: r, errno: 0, outputMismatch: mismatch)) }
        func fail(_ e: Int32) -> Attempt { .done(SyscallOutcome(result: -1, errno: e)) }
        switch call.name {
        case "epoll_create":
            guard try int(a, 0) > 0 else { return fail(22) } // EINVAL: size must be positive
            let fd = lowestFreeFD()
            epolls[fd] = [:]
            return ok(Int64(fd))
        case "epoll_create1":
            guard try int(a, 0) & ~0x80000 == 0 else { return fail(22) } // only EPOLL_CLOEXEC
            let fd = lowestFreeFD()
            epolls[fd] = [:]
            return ok(Int64(fd))
        case "epoll_ctl":
            let ep = live(Int32(truncatingIfNeeded: try int(a, 0))), op = try int(a, 1)
            let fd = live(Int32(truncatingIfNeeded: try int(a, 2)))
            guard let list = epolls[ep] else { return fail(sockets[ep] == nil ? 9 : 22) } // EBADF, EINVAL
            guard sockets[fd] != nil else { return fail(9) }
            var events: Int64 = 0, data: Int64 = 0
            if a.count > 3, let e = a[3].field("events") { events = try KernelSyscalls.value(e) }
            if a.count > 3, let f = a[3].field("fd") ?? a[3].field("ptr") { data = try KernelSyscalls.value(f) }
            switch op {
            case 1: // EPOLL_CTL_ADD
                guard list[fd] == nil else { return fail(17) } // EEXIST
                epolls[ep]?[fd] = EpollInterest(events: events, data: data)
            case 3: // EPOLL_CTL_MOD
                guard list[fd] != nil else { return fail(2) } // ENOENT
                guard events & ToySocketFacade.epollExclusive == 0 else { return fail(22) } // EINVAL (epoll_ctl(2))
                epolls[ep]?[fd] = EpollInterest(events: events, data: data)
            case 2: // EPOLL_CTL_DEL
                guard list[fd] != nil else { return fail(2) }
                epolls[ep]?[fd] = nil
            default:
                return fail(22)
            }
            return ok(0)
        default: // epoll_wait
            let ep = live(Int32(truncatingIfNeeded: try int(a, 0)))
            let maxEvents = try int(a, 2), timeout = try int(a, 3)
            guard let list = epolls[ep] else { return fail(sockets[ep] == nil ? 9 : 22) }
            guard maxEvents > 0 else { return fail(22) }
            var ready: [(fd: Int32, events: Int64, data: Int64)] = []
            for (fd, interest) in list.sorted(by: { $0.key < $1.key }) where !interest.disabled {
                if let c = sockets[fd]?.connection, let nxt = stack.snapshot(c)?.rcv.nxt, nxt != sockets[fd]?.lastReceiveNext {
                    if sockets[fd]?.lastReceiveNext != nil { sockets[fd]?.wakeups += 1 }
                    sockets[fd]?.lastReceiveNext = nxt
                }
                // EPOLLERR and EPOLLHUP are always reported (epoll_ctl(2)).
                let r = revents(fd, events: interest.events & 0xFFFF)
                let woken = interest.reportedAtWakeup != sockets[fd]?.wakeups
                if r != 0 && (interest.events & ToySocketFacade.epollET == 0 || woken) { ready.append((fd, r, interest.data)) }
            }
            if ready.isEmpty && (timeout < 0 || now < progress.began + .milliseconds(timeout)) { return .wouldBlock }
            ready = Array(ready.prefix(Int(maxEvents)))
            for r in ready {
                epolls[ep]?[r.fd]?.reportedAtWakeup = sockets[r.fd]?.wakeups
                if (list[r.fd]?.events ?? 0) & ToySocketFacade.epollOneShot != 0 { epolls[ep]?[r.fd]?.disabled = true }
            }
            var mismatch: String?
            if let first = ready.first, a.count > 1, case .structure = a[1] {
                if let w = a[1].field("events"), w != .ellipsis, first.events != (try KernelSyscalls.value(w)) {
                    mismatch = "epoll_wait events: expected \(w) vs actual \(first.events)"
                } else if let w = a[1].field("fd") ?? a[1].field("ptr"), w != .ellipsis, first.data != (try KernelSyscalls.value(w)) {
                    mismatch = "epoll_wait fd: expected \(w) vs actual \(first.data)"
                }
            }
            return ok(Int64(ready.count), mismatch)
        }
    }
}
