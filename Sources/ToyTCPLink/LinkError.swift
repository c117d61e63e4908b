import SystemPackage
import ToyTCPWire

/// Why the link or the runtime around the engine could not do something. Every message is one line
/// that says what to do about it (the examples print it and exit with status 2).
public enum LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A system call failed; `call` names it.
    case system(call: String, errno: Errno)
    /// The operation needs root (CAP_NET_RAW for raw sockets, CAP_SYS_ADMIN for setns).
    case notRoot(operation: String)
    /// `/var/run/netns/NAME` does not exist.
    case noSuchNamespace(String)
    /// The address is not assigned to any interface of this network namespace.
    case addressNotOnInterface(IPv4Address, available: [IPv4Address])
    /// The kernel (or another toytcp) already uses this address and port.
    case portInUse(IPv4Address, UInt16)
    /// The routing table has no route to the destination.
    case noRoute(IPv4Address)
    /// The event loop has stopped; no more calls can be made.
    case loopStopped
    /// The IPv6 counterparts of `addressNotOnInterface` and `noRoute`.
    case ipv6AddressNotOnInterface(IPv6Address, available: [IPv6Address])
    case noIPv6Route(IPv6Address)
    /// A setting of the event loop that cannot be applied (`EventLoop.setWaitPolicy`, `setRealTime`);
    /// the text says why and what to do.
    case invalidLoopSetting(String)

    public var description: String {
        switch self {
        case .system(let call, let errno):
            if errno == .notPermitted || errno == .permissionDenied {
                return "\(call): \(errno): run as root (raw sockets need CAP_NET_RAW, namespaces CAP_SYS_ADMIN)"
            }
            return "\(call): \(errno)"
        case .notRoot(let operation):
            return "\(operation) needs root: run it with sudo (or as root)"
        case .noSuchNamespace(let name):
            return "no network namespace '\(name)': create the lab with `sudo scripts/lab-up.sh`, or see `ip netns list`"
        case .addressNotOnInterface(let address, let available):
            let list = available.isEmpty ? "none" : available.map(\.description).joined(separator: ", ")
            return "\(address) is not an address of any interface here (available: \(list)); "
                + "use one of those, or run inside the right namespace (--netns host1)"
        case .portInUse(let address, let port):
            return "port \(port) on \(address) is already in use: pick another port or stop the program using it"
        case .noRoute(let address):
            return "no route to \(address) from this namespace: check `ip route` (is the lab up? --netns host1?)"
        case .loopStopped:
            return "the toytcp event loop has stopped"
        case .ipv6AddressNotOnInterface(let address, let available):
            let list = available.isEmpty ? "none" : available.map(\.description).joined(separator: ", ")
            return "\(address) is not an IPv6 address of any interface here (available: \(list)); "
                + "use one of those, or run inside the right namespace (--netns host1)"
        case .noIPv6Route(let address):
            return "no route to \(address) from this namespace: check `ip -6 route` (is the lab up? --netns host1?)"
        case .invalidLoopSetting(let why):
            return why
        }
    }
}

extension LinkError {
    /// Whether a failed send only lost the packet on its way, which TCP recovers from like any loss:
    /// ENOBUFS (the device queue is full), EHOSTUNREACH/ENETUNREACH/EPERM (no route, or a filter),
    /// EMSGSIZE (larger than the path allows). The raw links count these and go on.
    var isPacketLostOnTheWay: Bool {
        guard case .system(_, let errno) = self else { return false }
        return errno == .noBufferSpace || errno == .noRouteToHost || errno == .networkUnreachable
            || errno == .notPermitted || errno == .messageTooLong
    }
}
