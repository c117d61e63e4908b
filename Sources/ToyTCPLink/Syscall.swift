#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CToyTCPLinux
import SystemPackage

/// What a non-blocking system call did: it finished with a value, or it would have had to wait.
///
/// EAGAIN/EWOULDBLOCK is a normal outcome of a non-blocking descriptor, not an error (the way
/// swift-nio's `System.swift` returns it as a value), so callers `switch` over it instead of catching.
public enum IOResult<Value> {
    case done(Value)
    case wouldBlock
}

extension IOResult: Sendable where Value: Sendable {}

/// The one wrapper every system call of ToyTCPLink goes through.
///
/// - Retries on EINTR (a signal arrived before the call did anything), as swift-system's
///   `retryOnInterrupt` does.
/// - Returns EAGAIN/EWOULDBLOCK as `.wouldBlock`.
/// - Traps on EBADF and EFAULT: only a bug in this module can cause them (a closed descriptor, a bad
///   pointer), and carrying on would act on someone else's descriptor.
/// - Throws every other errno as `LinkError.system(call:errno:)`, naming the call.
@inline(__always)
@usableFromInline
func syscall<T: FixedWidthInteger>(_ call: StaticString, retryOnInterrupt: Bool = true,
                                   _ body: () -> T) throws(LinkError) -> IOResult<T> {
    while true {
        let result = body()
        if result != -1 { return .done(result) }
        let code = errno
        switch code {
        case EINTR where retryOnInterrupt:
            continue
        case EAGAIN, EWOULDBLOCK:
            return .wouldBlock
        case EBADF, EFAULT:
            fatalError("\(call): \(Errno(rawValue: code)) (a bug in ToyTCPLink)")
        default:
            throw LinkError.system(call: "\(call)", errno: Errno(rawValue: code))
        }
    }
}

/// `syscall` for calls that cannot block (socket, bind, setsockopt…): `.wouldBlock` becomes an error.
@inline(__always)
@usableFromInline
func syscallOrThrow<T: FixedWidthInteger>(_ call: StaticString, _ body: () -> T) throws(LinkError) -> T {
    switch try syscall(call, body) {
    case .done(let value): return value
    case .wouldBlock: throw LinkError.system(call: "\(call)", errno: .wouldBlock)
    }
}

/// Sets one integer socket option.
func setSocketOption(_ fd: CInt, _ level: CInt, _ name: CInt, _ value: CInt, call: StaticString) throws(LinkError) {
    var v = value
    _ = try syscallOrThrow(call) {
        setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<CInt>.size))
    }
}

/// A `sockaddr_in` for an address and port (both in host order).
func socketAddress(_ address: UInt32, port: UInt16) -> sockaddr_in {
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = port.bigEndian
    sa.sin_addr = in_addr(s_addr: address.bigEndian)
    return sa
}

/// `sendto` of one whole IP packet (header included) on a raw socket, to `address` (a `sockaddr_in` or
/// `sockaddr_in6`: the kernel routes on it). `.wouldBlock` when the send queue is full (EAGAIN: try
/// again when the descriptor is writable); a packet lost on the way (`isPacketLostOnTheWay`) is counted
/// in `drops` and reads as sent, as TCP recovers from it like any loss.
func sendPacket<Address>(_ descriptor: CInt, _ packet: UnsafeRawBufferPointer, to address: Address,
                         drops: inout Int) throws(LinkError) -> IOResult<Void> {
    guard let base = packet.baseAddress else { return .done(()) }
    var to = address
    let result: IOResult<Int>
    do throws(LinkError) {
        result = try syscall("sendto") {
            withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, base, packet.count, 0, $0, socklen_t(MemoryLayout<Address>.size))
                }
            }
        }
    } catch {
        guard error.isPacketLostOnTheWay else { throw error }
        drops += 1
        return .done(())
    }
    switch result {
    case .done: return .done(())
    case .wouldBlock: return .wouldBlock
    }
}
