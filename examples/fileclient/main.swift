// fileclient ADDR PORT FILE: sends FILE over toytcp, with a progress bar on stderr and the throughput
// at the end.
//
//   sudo ip netns exec host1 .build/release/fileclient 10.0.1.1 8000 /tmp/file
#if canImport(Glibc)
import Glibc
#endif
import ToyTCPLink

let tool = CommandLineTool(
    name: "fileclient", usage: "[--netns NS] ADDR PORT FILE", positionalCount: 3,
    help: """
    Connects to ADDR:PORT (ADDR IPv4 or IPv6) with toytcp, sends the contents of FILE, closes its side and waits until the
    receiver has everything and closes too; then prints the throughput.
      --netns NS   enter network namespace NS first (as `ip netns exec NS` would)
    """)
let address = tool.ipAddress(at: 0)
let port = tool.port(at: 1)
let path = tool.arguments[2]
let file = open(path, O_RDONLY | O_CLOEXEC)
guard file >= 0 else {
    tool.fail("cannot read '\(path)': \(String(cString: strerror(errno))); give an existing file")
}
var info = stat()
guard fstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
    tool.fail("'\(path)' is not a regular file; give a file to send")
}
let size = Int(info.st_size)
// A send buffer of several chunks keeps the loop sending while this thread reads the next chunk.
var configuration = StackConfiguration()
configuration.sendBufferSize = 4 << 20
let loop = tool.startLoop(configuration: configuration, for: address)

/// A one-line progress bar, redrawn in place at most every 100 ms.
struct ProgressBar {
    let total: Int
    var lastDraw = Instant(nanoseconds: 0)
    let start = monotonicNow()

    mutating func draw(_ done: Int, force: Bool = false) {
        let now = monotonicNow()
        guard force || now.nanoseconds - lastDraw.nanoseconds >= 100_000_000 else { return }
        lastDraw = now
        let width = 40
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let filled = min(width, Int(fraction * Double(width)))
        let seconds = Double((now - start).nanosecondsClamped) / 1e9
        let rate = seconds > 0 ? Double(done) * 8 / seconds / 1e6 : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var line = "\r[\(bar)] \(Int(fraction * 100))% \(done / 1_000_000) MB \(Int(rate)) Mbit/s"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

do {
    let connection = try loop.connect(to: address, port: port)
    var progress = ProgressBar(total: size)
    let chunkSize = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunkSize)
    var sent = 0
    while true {
        let n = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, chunkSize) }
        if n < 0 {
            if errno == EINTR { continue }
            tool.fail("reading '\(path)': \(String(cString: strerror(errno)))", status: 1)
        }
        if n == 0 { break }
        try connection.send(n == chunkSize ? buffer : Array(buffer[0..<n]))
        sent += n
        progress.draw(sent)
    }
    close(file)
    // Our FIN after the data; the receiver closes when it has read everything, so its FIN means the
    // whole file arrived.
    try connection.shutdown()
    while try connection.receive() != nil {}
    let seconds = Double((monotonicNow() - progress.start).nanosecondsClamped) / 1e9
    progress.draw(sent, force: true)
    try connection.close()
    // TOYTCP_STATS=1: the loop's and the engine's counters, and how the time was spent.
    if getenv("TOYTCP_STATS") != nil, let stats = try? loop.statistics() {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        tool.log("\n\(stats.link)\n\(stats.stack)\ncpu user \(usage.ru_utime.tv_sec).\(usage.ru_utime.tv_usec / 1000)s sys \(usage.ru_stime.tv_sec).\(usage.ru_stime.tv_usec / 1000)s, context switches voluntary \(usage.ru_nvcsw) involuntary \(usage.ru_nivcsw)")
    }
    let rate = seconds > 0 ? Double(sent) * 8 / seconds / 1e6 : 0
    let secondsText = String(Int(seconds * 1000)) + " ms"
    var line = "\nfileclient: sent \(sent) bytes in \(secondsText) (\(Int(rate)) Mbit/s)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
} catch {
    tool.fail(error)
}
loop.shutdown()
