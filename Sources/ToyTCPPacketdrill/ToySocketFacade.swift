import ToyTCPEngine
import ToyTCPWire

/// A BSD-socket façade over a toytcp `Stack`: a file-descriptor table and the system calls the
/// packetdrill corpus makes, with Linux's results and errno values (socket(7), tcp(7), and the
/// kernel's `inet_stream_connect`, `tcp_sendmsg`, `tcp_recvmsg`, `tcp_poll`).
///
/// A call either completes (`.done`) or would block (`.wouldBlock`): the caller (`ToyStackSystem`)
/// moves virtual time on and tries again, which is how a blocking call waits without a thread.
/// Anything the façade or the engine cannot do throws `SyscallError("unsupported on toytcp: …")`.
/// By concept: sendmsg/recvmsg and their control messages (`+Messages`), epoll (`+Epoll`), the error
/// queue's MSG_ZEROCOPY notifications (`+ErrorQueue`) and transmit timestamps (`+Timestamping`).
final class ToySocketFacade {
    /// One socket of the table.
    struct Socket {
        var configuration: StackConfiguration
        var nonBlocking = false
        var bound = false
        var listener: ListenerID?
        var connection: ConnectionID?
        var connect = ConnectStage.none
        /// A pending error (`sk_err`): reported once by the next read, write or SO_ERROR.
        var error: Int32 = 0
        /// The connection ended (reset, timed out, or its TCB was deleted).
        var dead = false
        var readShut = false
        var writeShut = false
        /// TCP_INQ: `recvmsg` returns a TCP_CM_INQ control message.
        var inq = false
        /// SO_ZEROCOPY: MSG_ZEROCOPY sends take ids and complete into the error queue.
        var zerocopy = false
        var zerocopyNextID: UInt32 = 0
        var zerocopyPending: [ZerocopySend] = []
        /// Unread error-queue entries: MSG_ZEROCOPY notifications and transmit timestamps.
        var errorQueue: [ErrorQueueEntry] = []
        /// SO_TIMESTAMPING's flags, OPT_ID's base (write_seq when it was set) and the sends to stamp.
        var timestamping: Int64 = 0
        var timestampKeyBase: SequenceNumber?
        var stampedSends: [StampedSend] = []
        /// How often the socket's wait queue was woken (what edge-triggered epoll reports on).
        var wakeups = 0
        /// RCV.NXT when the façade last looked: each segment that advances it wakes the socket
        /// (sk_data_ready), where the engine's `.readable` comes once until the data is read.
        var lastReceiveNext: SequenceNumber?
        /// TCP_CORK: only full segments go out until it is cleared (or TCP_NODELAY is set).
        var corked = false
    }

    enum ConnectStage { case none, connecting, connected }

    enum Attempt { case done(SyscallOutcome), wouldBlock }

    /// What a call that blocks keeps between attempts.
    struct Progress {
        var began: Instant
        /// Bytes a blocking write has already handed to the stack.
        var written = 0
    }

    let stack: Stack
    /// The wire's addresses, either family (an IPv4-mapped run's are IPv4).
    let local: IPAddress
    let remote: IPAddress
    var sockets: [Int32: Socket] = [:]
    /// The epoll instances of the same fd table, each with its interest list by socket fd.
    var epolls: [Int32: [Int32: EpollInterest]] = [:]
    /// The script's fd numbers for the table's (the script may expect `socket` to return 4).
    var scriptFDs: [Int32: Int32] = [:]
    /// Whether `socket(..., …)` makes AF_INET6 sockets (an IPv6 or IPv4-mapped run) or AF_INET ones.
    var socketsAreIPv6 = false
    /// The configuration new sockets start with (a script's sysctls change it).
    var base: StackConfiguration

    init(stack: Stack, local: IPAddress, remote: IPAddress) {
        self.stack = stack
        self.local = local
        self.remote = remote
        base = stack.configuration
    }

    /// The calls the façade knows; any other is "unsupported on toytcp" before the script starts.
    static let supported: Set<String> = [
        "socket", "bind", "listen", "accept", "accept4", "connect", "read", "write", "send", "recv", "sendto",
        "recvfrom", "sendmsg", "recvmsg", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "close", "shutdown", "setsockopt", "getsockopt", "fcntl", "ioctl", "poll",
    ]

