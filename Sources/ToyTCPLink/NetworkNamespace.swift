#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import SystemPackage
import ToyTCPEngine
import ToyTCPWire

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
            forgetCurrentID()
        } catch {
            if case .system(_, let errno) = error, errno == .notPermitted {
                throw .notRoot(operation: "entering network namespace '\(name)'")
            }
            throw error
        }
    }

    /// The calling thread's network namespace (the inode of `/proc/thread-self/ns/net`), 0 if unknown.
    /// Kept per thread (a `pthread` key: a blocking call of an event loop asks each time whether its
    /// caller may run it inline, `EventLoop.runInline`); `enter` forgets it, as `setns` moves only the
    /// calling thread.
    static var currentID: UInt64 {
        if let known = pthread_getspecific(threadNamespaceKey) { return UInt64(UInt(bitPattern: known)) }
        var status = stat()
        guard stat("/proc/thread-self/ns/net", &status) == 0, status.st_ino != 0 else { return 0 }
        pthread_setspecific(threadNamespaceKey, UnsafeRawPointer(bitPattern: UInt(status.st_ino)))
        return UInt64(status.st_ino)
    }

    private static func forgetCurrentID() {
        pthread_setspecific(threadNamespaceKey, nil)
    }

    /// Whether this process runs as root (effective uid 0).
    public static var isRoot: Bool { geteuid() == 0 }
}

extension NetworkNamespace {
    /// Runs `body` on a short-lived thread inside the network namespace `name`, without moving the
    /// calling thread, and returns its result. Sockets `body` opens belong to that namespace, and
    /// threads it starts (an event loop's) stay in it. Lets one process work in several namespaces.
    public static func perform<T>(in name: String, _ body: @escaping () throws -> T) throws -> T {
        let box = ResultBox<T>()
        try runOnNewThread {
            box.result = Result {
                try NetworkNamespace.enter(name)
                return try body()
            }
        }
        guard let result = box.result else { throw LinkError.loopStopped }
        return try result.get()
    }

    /// Runs `work` on a new thread and waits for it to end.
    private static func runOnNewThread(_ work: @escaping () -> Void) throws(LinkError) {
        var helper = pthread_t()
        let context = Unmanaged.passRetained(ThreadWork(work)).toOpaque()
        let created = pthread_create(&helper, nil, { context in
            Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<ThreadWork>.fromOpaque(context).release()
            throw .system(call: "pthread_create", errno: .init(rawValue: created))
        }
        pthread_join(helper, nil)
    }
}

/// A thread's work, handed to `pthread_create` (the creator joins before reading what it wrote).
private final class ThreadWork: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>? = nil
}

extension EventLoop {
    /// Starts an event loop inside the network namespace `name` without moving the calling thread
    /// (see `NetworkNamespace.perform(in:_:)`): the loop's thread and raw socket live in `name`.
    public static func start(inNamespace name: String, addresses: [IPv4Address]? = nil,
                             configuration: StackConfiguration = StackConfiguration(),
                             ipv6Addresses: [IPv6Address] = []) throws -> EventLoop {
        try NetworkNamespace.perform(in: name) {
            try EventLoop(addresses: addresses, configuration: configuration, ipv6Addresses: ipv6Addresses)
        }
    }
}

/// The key of each thread's `NetworkNamespace.currentID`.
private let threadNamespaceKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create")
    return key
}()
