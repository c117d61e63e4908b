#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPWire

/// The kernel's routing decision for a destination, asked without shelling out to `ip route`.
///
/// `connect(2)` on a UDP socket sends nothing; it only runs the route lookup and binds the socket to
/// the source address the kernel would use (RFC 1122 §3.3.4.3 source selection, as Linux implements
/// it), which `getsockname(2)` then reports.
public enum RouteLookup {
    /// The source address the routing table picks for packets to `destination`.
    ///
    /// Errors: `.noRoute` when the namespace has no route there (ENETUNREACH/EHOSTUNREACH).
    public static func sourceAddress(toward destination: IPv4Address) throws(LinkError) -> IPv4Address {
        let fd = try syscallOrThrow("socket") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { close(fd) }
        var remote = socketAddress(destination.rawValue, port: 9)
        do throws(LinkError) {
            _ = try syscallOrThrow("connect") {
                withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        } catch {
            if case .system(_, let errno) = error,
               errno == .networkUnreachable || errno == .noRouteToHost || errno == .invalidArgument {
                throw .noRoute(destination)
            }
            throw error
        }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try syscallOrThrow("getsockname") {
            withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return IPv4Address(rawValue: UInt32(bigEndian: local.sin_addr.s_addr))
    }
}