    // MARK: Events

    /// Notes what the stack reports about a connection (a failure becomes the socket's pending error).
    func note(_ event: StackEvent) {
        if case .incoming(let l) = event, let fd = sockets.first(where: { $0.value.listener == l })?.key {
            sockets[fd]?.wakeups += 1
        }
        guard case .connection(let id, let e) = event, let fd = sockets.first(where: { $0.value.connection == id })?.key else { return }
        switch e {
        case .connected, .readable, .writable, .peerClosed, .failed, .closed: sockets[fd]?.wakeups += 1
        case .stateChanged: break
        }
        switch e {
        case .failed(let why):
            sockets[fd]?.error = ToySocketFacade.errno(why)
            sockets[fd]?.dead = true
        case .closed:
            sockets[fd]?.dead = true
        default:
            break
        }
    }

    /// Linux's errno for an engine error.
    static func errno(_ error: any Error) -> Int32 {
        guard let e = error as? EngineError else { return 22 } // EINVAL
        switch e {
        case .connectionRefused: return 111 // ECONNREFUSED
        case .connectionReset: return 104 // ECONNRESET
        case .timedOut: return 110 // ETIMEDOUT
        case .notConnected, .unknownConnection: return 107 // ENOTCONN
        case .connectionClosing: return 32 // EPIPE
        case .addressInUse, .noEphemeralPort: return 98 // EADDRINUSE
        case .addressNotAvailable: return 99 // EADDRNOTAVAIL
        case .aborted: return 103 // ECONNABORTED
        }
    }

    /// The configuration new passive connections take: the listening socket's.
    var listeningConfiguration: StackConfiguration? {
        sockets.values.first { $0.listener != nil }?.configuration
    }

    // MARK: Calls

