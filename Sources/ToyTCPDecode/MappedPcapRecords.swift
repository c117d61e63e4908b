#if canImport(Glibc)
import Glibc
#endif

/// The records of a classic pcap file read straight from a memory mapping: no `fread` and no copy per
/// record, which is most of what reading costs when a filter drops most packets.
///
/// Only the plain case is taken: little-endian, version 2.4, micro- or nanosecond magic, no FCS bits in
/// the link type, every record's captured length within libpcap's snapshot length and inside the file.
/// Anything else is left to libpcap (`next` returns nil with `atEnd` false), so its judgement and its
/// messages stay the only ones. The file is mapped 16 MiB at a time and each window is unmapped when
/// passed, so memory stays flat on any file size.
final class MappedPcapRecords {
    private let fd: Int32
    private let fileSize: Int
    private let snapshot: Int
    private let nanoseconds: Bool
    private var window: UnsafeMutableRawPointer?
    private var windowStart = 0
    private var windowLength = 0
    /// File offset of the next record header.
    private var position = 24
    /// Set when `next` returned nil because the file ended cleanly.
    private(set) var atEnd = false
    private static let windowSize = 16 << 20

    /// nil when the file is not one this path reads (the caller stays with libpcap).
    init?(fd: Int32, snapshot: Int) {
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        self.fd = fd
        fileSize = Int(info.st_size)
        self.snapshot = snapshot
        var header = [UInt8](repeating: 0, count: 24)
        guard fileSize >= 24, pread(fd, &header, 24, 0) == 24 else { return nil }
        func le32(_ i: Int) -> UInt32 {
            UInt32(header[i]) | UInt32(header[i + 1]) << 8 | UInt32(header[i + 2]) << 16 | UInt32(header[i + 3]) << 24
        }
        let magic = le32(0)
        guard magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D else { return nil }
        guard header[4] == 2, header[5] == 0, header[6] == 4, header[7] == 0 else { return nil }
        guard le32(20) & 0xFFFF_0000 == 0 else { return nil }
        nanoseconds = magic == 0xA1B2_3C4D
    }

    deinit {
        if let w = window { munmap(w, windowLength) }
    }

    /// The record at the current position, or nil (at the end: `atEnd`; otherwise libpcap's turn).
    @inline(__always)
    func next(number: Int) -> PcapRecord? {
        guard let h = bytes(at: position, count: 16) else {
            atEnd = position == fileSize
            return nil
        }
        let seconds = h.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian
        let fraction = h.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        let caplen = Int(h.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        let len = Int(h.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        guard caplen <= snapshot, let data = bytes(at: position + 16, count: caplen) else { return nil }
        position += 16 + caplen
        return PcapRecord(number: number,
                          timestamp: PacketTimestamp(seconds: Int64(seconds),
                                                     nanoseconds: nanoseconds ? Int64(fraction) : Int64(fraction) * 1000),
                          bytes: UnsafeRawBufferPointer(start: data, count: caplen),
                          wireLength: len)
    }

    /// `count` bytes at file offset `offset`, mapping a new window when they are not in the current one.
    @inline(__always)
    private func bytes(at offset: Int, count: Int) -> UnsafeRawPointer? {
        guard offset + count <= fileSize else { return nil }
        if let w = window, offset >= windowStart, offset + count <= windowStart + windowLength {
            return UnsafeRawPointer(w + (offset - windowStart))
        }
        return remap(offset, count)
    }

    private func remap(_ offset: Int, _ count: Int) -> UnsafeRawPointer? {
        if let w = window { munmap(w, windowLength); window = nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset & ~(page - 1)
        let length = min(max(Self.windowSize, offset + count - start), fileSize - start)
        guard length > 0 else { return nil }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(start))
        guard let p, p != MAP_FAILED else { return nil }
        madvise(p, length, MADV_SEQUENTIAL)
        window = p
        windowStart = start
        windowLength = length
        return UnsafeRawPointer(p + (offset - start))
    }
}
