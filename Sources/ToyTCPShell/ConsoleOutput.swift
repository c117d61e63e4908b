#if canImport(Glibc)
import Glibc
#endif

/// Lines to standard output and standard error, written at once with write(2) (no stdio buffer to
/// flush, so a pty or a pipe sees every line as it is printed, and nothing is lost at exit).
public enum ConsoleOutput {
    public static func line(_ text: String) { write(STDOUT_FILENO, text + "\n") }

    public static func error(_ text: String) { write(STDERR_FILENO, text + "\n") }

    public static func flush() {}

    private static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
        bytes.removeAll()
    }
}
