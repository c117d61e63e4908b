#if canImport(Glibc)
import Glibc
#endif
import Testing
import ToyTCPLink
import ToyTCPWire

extension KernelLab {
    /// The lab's RST rule in host1 (scripts/lab-up.sh, README "RST rules"): it drops the RSTs the kernel
    /// sends for no socket (its answer to toytcp's segments), and nothing else.
    @Suite("The lab's RST rule drops only the kernel's RSTs for no socket")
    struct RSTRule {
        @Test("With the default rules, a kernel socket in host1 closed abortively (SO_LINGER 0) resets its peer in host2; a SYN to a closed port of host1 gets no RST")
        func kernelSocketsKeepTheirRSTs() throws {
            Lab.run("rst-rule", rstFilter: nil) { lab in
                // host2: a kernel listener; host1: a kernel client that connects, then aborts.
                let listener = try NetworkNamespace.perform(in: lab.host2) { try KernelSocket.listen(on: Lab.host2Address) }
                defer { close(listener.descriptor) }
                let client = try NetworkNamespace.perform(in: lab.host1) {
                    try KernelSocket.connect(to: Lab.host2Address, port: listener.port)
                }
                let accepted = try KernelSocket.accept(listener.descriptor, within: 2_000)
                defer { close(accepted) }
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(client)
                // The old rule dropped this RST: the read then timed out (EAGAIN), and host2's side stayed open.
                let outcome = KernelSocket.readOutcome(accepted, within: 2_000)
                lab.expect(outcome == ECONNRESET, "host2's read after host1's abortive close gave errno \(outcome), not ECONNRESET (\(ECONNRESET)): host1's kernel socket's RST did not arrive")

                // The kernel's answer to a segment for no socket is still dropped (what toytcp needs).
                let refused = try NetworkNamespace.perform(in: lab.host2) {
                    try KernelSocket.connectOutcome(to: Lab.host1Address, port: 9, within: 500)
                }
                lab.expect(refused == EINPROGRESS, "a connect from host2 to a closed port of host1 ended with errno \(refused) within 0.5 s: host1's kernel RST for no socket went out")
            }
        }
    }
}

/// Plain kernel TCP sockets for the test above (blocking calls bounded by `poll`).
private enum KernelSocket {
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let errno: Int32
        var description: String { "\(call): errno \(errno)" }
    }

    static func address(_ a: IPv4Address, port: UInt16) -> sockaddr_in {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = a.rawValue.bigEndian
        return sin
    }

    static func call(_ name: String, _ result: Int32) throws -> Int32 {
        if result < 0 { throw Failure(call: name, errno: errno) }
        return result
    }

    static func withAddress<T>(_ a: IPv4Address, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var sin = address(a, port: port)
        return withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    /// A listening socket on an ephemeral port of `a`.
    static func listen(on a: IPv4Address) throws -> (descriptor: Int32, port: UInt16) {
        let fd = try call("socket", socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
        _ = try call("bind", withAddress(a, port: 0) { bind(fd, $0, $1) })
        _ = try call("listen", Glibc.listen(fd, 8))
        var sin = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try call("getsockname", withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        })
        return (fd, UInt16(bigEndian: sin.sin_port))
    }

    static func connect(to a: IPv4Address, port: UInt16) throws -> Int32 {
        let fd = try call("socket", socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = try call("connect", withAddress(a, port: port) { Glibc.connect(fd, $0, $1) })
        return fd
    }

    static func wait(_ fd: Int32, for events: Int16, within milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        return poll(&entry, 1, milliseconds) == 1
    }

    static func accept(_ listener: Int32, within milliseconds: Int32) throws -> Int32 {
        guard wait(listener, for: Int16(POLLIN), within: milliseconds) else { throw Failure(call: "accept (timed out)", errno: ETIMEDOUT) }
        return try call("accept", Glibc.accept(listener, nil, nil))
    }

    /// The errno a read of `fd` ends with (0: end of stream, EAGAIN: nothing within the time).
    static func readOutcome(_ fd: Int32, within milliseconds: Int32) -> Int32 {
        guard wait(fd, for: Int16(POLLIN), within: milliseconds) else { return EAGAIN }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n < 0 ? errno : 0
    }

    /// The errno a non-blocking connect ends with within the time: 0 connected, ECONNREFUSED refused,
    /// EINPROGRESS still trying (no answer).
    static func connectOutcome(to a: IPv4Address, port: UInt16, within milliseconds: Int32) throws -> Int32 {
        let fd = try call("socket", socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0))
        defer { close(fd) }
        if withAddress(a, port: port, { Glibc.connect(fd, $0, $1) }) == 0 { return 0 }
        guard errno == EINPROGRESS else { return errno }
        guard wait(fd, for: Int16(POLLOUT), within: milliseconds) else { return EINPROGRESS }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }
}
