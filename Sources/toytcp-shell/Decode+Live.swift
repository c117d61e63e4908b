import ToyTCPDecode
import ToyTCPLink
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM during a live capture; the capture loop checks it between packets.
nonisolated(unsafe) private var captureInterrupted: sig_atomic_t = 0

extension Decode {
    /// `decode -i IFACE [--netns NAME] [FILTER]`: captures through libpcap and prints each packet as it
    /// arrives (any `--format`, the RFC diagram included), until `-c` packets, `--duration` seconds, or
    /// Ctrl-C; then, like tcpdump, the counts on standard error.
    func capture(on interface: String, _ out: StandardOutput) {
        if let name = netns {
            do { try NetworkNamespace.enter(name) } catch { failUsage(error.description) }
        }
        let capture: LiveCapture
        do {
            capture = try LiveCapture(interface: interface, snapLength: snapLength, bufferSize: bufferKiB * 1024)
            if let expression = filterExpression { try capture.setFilter(expression) }
            if let path = writeFile { try capture.write(to: path) }
        } catch {
            failUsage(error.description)
        }
        signal(SIGINT) { _ in captureInterrupted = 1 }
        signal(SIGTERM) { _ in captureInterrupted = 1 }
        signal(SIGPIPE, SIG_IGN)
        // A parent (a script's background job, a test runner) may have blocked them; Ctrl-C must work.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        let printing = writeFile == nil || printWhileWriting
        var printer = PacketPrinter(format: format ?? .line, options: options) { out.write($0) }
        FileHandleOutput.standardError(
            "toytcp-shell decode: listening on \(interface), link-type \(capture.dataLinkName), snapshot length \(capture.snapLength) bytes")
        var deadline: timespec?
        if let d = duration {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let end = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + d
            deadline = timespec(tv_sec: Int(end), tv_nsec: Int((end - end.rounded(.down)) * 1e9))
        }
        while captureInterrupted == 0 {
            if let c = count, capture.packetsCaptured >= c { break }
            var wait: Int32 = 100
            if let end = deadline {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let left = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1_000_000
                if left <= 0 { break }
                wait = Int32(min(left, 100))
            }
            do {
                guard let record = try capture.next(timeout: wait) else { continue }
                if printing {
                    printer.printRecord(record, linkType: capture.linkType)
                    printer.flush()
                }
            } catch {
                printer.flush()
                fail(error.description)
            }
        }
        printer.flush()
        capture.flushWritten()
        // tcpdump's summary: a blank line, then the counts.
        var summary = "\n\(plural(capture.packetsCaptured, "packet")) captured\n"
        if let s = capture.kernelStatistics {
            summary += "\(plural(Int(s.received), "packet")) received by filter\n"
            summary += "\(plural(Int(s.dropped), "packet")) dropped by kernel"
        }
        FileHandleOutput.standardError(summary)
        if printing { reportSkipped(printer.statistics) }
    }

    private func plural(_ n: Int, _ word: String) -> String {
        "\(n) \(word)\(n == 1 ? "" : "s")"
    }
}
