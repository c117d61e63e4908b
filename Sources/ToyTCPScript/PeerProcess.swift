#if canImport(Glibc)
import Glibc
#endif

/// A process a script starts in the lab's peer namespace (`host2 "nc -l 10.0.1.1 8080" as p`): it runs
/// for the script's lifetime (its process group is ended when the script ends) and its output
/// (stdout and stderr) is readable as `p.output`.
final class PeerProcess {
    let name: String
    let command: String
    let namespace: String
    let pid: pid_t
    private let outputPath: String
    private(set) var exitStatus: Int32?

    /// Starts `sh -c COMMAND` in `namespace` (through `ip netns exec`), in a process group of its own.
    init(name: String, command: String, namespace: String) throws(ScriptError) {
        self.name = name
        self.command = command
        self.namespace = namespace
        var template = Array("/tmp/toytcp-peer-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw ScriptError("host2: cannot create an output file", at: SourceLocation(file: "", line: 0, column: 0)) }
        close(fd)
        outputPath = String(cString: template)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let words: [String] = ["/usr/bin/env", "ip", "netns", "exec", namespace, "sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, &attributes, argv, environ)
        guard rc == 0 else {
            throw ScriptError("host2: cannot start '\(command)': \(String(cString: strerror(rc)))", at: SourceLocation(file: "", line: 0, column: 0))
        }
        pid = child
    }

    /// What the process wrote so far.
    var output: [UInt8] {
        guard let f = fopen(outputPath, "r") else { return [] }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 24 {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    /// True until the process has exited (reaps it when it has).
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return false
        }
        return true
    }

    /// Ends the process group (TERM, then KILL after a second), reaps it, removes the output file.
    func stop() {
        if isRunning {
            kill(-pid, SIGTERM)
            for _ in 0..<100 where isRunning { usleep(10_000) }
            if isRunning {
                kill(-pid, SIGKILL)
                for _ in 0..<100 where isRunning { usleep(10_000) }
            }
        }
        unlink(outputPath)
    }
}
