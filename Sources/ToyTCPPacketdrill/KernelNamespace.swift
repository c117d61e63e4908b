import CToyTCPPacketdrill
import Foundation

/// The private network namespace a kernel run happens in: created with a unique name (`ip netns add
/// pktdrill-PID-N`), entered by the calling thread and then unnamed (it ends with the last thread in
/// it), with packetdrill's `tun0` holding the local address and a route to the remote one; `close()`
/// returns the thread to its original namespace.
///
/// Threads this thread creates afterwards, and the commands it runs, inherit the namespace.
final class KernelNamespace {
    let name: String
    let tun: Int32
    /// AF_PACKET socket on tun0: outbound segments with the kernel's timestamps (-1 if unavailable).
    private(set) var sniffer: Int32 = -1
    private let original: Int32

    struct SetupError: Error, CustomStringConvertible { var description: String }

    nonisolated(unsafe) private static var counter = 0

    init(local: String, remote: String, gateway: String, netmask: String, mtu: Int = 1500) throws {
        KernelNamespace.counter += 1
        name = "pktdrill-\(getpid())-\(KernelNamespace.counter)"
        original = open("/proc/self/task/\(pktd_gettid())/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw SetupError(description: "cannot open this thread's network namespace") }
        guard Shell.run("ip netns add \(name)") == 0 else {
            Glibc.close(original)
            throw SetupError(description: "'ip netns add \(name)' failed: root is needed")
        }
        let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0, pktd_setns_net(fd) == 0 else {
            if fd >= 0 { Glibc.close(fd) }
            _ = Shell.run("ip netns del \(name)")
            Glibc.close(original)
            throw SetupError(description: "cannot enter network namespace \(name)")
        }
        Glibc.close(fd)
        // The name goes now: the namespace lives on while this thread is in it and ends with the
        // process, so a run that is killed leaves nothing behind.
        Shell.run("ip netns del \(name)")
        tun = pktd_tun_open("tun0")
        guard tun >= 0 else {
            _ = pktd_setns_net(original)
            throw SetupError(description: "cannot create tun0 (/dev/net/tun)")
        }
        let setup = KernelNamespace.tunSetup(local: local, gateway: gateway, netmask: netmask, mtu: mtu)
        guard Shell.run(setup) == 0 else {
            close()
            throw SetupError(description: "configuring tun0 failed: \(setup)")
        }
        sniffer = pktd_packet_open("tun0")
    }

    static func prefixLength(_ mask: String) -> Int {
        mask.split(separator: ".").compactMap { UInt8($0) }.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    private var closed = false
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(tun)
        if sniffer >= 0 { Glibc.close(sniffer) }
        _ = pktd_setns_net(original)
        Glibc.close(original)
    }
    deinit { close() }
}

/// Commands run through `/bin/sh -c` from the calling thread (so in its network namespace).
enum Shell {
    /// `./defaults.sh` from a read-only copy of the corpus (no execute bits): run through the
    /// interpreter its `#!` line names, as the kernel would.
    static func withInterpreter(_ command: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            if word.hasPrefix("./"), access(word, F_OK) == 0, access(word, X_OK) != 0 {
                out += interpreter(of: word) + " " + word
            } else {
                out += word
            }
            word = ""
        }
        for ch in command {
            if ch == " " || ch == "\t" || ch == "\n" || ch == ";" || ch == "&" || ch == "|" || ch == "(" || ch == ")" {
                flush()
                out.append(ch)
            } else {
                word.append(ch)
            }
        }
        flush()
        return out
    }

    static func interpreter(of path: String) -> String {
        guard let f = fopen(path, "r") else { return "/bin/sh" }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, 256, f) != nil else { return "/bin/sh" }
        let first = String(cString: line).trimmed
        return first.hasPrefix("#!") ? String(first.dropFirst(2)).trimmed : "/bin/sh"
    }

    /// The exit status (-1 when it could not start), output appended to `output` when given.
    @discardableResult
    static func run(_ command: String, output: ((String) -> Void)? = nil) -> Int32 {
        var pid: pid_t = 0
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return -1 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv: [String] = ["/bin/sh", "-c", command]
        var cargs = argv.map { strdup($0) }
        cargs.append(nil)
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, &cargs, environ)
        for p in cargs { free(p) }
        posix_spawn_file_actions_destroy(&actions)
        Glibc.close(fds[1])
        var text: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            text += buf[0..<n]
        }
        Glibc.close(fds[0])
        guard rc == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if !text.isEmpty { output?(String(decoding: text, as: UTF8.self)) }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
