#if canImport(Glibc)
import CToyTCPLinux
import Glibc
#endif
import ToyTCPWire

/// A raw IPv6 link: whole IPv6 packets carrying TCP out, TCP segments with their addresses in, in the
/// current network namespace. The IPv6 counterpart of `RawSocketLink`, with the same `send`/`receive`.
///
/// Linux's IPv6 raw sockets differ from IPv4's (RFC 3542 §3): a receiving socket never sees the IPv6
/// header, only the payload. So two sockets:
/// - Sending: `socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)`, which implies `IPV6_HDRINCL` (Linux ≥ 4.5):
///   the packet goes out exactly as the stack built it (our header, hop limit, traffic class, checksum).
///   It never receives anything.
/// - Receiving: `socket(AF_INET6, SOCK_RAW, IPPROTO_TCP)` gets a copy of every TCP segment delivered
///   locally, as the IPv4 raw socket does (the kernel still answers the original: the lab drops its
///   RSTs with ip6tables). The addresses and header fields come as ancillary data: the source in
///   `msg_name`, the destination from `IPV6_PKTINFO`, the hop limit from `IPV6_HOPLIMIT` and the
///   traffic class from `IPV6_TCLASS` (RFC 3542 §6). `receive` rebuilds a 40-byte IPv6 header from them
///   in front of the segment, so the stack takes the packet as it takes any other. Extension headers
///   the packet had are not seen (the kernel has consumed them); the flow label reads 0.
///
/// AF_PACKET would show the whole packet but needs the interface and its link header; these two sockets
/// route like the IPv4 path and need nothing of the kind.
///
/// Both descriptors are non-blocking; the event loop waits on `receiveDescriptor`. Not thread-safe.
public final class RawIPv6Link {
    public let sendDescriptor: CInt
    public let receiveDescriptor: CInt
    private var isClosed = false
    /// Packets dropped on send (full device queue, no route), counted as loss as in `RawSocketLink`.
    /// Only `send` changes it (lent to `sendPacket` for each packet): no run-time exclusivity check.
    @exclusivity(unchecked) public private(set) var sendDrops = 0
    private var control = [UInt8](repeating: 0, count: 256)

    // RFC 3542 options; Linux values (<linux/in6.h>), which Glibc's module does not export by name.
    private static let recvPacketInfo: CInt = 49   // IPV6_RECVPKTINFO
    private static let packetInfo: CInt = 50       // IPV6_PKTINFO
    private static let recvHopLimit: CInt = 51     // IPV6_RECVHOPLIMIT
    private static let hopLimit: CInt = 52         // IPV6_HOPLIMIT
    private static let recvTrafficClass: CInt = 66 // IPV6_RECVTCLASS
    private static let trafficClass: CInt = 67     // IPV6_TCLASS

    /// Opens both sockets in the namespace of the calling thread. Errors: `.notRoot` without CAP_NET_RAW.
    public init(receiveBufferSize: Int = 8 << 20, sendBufferSize: Int = 4 << 20) throws(LinkError) {
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        sendDescriptor = try Self.open("socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)", flags, Int32(IPPROTO_RAW))
        do throws(LinkError) {
            receiveDescriptor = try Self.open("socket(AF_INET6, SOCK_RAW, IPPROTO_TCP)", flags, Int32(IPPROTO_TCP))
        } catch {
            Glibc.close(sendDescriptor)
            throw error
        }
        do throws(LinkError) {
            try setSocketOption(sendDescriptor, SOL_SOCKET, SO_MARK, CInt(LinkMark.value), call: "setsockopt(SO_MARK)")
            let ipv6 = Int32(IPPROTO_IPV6)
            try setSocketOption(receiveDescriptor, ipv6, Self.recvPacketInfo, 1, call: "setsockopt(IPV6_RECVPKTINFO)")
            try setSocketOption(receiveDescriptor, ipv6, Self.recvHopLimit, 1, call: "setsockopt(IPV6_RECVHOPLIMIT)")
            try setSocketOption(receiveDescriptor, ipv6, Self.recvTrafficClass, 1, call: "setsockopt(IPV6_RECVTCLASS)")
            try? setSocketOption(receiveDescriptor, SOL_SOCKET, SO_RCVBUFFORCE, CInt(receiveBufferSize), call: "setsockopt(SO_RCVBUFFORCE)")
            try? setSocketOption(sendDescriptor, SOL_SOCKET, SO_SNDBUFFORCE, CInt(sendBufferSize), call: "setsockopt(SO_SNDBUFFORCE)")
        } catch {
            Glibc.close(sendDescriptor)
            Glibc.close(receiveDescriptor)
            throw error
        }
    }