    func attempt(_ call: PktSyscall, _ progress: inout Progress, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        func ok(_ r: Int64, _ mismatch: String? = nil) -> Attempt { .done(SyscallOutcome(result: r, errno: 0, outputMismatch: mismatch)) }
        func fail(_ e: Int32) -> Attempt { .done(SyscallOutcome(result: -1, errno: e)) }
        switch call.name {
        case "socket":
            let type = try int(a, 1)
            guard type & 0xF == 1 else { throw unsupported("socket type \(a[1]) (only SOCK_STREAM)") }
            var s = Socket(configuration: base)
            s.nonBlocking = type & 0x800 != 0 // SOCK_NONBLOCK
            let fd = lowestFreeFD()
            sockets[fd] = s
            return ok(Int64(fd))
        case "bind":
            guard let fd = try socket(a) else { return fail(9) }
            sockets[fd]?.bound = true
            return ok(0)
        case "listen":
            guard let fd = try socket(a), let s = sockets[fd] else { return fail(9) }
            if s.listener != nil { return ok(0) }
            guard s.connection == nil else { return fail(22) } // EINVAL
            do {
                sockets[fd]?.listener = try stack.listen(address: local, port: KernelSyscalls.port, backlog: max(1, Int(try int(a, 1)) + 1))
            } catch { return fail(ToySocketFacade.errno(error)) }
            return ok(0)
        case "accept", "accept4":
            guard let fd = try socket(a), let s = sockets[fd] else { return fail(9) }
            guard let l = s.listener else { return fail(22) }
            guard let id = stack.accept(l) else { return s.nonBlocking ? fail(11) : .wouldBlock }
            // The child is a clone of the listener (sk_clone_lock): its options and flags come along.
            var child = Socket(configuration: s.configuration)
            child.connection = id
            child.connect = .connected
            child.zerocopy = s.zerocopy
            child.inq = s.inq
            child.corked = s.corked
            if s.corked { try? stack.configureSending(id, corked: true, at: now) }
            if stack.state(of: id) == .closed || stack.state(of: id) == nil { child.dead = true }
            let new = lowestFreeFD()
            sockets[new] = child
            return ok(Int64(new))
        case "connect":
            return try connect(a, at: now)
        case "read", "recv", "recvfrom":
            return try read(call, at: now)
        case "write", "send", "sendto":
            return try write(call, &progress, at: now)
        case "sendmsg":
            return try sendmsg(call, &progress, at: now)
        case "recvmsg":
            return try recvmsg(call, at: now)
        case "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait":
            return try epoll(call, progress, at: now)
        case "close":
            let closing = live(Int32(truncatingIfNeeded: try int(a, 0)))
            if epolls.removeValue(forKey: closing) != nil { return ok(0) }
            guard let fd = try socket(a), let s = sockets.removeValue(forKey: fd) else { return fail(9) }
            // A closed socket leaves every interest list (its last reference is gone).
            for ep in epolls.keys { epolls[ep]?[fd] = nil }
            if let l = s.listener { stack.closeListener(l, at: now) }
            if let c = s.connection, !s.dead { try? stack.close(c, at: now) }
            return ok(0)
        case "shutdown":
            guard let fd = try socket(a), let s = sockets[fd] else { return fail(9) }
            let how = try int(a, 1)
            guard let c = s.connection, s.connect != .none else { return fail(107) }
            if how == 0 || how == 2 { sockets[fd]?.readShut = true }
            if how == 1 || how == 2 {
                sockets[fd]?.writeShut = true
                if !s.dead { try? stack.shutdown(c, at: now) }
            }
            return ok(0)
        case "setsockopt":
            return try setsockopt(a, at: now)
        case "getsockopt":
            return try getsockopt(a)
        case "fcntl":
            guard let fd = try socket(a), let s = sockets[fd] else { return fail(9) }
            switch try int(a, 1) {
            case 3: return ok(2 | (s.nonBlocking ? 0x800 : 0)) // F_GETFL: O_RDWR | O_NONBLOCK
            case 4: sockets[fd]?.nonBlocking = try int(a, 2) & 0x800 != 0; return ok(0) // F_SETFL
            default: throw unsupported("fcntl command \(a[1])")
            }
        case "ioctl":
            guard let fd = try socket(a), let s = sockets[fd] else { return fail(9) }
            let request = try int(a, 1)
            let snap = s.connection.flatMap { stack.snapshot($0) }
            let v: Int
            switch request {
            case 0x541B: v = snap?.receiveQueued ?? 0 // SIOCINQ (FIONREAD)
            case 0x5411: v = snap?.sendQueued ?? 0 // SIOCOUTQ (TIOCOUTQ)
            default: throw unsupported("ioctl request \(a[1])")
            }
            if s.listener != nil { return fail(22) }
            if a.count > 2, a[2] != .ellipsis, Int64(v) != (try KernelSyscalls.value(a[2])) {
                return ok(0, "ioctl value: expected \(a[2]) vs actual \(v)")
            }
            return ok(0)
        case "poll":
            return try poll(a, progress, at: now)
        default:
            throw unsupported("system call '\(call.name)'")
        }
    }

