#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPWire

/// Claims a TCP port from the kernel of the current namespace by binding (not listening) a kernel
/// socket to it, while a toytcp listener uses that port on the same addresses.
///
/// The kernel and toytcp share the namespace's addresses. Without this, a kernel program could listen on
/// the same port (both would answer each SYN), two toytcp processes could listen on the same port (each
/// raw socket gets a copy of every segment), and the kernel could choose the port as an ephemeral one.
/// `bind` failing with EADDRINUSE is exactly "port in use". A SYN to the port still finds no kernel
/// listener; the kernel's RST for it is dropped by the lab's filter.
struct PortReservation {
    let descriptor: CInt
    /// The IPv6 half of a listener on no address (`::`, IPV6_V6ONLY), or -1.
    var alsoHeld: CInt = -1

    init(address: IPv4Address, port: UInt16) throws(LinkError) {
        descriptor = try syscallOrThrow("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        var sa = socketAddress(address.rawValue, port: port)
        do throws(LinkError) {
            _ = try syscallOrThrow("bind") {
                withUnsafePointer(to: &sa) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        } catch {
            close(descriptor)
            if case .system(_, let errno) = error {
                if errno == .addressInUse { throw .portInUse(address, port) }
                if errno == .addressNotAvailable {
                    throw .addressNotOnInterface(address, available: (try? InterfaceAddress.usable()) ?? [])
                }
                if errno == .permissionDenied {
                    throw .notRoot(operation: "listening on port \(port) (below 1024)")
                }
            }
            throw error
        }
    }

    func release() {
        close(descriptor)
        if alsoHeld >= 0 { close(alsoHeld) }
    }
}
