#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPWire

/// A raw IPv4 link: whole IPv4 packets carrying TCP, sent and received through
/// `socket(AF_INET, SOCK_RAW, IPPROTO_TCP)` in the current network namespace.
///
/// - Sending: `IP_HDRINCL` is on, so the packet goes out exactly as the stack built it (our IP header,
///   our checksums: the kernel drops a segment with a wrong TCP checksum silently, LAB-NOTES fact 2).
/// - Receiving: the socket gets a *copy* of every TCP segment delivered locally; the kernel still sees
///   the original and would reset it (LAB-NOTES fact 3: the lab drops the kernel's RSTs in OUTPUT).
/// - Our packets carry `SO_MARK` `LinkMark.value`, so that filter can spare toytcp's own RSTs.
/// - The descriptor is non-blocking: the event loop drains it until `.wouldBlock` on every wake-up.
///
/// Not thread-safe: one thread (the event loop's) sends and receives.
public final class RawSocketLink {
    public let descriptor: CInt
    private var isClosed = false

    /// Packets dropped because the socket's send queue was full (ENOBUFS), counted, not retried: TCP
    /// treats them as loss.
    /// Only `send` changes it (lent to `sendPacket` for each packet): no run-time exclusivity check.
    @exclusivity(unchecked) public private(set) var sendDrops = 0

    /// Opens the raw socket in the namespace of the calling thread.
    ///
    /// Errors: `.notRoot` without CAP_NET_RAW.
    public init(receiveBufferSize: Int = 8 << 20, sendBufferSize: Int = 4 << 20) throws(LinkError) {
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd: CInt
        do throws(LinkError) {
            fd = try syscallOrThrow("socket(AF_INET, SOCK_RAW, IPPROTO_TCP)") {
                socket(AF_INET, flags, Int32(IPPROTO_TCP))
            }
        } catch {
            if case .system(_, let errno) = error, errno == .notPermitted || errno == .permissionDenied {
                throw .notRoot(operation: "opening a raw socket")
            }
            throw error
        }
        descriptor = fd
        do throws(LinkError) {
            try setSocketOption(fd, Int32(IPPROTO_IP), IP_HDRINCL, 1, call: "setsockopt(IP_HDRINCL)")
            try setSocketOption(fd, SOL_SOCKET, SO_MARK, CInt(LinkMark.value), call: "setsockopt(SO_MARK)")
            // The FORCE variants go past net.core.rmem_max/wmem_max (we are root): a burst of ACKs or
            // data must not overflow a 208 kB default queue while the loop is busy.
            try? setSocketOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, CInt(receiveBufferSize), call: "setsockopt(SO_RCVBUFFORCE)")
            try? setSocketOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, CInt(sendBufferSize), call: "setsockopt(SO_SNDBUFFORCE)")
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { close() }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    /// Sends one whole IPv4 packet (header included) to its destination address.
    ///
    /// Returns `.wouldBlock` when the socket's send queue is full (EAGAIN): try again when the
    /// descriptor is writable. ENOBUFS (a full device queue) counts the packet as dropped.
    public func send(_ packet: UnsafeRawBufferPointer) throws(LinkError) -> IOResult<Void> {
        guard packet.count >= 20, let base = packet.baseAddress else { return .done(()) }
        // The destination, bytes 16..<20 of the IPv4 header: the kernel routes on it (the sockaddr is
        // required by sendto but IP_HDRINCL makes the header's own address the one that counts).
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        memcpy(&to.sin_addr, base + 16, 4)
        return try sendPacket(descriptor, packet, to: to, drops: &sendDrops)
    }

    /// Receives one packet into `buffer`; returns its length, or `.wouldBlock` when none is waiting.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(LinkError) -> IOResult<Int> {
        try syscall("recv") { recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC)) }
    }
}

/// The `SO_MARK` toytcp puts on every packet it sends, so the lab's iptables rule can drop the kernel's
/// RSTs for no socket (unmarked) and let toytcp's through: `-m mark ! --mark 0x7474 -m owner ! --uid-owner
/// 0-4294967294 -j DROP` (scripts/lab-up.sh).
public enum LinkMark {
    public static let value: UInt32 = 0x7474
}
