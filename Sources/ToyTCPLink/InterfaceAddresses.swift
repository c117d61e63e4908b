#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPWire

/// One IPv4 address assigned to an interface of the current network namespace.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public var interface: String
    public var address: IPv4Address
    public var prefixLength: Int
    public var isLoopback: Bool

    public var description: String { "\(address)/\(prefixLength) on \(interface)" }

    /// Every IPv4 address of every interface that is up, from `getifaddrs(3)`, in the namespace of
    /// the calling thread.
    public static func all() throws(LinkError) -> [InterfaceAddress] {
        var head: UnsafeMutablePointer<ifaddrs>? = nil
        _ = try syscallOrThrow("getifaddrs") { getifaddrs(&head) }
        defer { freeifaddrs(head) }
        var result: [InterfaceAddress] = []
        var cursor = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let flags = Int32(bitPattern: entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0 else { continue }
            let address = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                IPv4Address(rawValue: UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
            var prefix = 32
            if let mask = entry.pointee.ifa_netmask {
                prefix = mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt32(bigEndian: $0.pointee.sin_addr.s_addr).nonzeroBitCount
                }
            }
            result.append(InterfaceAddress(
                interface: String(cString: entry.pointee.ifa_name), address: address, prefixLength: prefix,
                isLoopback: flags & Int32(IFF_LOOPBACK) != 0))
        }
        return result
    }

    /// The non-loopback IPv4 addresses: the ones a raw-socket stack can serve (loopback traffic never
    /// leaves the host, so the kernel would see both ends of it).
    public static func usable() throws(LinkError) -> [IPv4Address] {
        try all().filter { !$0.isLoopback }.map(\.address)
    }

    /// Checks that `address` belongs to an interface here; otherwise a clear error listing those that do.
    public static func requireLocal(_ address: IPv4Address) throws(LinkError) {
        let available = try usable()
        guard available.contains(address) else {
            throw .addressNotOnInterface(address, available: available)
        }
    }
}
