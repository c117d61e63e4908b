#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import SystemPackage

/// Entering a named network namespace, the way `ip netns exec NAME` does, so users of `--netns host1`
/// need not type `ip netns exec`.
///
/// `setns(2)` moves only the calling thread. Call `enter` first thing, before any thread, socket or
/// event loop is created: threads created afterwards by this thread inherit the namespace, sockets are
/// bound to the namespace of the thread that creates them.
public enum NetworkNamespace {
    /// Where `ip netns add` pins named namespaces.
    public static let directory = "/var/run/netns"

    /// Moves the calling thread into the network namespace `name` (a file under `/var/run/netns`).
    ///
    /// Errors: `.noSuchNamespace` when there is no such file, `.notRoot` without CAP_SYS_ADMIN.
    public static func enter(_ name: String) throws(LinkError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw .noSuchNamespace(name)
        }
        let path = directory + "/" + name
        let fd: CInt
        do throws(LinkError) {
            fd = try syscallOrThrow("open") { open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            if case .system(_, let errno) = error {
                if errno == .noSuchFileOrDirectory { throw .noSuchNamespace(name) }
                if errno == .permissionDenied || errno == .notPermitted {
                    throw .notRoot(operation: "entering network namespace '\(name)'")
                }
            }
            throw error
        }
        defer { close(fd) }
        do throws(LinkError) {
            _ = try syscallOrThrow("setns") { setns(fd, CTOYTCP_CLONE_NEWNET) }
        } catch {
            if case .system(_, let errno) = error, errno == .notPermitted {
                throw .notRoot(operation: "entering network namespace '\(name)'")
            }
            throw error
        }
    }

    /// Whether this process runs as root (effective uid 0).
    public static var isRoot: Bool { geteuid() == 0 }
}
