#if canImport(Glibc)
import Glibc
#endif

/// Writes a classic pcap file with link type raw IP (LINKTYPE_RAW, 101): every packet an IPv4 packet.
/// tcpdump, tshark and Wireshark open it.
///
/// Made to tap a stack: `write` appends to an in-memory buffer that is written out every 64 KiB (and
/// by `flush()`/`close()`), so tapping every packet costs a copy, not a syscall. `write` never throws:
/// an I/O error while writing out is kept, later packets are dropped, and the error is thrown by the
/// next `flush()` or `close()`. Timestamps are given by the caller (virtual time or wall time).
/// Not thread-safe: one writer per thread.
public final class PcapWriter {
    public enum Precision: Sendable {
        case microseconds
        case nanoseconds
    }

    private var fd: Int32
    private var buffer: [UInt8] = []
    public let precision: Precision
    /// Records written so far.
    public private(set) var packetsWritten = 0
    /// Packets longer than this are cut (their wire length is kept).
    public let snapLength: Int

    /// Creates (or truncates) `path` and writes the file header.
    public init(path: String, precision: Precision = .microseconds, snapLength: Int = 262_144) throws(PcapError) {
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            throw PcapError(.open, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        fd = opened
        self.precision = precision
        self.snapLength = snapLength
        buffer.reserveCapacity(128 * 1024)
        // Global header (little-endian, as written by most tools): magic, version 2.4, zone, sigfigs,
        // snaplen, link type.
        appendLE(precision == .nanoseconds ? UInt32(0xA1B2_3C4D) : UInt32(0xA1B2_C3D4))
        appendLE16(2)
        appendLE16(4)
        appendLE(UInt32(0))
        appendLE(UInt32(0))
        appendLE(UInt32(snapLength))
        appendLE(UInt32(101))
        try writeOut()
    }

    deinit { if fd >= 0 { try? close() } }

    /// Appends one packet (an IPv4 packet, starting at its header) captured at `seconds` +
    /// `nanoseconds` since the epoch (or since any origin the caller likes: virtual time).
    public func write(_ packet: UnsafeRawBufferPointer, seconds: Int64, nanoseconds: Int32) {
        precondition(fd >= 0, "PcapWriter used after close()")
        guard pendingError == nil else { return }
        let captured = min(packet.count, snapLength)
        var sec = seconds
        var nsec = Int64(nanoseconds)
        if nsec < 0 || nsec >= 1_000_000_000 {
            sec += nsec / 1_000_000_000
            nsec %= 1_000_000_000
            if nsec < 0 { nsec += 1_000_000_000; sec -= 1 }
        }
        appendLE(UInt32(truncatingIfNeeded: sec))
        appendLE(UInt32(truncatingIfNeeded: precision == .nanoseconds ? nsec : nsec / 1000))
        appendLE(UInt32(captured))
        appendLE(UInt32(packet.count))
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[0..<captured]))
        packetsWritten += 1
        if buffer.count >= 64 * 1024 {
            do { try writeOut() } catch { pendingError = error }
        }
    }

    public func write(_ packet: [UInt8], seconds: Int64, nanoseconds: Int32) {
        packet.withUnsafeBytes { write($0, seconds: seconds, nanoseconds: nanoseconds) }
    }

    /// Writes out everything buffered; throws the first write error since the last `flush()`.
    public func flush() throws(PcapError) {
        if let e = pendingError {
            pendingError = nil
            buffer.removeAll(keepingCapacity: true)
            throw e
        }
        try writeOut()
    }

    private var pendingError: PcapError?

    private func writeOut() throws(PcapError) {
        var done = 0
        let total = buffer.count
        while done < total {
            let n = buffer.withUnsafeBytes { b in Glibc.write(fd, b.baseAddress! + done, total - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PcapError(.write, "pcap write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file; later writes are a programming error.
    public func close() throws(PcapError) {
        guard fd >= 0 else { return }
        defer { _ = Glibc.close(fd); fd = -1 }
        try flush()
    }

    private func appendLE(_ v: UInt32) {
        buffer.append(UInt8(truncatingIfNeeded: v))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8))
        buffer.append(UInt8(truncatingIfNeeded: v >> 16))
        buffer.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    private func appendLE16(_ v: UInt16) {
        buffer.append(UInt8(truncatingIfNeeded: v))
        buffer.append(UInt8(truncatingIfNeeded: v >> 8))
    }
}
