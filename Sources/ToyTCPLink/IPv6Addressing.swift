#if canImport(Glibc)
import Glibc
#endif
import ToyTCPWire

// The namespace's IPv6 addresses, routes and port reservations: the AF_INET6 counterparts of
// `InterfaceAddress.usable()`, `RouteLookup.sourceAddress(toward:)` and `PortReservation`.

extension InterfaceAddress {
    /// The IPv6 addresses a raw-socket stack can serve, from `getifaddrs(3)`: interfaces that are up,
    /// not loopback, and not link-local (fe80::/10 needs a scope id on every packet: RFC 4007).
    public static func usableIPv6() throws(LinkError) -> [IPv6Address] {
        var head: UnsafeMutablePointer<ifaddrs>? = nil
        _ = try syscallOrThrow("getifaddrs") { getifaddrs(&head) }
        defer { freeifaddrs(head) }
        var result: [IPv6Address] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET6) else { continue }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
            let address = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { IPv6Address(bytes: $0, at: 0) }
            }
            if address.isIn(network: IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 0), prefixLength: 10) { continue }
            result.append(address)
        }
        return result
    }
}

/// `sockaddr_in6` for `address` and `port`.
func socketAddress6(_ address: IPv6Address, port: UInt16) -> sockaddr_in6 {
    var sa = sockaddr_in6()
    sa.sin6_family = sa_family_t(AF_INET6)
    sa.sin6_port = port.bigEndian
    let bytes = address.bytes
    withUnsafeMutableBytes(of: &sa.sin6_addr) { $0.copyBytes(from: bytes) }
    return sa
}

extension RouteLookup {
    /// The source address the kernel would pick towards `destination` (RFC 6724 source selection),
    /// learnt as for IPv4: `connect` a UDP socket (nothing is sent) and read its local address.
    public static func sourceAddress(toward destination: IPv6Address) throws(LinkError) -> IPv6Address {
        let fd = try syscallOrThrow("socket") { socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { close(fd) }
        var remote = socketAddress6(destination, port: 9)
        do throws(LinkError) {
            _ = try syscallOrThrow("connect") {
                withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
        } catch {
            if case .system(_, let errno) = error,
               errno == .networkUnreachable || errno == .noRouteToHost || errno == .invalidArgument {
                throw .noIPv6Route(destination)
            }
            throw error
        }
        var local = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = try syscallOrThrow("getsockname") {
            withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return withUnsafeBytes(of: local.sin6_addr) { IPv6Address(bytes: $0, at: 0) }
    }
}

extension PortReservation {
    /// Holds `port` on an IPv6 address (or `::`) with a kernel socket, as the IPv4 reservation does, so
    /// the kernel's own sockets cannot take it. `IPV6_V6ONLY` is set: the IPv4 port stays free.
    init(address: IPv6Address, port: UInt16) throws(LinkError) {
        let fd = try syscallOrThrow("socket") {
            socket(AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        try? setSocketOption(fd, Int32(IPPROTO_IPV6), 26 /* IPV6_V6ONLY */, 1, call: "setsockopt(IPV6_V6ONLY)")
        var sa = socketAddress6(address, port: port)
        do throws(LinkError) {
            _ = try syscallOrThrow("bind") {
                withUnsafePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                }
            }
        } catch {
            close(fd)
            if case .system(_, let errno) = error {
                if errno == .addressInUse { throw .system(call: "bind([\(address)]:\(port))", errno: errno) }
                if errno == .addressNotAvailable {
                    throw .ipv6AddressNotOnInterface(address, available: (try? InterfaceAddress.usableIPv6()) ?? [])
                }
            }
            throw error
        }
        descriptor = fd
    }
}