    func connect(_ a: [PktExpr], at now: Instant) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a), let s = sockets[fd] else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        func result(_ e: Int32) -> Attempt { .done(SyscallOutcome(result: e == 0 ? 0 : -1, errno: e)) }
        if a.count > 1 && a[1] == .symbol("AF_UNSPEC") { throw unsupported("connect(AF_UNSPEC) (disconnect)") }
        switch s.connect {
        case .none:
            stack.configuration = s.configuration
            do {
                let id = try stack.connect(to: remote, port: KernelSyscalls.port, from: local, at: now)
                sockets[fd]?.connection = id
                sockets[fd]?.connect = .connecting
                if s.corked { try? stack.configureSending(id, corked: true, at: now) }
            } catch { return result(ToySocketFacade.errno(error)) }
            return s.nonBlocking ? result(115) : .wouldBlock // EINPROGRESS
        case .connecting:
            if s.error != 0 {
                sockets[fd]?.error = 0
                return result(s.error)
            }
            guard let id = s.connection, let state = stack.state(of: id), state != .synSent, state != .synReceived else {
                if s.dead { return result(103) }
                return s.nonBlocking ? result(114) : .wouldBlock // EALREADY
            }
            sockets[fd]?.connect = .connected
            return result(0)
        case .connected:
            return result(106) // EISCONN
        }
    }

    func read(_ call: PktSyscall, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        let n = Int(try int(a, 2))
        return try receive(a, length: n, nullBuffer: a.count > 1 && KernelSyscalls.isNull(a[1]),
                           flags: a.count > 3 ? try int(a, 3) : 0, name: call.name, at: now)
    }

    /// `tcp_recvmsg` for `read`, `recv`, `recvfrom` and `recvmsg`: `length` bytes into one buffer.
    func receive(_ a: [PktExpr], length n: Int, nullBuffer: Bool, flags: Int64, name: String,
                 at now: Instant) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a), let s = sockets[fd] else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        guard flags & ~ToySocketFacade.receiveFlags == 0 else { throw unsupported("\(name) flags \(flags)") }
        func fail(_ e: Int32) -> Attempt { .done(SyscallOutcome(result: -1, errno: e)) }
        guard let c = s.connection else { return fail(107) } // ENOTCONN (listening or never connected)
        if nullBuffer && n > 0 { return fail(14) } // EFAULT
        // A non-blocking connect still in its handshake: nothing to read yet (tcp_recvmsg waits).
        if !s.dead, stack.state(of: c) == .synSent || stack.state(of: c) == .synReceived {
            return s.nonBlocking || flags & 0x40 != 0 ? fail(11) : .wouldBlock
        }
        let got: [UInt8]?
        do { got = try stack.receive(c, maxLength: n, at: now) } catch {
            if s.error != 0 { sockets[fd]?.error = 0; return fail(s.error) }
            return .done(SyscallOutcome(result: 0, errno: 0)) // after a reset and its error: end of stream
        }
        if let got, !got.isEmpty { return .done(SyscallOutcome(result: Int64(got.count), errno: 0)) }
        if s.error != 0 { sockets[fd]?.error = 0; return fail(s.error) }
        if got == nil || s.dead || s.readShut { return .done(SyscallOutcome(result: 0, errno: 0)) }
        return s.nonBlocking || flags & 0x40 != 0 ? fail(11) : .wouldBlock
    }

    func write(_ call: PktSyscall, _ progress: inout Progress, at now: Instant) throws(SyscallError) -> Attempt {
        let a = call.arguments
        return try send(a, length: Int(try int(a, 2)), nullBuffer: a.count > 1 && KernelSyscalls.isNull(a[1]),
                        flags: a.count > 3 ? try int(a, 3) : 0, &progress, at: now)
    }

    /// `tcp_sendmsg` for `write`, `send`, `sendto` (its address is ignored on a connected socket) and
    /// `sendmsg`: `length` bytes, blocking until all are queued unless non-blocking.
    func send(_ a: [PktExpr], length n: Int, nullBuffer: Bool, flags: Int64, _ progress: inout Progress,
              at now: Instant) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a), let s = sockets[fd] else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        guard flags & ~ToySocketFacade.sendFlags == 0 else { throw unsupported("send flags \(flags)") }
        func fail(_ e: Int32) -> Attempt { .done(SyscallOutcome(result: -1, errno: e)) }
        if s.error != 0 { sockets[fd]?.error = 0; return fail(s.error) }
        if s.writeShut || s.dead { return fail(32) } // EPIPE
        guard let c = s.connection, s.connect != .none else { return fail(32) }
        if nullBuffer && n > 0 { return fail(14) } // EFAULT
        // tcp_sendmsg waits for the handshake to complete (sk_stream_wait_connect).
        if stack.state(of: c) == .synSent || stack.state(of: c) == .synReceived {
            return s.nonBlocking || flags & 0x40 != 0 ? fail(11) : .wouldBlock
        }
        let bytes = [UInt8](repeating: 0, count: n - progress.written)
        let taken: Int
        let more = flags & 0x8000 != 0 // MSG_MORE
        do { taken = try bytes.withUnsafeBytes { b throws(EngineError) in try stack.send(c, b, moreToCome: more, at: now) } } catch {
            return fail(ToySocketFacade.errno(error))
        }
        progress.written += taken
        if progress.written == n || (progress.written > 0 && (s.nonBlocking || flags & 0x40 != 0)) {
            if flags & 0x4000000 != 0 && progress.written > 0 { noteZerocopySend(fd) } // MSG_ZEROCOPY
            if progress.written > 0 { noteStampedSend(fd) }
            return .done(SyscallOutcome(result: Int64(progress.written), errno: 0))
        }
        return s.nonBlocking || flags & 0x40 != 0 ? fail(11) : .wouldBlock
    }

    func setsockopt(_ a: [PktExpr], at now: Instant) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a), let s = sockets[fd] else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        let level = try int(a, 1), name = try int(a, 2)
        let value: Int64
        switch a.count > 3 ? a[3] : .ellipsis {
        case .list(let xs) where xs.count == 1: value = try KernelSyscalls.value(xs[0])
        case .integer, .symbol, .or: value = try KernelSyscalls.value(a[3])
        default: throw unsupported("setsockopt value \(a.count > 3 ? a[3].description : "")")
        }
        let done = Attempt.done(SyscallOutcome(result: 0, errno: 0))
        // A listener's options are its future connections' (they copy them when their SYN arrives);
        // a connection's own are changed through the stack (`configureSending`).
        let live = s.dead ? nil : s.connection
        var c = s.configuration
        switch (level, name) {
        // SO_REUSEADDR, SO_REUSEPORT (one port), SO_MARK (no policy routing here): no effect.
        case (1, 2), (1, 15), (1, 36): return done
        case (1, 60): sockets[fd]?.zerocopy = value != 0; return done // SO_ZEROCOPY
        case (1, 37): return try setTimestamping(fd, value) ? done : .done(SyscallOutcome(result: -1, errno: 22)) // SO_TIMESTAMPING
        case (6, 36): sockets[fd]?.inq = value != 0; return done // TCP_INQ
        case (1, 7): c.sendBufferSize = Int(value) * 2 // SO_SNDBUF: Linux doubles it (socket(7))
        case (1, 8):
            // SO_RCVBUF: Linux doubles it and, before the handshake, derives the window scale from it
            // (tcp_select_initial_window); after, the scale stays.
            c.receiveBufferSize = Int(value) * 2
            if live == nil { c.windowScaleShift = nil }
        case (6, 1): c.nagle = value == 0 // TCP_NODELAY
        case (6, 3): sockets[fd]?.corked = value != 0 // TCP_CORK
        case (6, 2): c.mss = UInt16(clamping: value) // TCP_MAXSEG
        default: throw unsupported("setsockopt(\(a[1]), \(a[2]))")
        }
        if let id = live {
            // What the engine can change on an open connection; the rest is fixed by the handshake.
            var other = c
            other.sendBufferSize = s.configuration.sendBufferSize
            other.receiveBufferSize = s.configuration.receiveBufferSize
            other.nagle = s.configuration.nagle
            guard other == s.configuration else { throw unsupported("setsockopt(\(a[1]), \(a[2])) on a connected socket") }
            // Setting TCP_NODELAY pushes what is queued, corked or not (Linux: TCP_NAGLE_PUSH).
            let push = level == 6 && name == 1 && value != 0
            try? stack.configureSending(id, sendBufferSize: c.sendBufferSize, nagle: c.nagle,
                                        corked: sockets[fd]?.corked ?? false, push: push, at: now)
            if c.receiveBufferSize != s.configuration.receiveBufferSize {
                try? stack.configureReceiving(id, receiveBufferSize: c.receiveBufferSize, at: now)
            }
        }
        sockets[fd]?.configuration = c
        return done
    }

    func getsockopt(_ a: [PktExpr]) throws(SyscallError) -> Attempt {
        guard let fd = try socket(a), let s = sockets[fd] else { return .done(SyscallOutcome(result: -1, errno: 9)) }
        let level = try int(a, 1), name = try int(a, 2)
        let v: Int64
        switch (level, name) {
        case (1, 4): v = Int64(s.error); sockets[fd]?.error = 0 // SO_ERROR
        case (1, 7): v = Int64(s.configuration.sendBufferSize) // SO_SNDBUF
        case (1, 8): v = Int64(s.configuration.receiveBufferSize) // SO_RCVBUF
        case (6, 1): v = s.configuration.nagle ? 0 : 1 // TCP_NODELAY
        case (6, 3): v = s.corked ? 1 : 0 // TCP_CORK
        case (6, 36): v = s.inq ? 1 : 0 // TCP_INQ
        case (1, 60): v = s.zerocopy ? 1 : 0 // SO_ZEROCOPY
        case (6, 2): v = Int64(s.connection.flatMap { stack.snapshot($0)?.mss } ?? Int(s.configuration.mss)) // TCP_MAXSEG
        default: throw unsupported("getsockopt(\(a[1]), \(a[2]))")
        }
        if a.count > 3, a[3] != .ellipsis {
            let want = try KernelSyscalls.value(a[3])
            if want != v { return .done(SyscallOutcome(result: 0, errno: 0, outputMismatch: "getsockopt value: expected \(want) vs actual \(v)")) }
        }
        return .done(SyscallOutcome(result: 0, errno: 0))
    }

    /// `tcp_poll`'s answer for one socket: POLLIN 1, POLLOUT 4, POLLERR 8, POLLHUP 16, POLLRDHUP 0x2000.
    func revents(_ fd: Int32, events: Int64) -> Int64 {
        guard let s = sockets[fd] else { return 32 } // POLLNVAL
        if let l = s.listener {
            return (stack.listenerSnapshot(l)?.acceptQueued ?? 0) > 0 ? 1 & events : 0
        }
        guard let c = s.connection else { return 4 | 16 } // a fresh socket: POLLOUT | POLLHUP
        var r: Int64 = 0
        collectZerocopyCompletions(fd)
        if s.error != 0 || !(sockets[fd]?.errorQueue.isEmpty ?? true) { r |= 8 }
        let state = stack.state(of: c) ?? .closed
        let snap = stack.snapshot(c)
        let peerClosed = [.closeWait, .lastAck, .closing, .timeWait].contains(state) || s.dead
        if s.dead || (peerClosed && s.writeShut) { r |= 16 }
        if peerClosed { r |= 0x2000 | 1 }
        if (snap?.receiveQueued ?? 0) > 0 { r |= 1 }
        if (state == .established || state == .closeWait) && !s.writeShut,
           let snap, snap.sendQueued < s.configuration.sendBufferSize { r |= 4 }
        return r & (events | 8 | 16)
    }

    func poll(_ a: [PktExpr], _ progress: Progress, at now: Instant) throws(SyscallError) -> Attempt {
        guard a.count >= 3, case .list(let items) = a[0] else { throw SyscallError(description: "poll needs [{fd=…, events=…, revents=…}]") }
        var ready = 0
        var got: [Int64] = []
        for it in items {
            let fd = live(Int32(try KernelSyscalls.value(it.field("fd") ?? .integer(-1))))
            let r = revents(fd, events: try KernelSyscalls.value(it.field("events") ?? .integer(0)))
            got.append(r)
            if r != 0 { ready += 1 }
        }
        let timeout = try int(a, 2)
        if ready == 0 && (timeout < 0 || now < progress.began + .milliseconds(timeout)) { return .wouldBlock }
        var mismatch: String?
        for (i, it) in items.enumerated() {
            if let w = it.field("revents"), got[i] != (try KernelSyscalls.value(w)) {
                mismatch = "poll revents: expected \(w) vs actual \(got[i])"
            }
        }
        return .done(SyscallOutcome(result: Int64(ready), errno: 0, outputMismatch: mismatch))
    }

    /// When a blocking `poll` or `epoll_wait` gives up, if it does.
    func pollDeadline(_ call: PktSyscall, _ progress: Progress) -> Instant? {
        let at = call.name == "poll" ? 2 : call.name == "epoll_wait" ? 3 : -1
        guard at >= 0, call.arguments.count > at, let t = try? KernelSyscalls.value(call.arguments[at]), t >= 0 else { return nil }
        return progress.began + .milliseconds(t)
    }

    // MARK: Arguments

    func live(_ scriptFD: Int32) -> Int32 { scriptFDs[scriptFD] ?? scriptFD }

    func lowestFreeFD() -> Int32 {
        var fd: Int32 = 3
        while sockets[fd] != nil || epolls[fd] != nil { fd += 1 }
        return fd
    }

    /// The socket fd of argument 1, or nil when the table has none (EBADF).
    func socket(_ a: [PktExpr]) throws(SyscallError) -> Int32? {
        let fd = live(Int32(truncatingIfNeeded: try int(a, 0)))
        return sockets[fd] == nil ? nil : fd
    }

    func int(_ a: [PktExpr], _ i: Int) throws(SyscallError) -> Int64 {
        guard i < a.count else { throw SyscallError(description: "missing argument \(i + 1)") }
        return try KernelSyscalls.value(a[i])
    }

    func unsupported(_ what: String) -> SyscallError { SyscallError(description: "unsupported on toytcp: \(what)") }
}