    private static func open(_ call: StaticString, _ flags: Int32, _ proto: Int32) throws(LinkError) -> CInt {
        do throws(LinkError) {
            return try syscallOrThrow(call) { socket(AF_INET6, flags, proto) }
        } catch {
            if case .system(_, let errno) = error, errno == .notPermitted || errno == .permissionDenied {
                throw .notRoot(operation: "opening an IPv6 raw socket")
            }
            throw error
        }
    }

    deinit { close() }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(sendDescriptor)
        Glibc.close(receiveDescriptor)
    }

    /// Sends one whole IPv6 packet (header included) to its destination address (bytes 24..<40).
    /// `.wouldBlock` when the send queue is full; ENOBUFS and unreachable destinations count as drops.
    public func send(_ packet: UnsafeRawBufferPointer) throws(LinkError) -> IOResult<Void> {
        guard packet.count >= 40 else { return .done(()) }
        var to = sockaddr_in6()
        to.sin6_family = sa_family_t(AF_INET6)
        // sin6_port stays 0: with IPPROTO_RAW the header's Next Header is what counts.
        withUnsafeMutableBytes(of: &to.sin6_addr) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[24..<40])) }
        return try sendPacket(sendDescriptor, packet, to: to, drops: &sendDrops)
    }

    /// Receives one TCP segment and writes it into `buffer` as a whole IPv6 packet (a rebuilt 40-byte
    /// header, then the segment); returns the packet's length, or `.wouldBlock` when none is waiting.
    /// A segment that does not fit, or arrives without its destination address, gives length 0.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(LinkError) -> IOResult<Int> {
        guard buffer.count > 40, let base = buffer.baseAddress else { return .done(0) }
        var from = sockaddr_in6()
        var iov = iovec(iov_base: base + 40, iov_len: buffer.count - 40)
        var message = msghdr()
        let controlCapacity = control.count
        let outcome: Result<IOResult<Int>, LinkError> = control.withUnsafeMutableBytes { controlBytes in
            withUnsafeMutablePointer(to: &from) { fromPointer in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    message.msg_name = UnsafeMutableRawPointer(fromPointer)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                    message.msg_iov = iovPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlCapacity
                    do throws(LinkError) {
                        return .success(try syscall("recvmsg") { recvmsg(receiveDescriptor, &message, Int32(MSG_TRUNC)) })
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        let result = try outcome.get()
        guard case .done(let segmentLength) = result else { return .wouldBlock }
        let truncated = message.msg_flags & Int32(MSG_TRUNC) != 0 || message.msg_flags & Int32(MSG_CTRUNC) != 0
        guard !truncated, segmentLength + 40 <= buffer.count, segmentLength <= 0xFFFF else { return .done(0) }
        let controlLength = min(message.msg_controllen, controlCapacity)
        guard let fields = control.withUnsafeBytes({ Self.parseControl(UnsafeRawBufferPointer(rebasing: $0[0..<controlLength])) })
        else { return .done(0) }
        // The rebuilt fixed header (RFC 8200 §3): version 6, traffic class, flow label 0, payload length,
        // next header TCP, hop limit, source, destination.
        var w = ByteWriter(capacity: 40)
        w.write(UInt32(6) << 28 | UInt32(fields.trafficClass) << 20)
        w.write(UInt16(segmentLength))
        w.write(UInt8(6)); w.write(fields.hopLimit)
        withUnsafeBytes(of: &from.sin6_addr) { w.write(contentsOf: $0) }
        w.write(contentsOf: fields.destination)
        w.bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 40) }
        return .done(40 + segmentLength)
    }

    /// The destination (IPV6_PKTINFO), hop limit and traffic class from the control messages
    /// (`struct cmsghdr`: 8-byte length, level, type, data at offset 16, each padded to 8 bytes).
    static func parseControl(_ c: UnsafeRawBufferPointer) -> (destination: [UInt8], hopLimit: UInt8, trafficClass: UInt8)? {
        var destination: [UInt8]?
        var hops: UInt8 = 64
        var tclass: UInt8 = 0
        var offset = 0
        while offset + 16 <= c.count {
            let length = Int(c.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let level = c.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
            let type = c.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
            guard length >= 16, offset + length <= c.count else { break }
            let data = UnsafeRawBufferPointer(rebasing: c[(offset + 16)..<(offset + length)])
            if level == Int32(IPPROTO_IPV6) {
                switch type {
                case packetInfo where data.count >= 16: destination = Array(data[0..<16])
                case hopLimit where data.count >= 4: hops = UInt8(clamping: data.loadUnaligned(as: Int32.self))
                case trafficClass where data.count >= 4: tclass = UInt8(truncatingIfNeeded: data.loadUnaligned(as: Int32.self))
                default: break
                }
            }
            offset += (length + 7) & ~7
        }
        guard let destination else { return nil }
        return (destination, hops, tclass)
    }
}
