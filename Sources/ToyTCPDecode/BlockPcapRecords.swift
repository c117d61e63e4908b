#if canImport(Glibc)
import Glibc
#endif

/// The records of a classic pcap file read a large block at a time with `pread(2)` and handed out from
/// the block: one system call per 128 KiB or more and no `fread` or copy per record, which is most of what
/// reading costs when a filter drops most packets. The block is small enough to stay in the CPU cache
/// while its records are decoded, and memory stays flat on any file size.
///
/// Only the plain case is taken: little-endian, version 2.4, micro- or nanosecond magic, no FCS bits in
/// the link type, every record's captured length within libpcap's snapshot length and inside the file.
/// Anything else is left to libpcap (`next` returns nil with `atEnd` false), so its judgement and its
/// messages stay the only ones.
final class BlockPcapRecords {
    // Unchecked exclusivity, as in OutputBuffer: touched several times per record, never from two
    // places at once (one reader, one thread), and the dynamic checks cost more than the reading.
    private let fd: Int32
    private let fileSize: Int
    private let snapshot: Int
    private let nanoseconds: Bool
    private let block: UnsafeMutableRawPointer
    private let blockCapacity: Int
    /// File offset of `block[0]`, and how many bytes of the file it holds.
    @exclusivity(unchecked) private var blockStart = 0
    @exclusivity(unchecked) private var blockCount = 0
    /// File offset of the next record header.
    @exclusivity(unchecked) private var position = 24
    /// Set when `next` returned nil because the file ended cleanly.
    @exclusivity(unchecked) private(set) var atEnd = false

    /// nil when the file is not one this path reads (the caller stays with libpcap).
    init?(fd: Int32, snapshot: Int) {
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var header = [UInt8](repeating: 0, count: 24)
        guard pread(fd, &header, 24, 0) == 24 else { return nil }
        func le32(_ i: Int) -> UInt32 {
            UInt32(header[i]) | UInt32(header[i + 1]) << 8 | UInt32(header[i + 2]) << 16 | UInt32(header[i + 3]) << 24
        }
        let magic = le32(0)
        guard magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D else { return nil }
        guard header[4] == 2, header[5] == 0, header[6] == 4, header[7] == 0 else { return nil }
        guard le32(20) & 0xFFFF_0000 == 0 else { return nil }
        self.fd = fd
        fileSize = Int(info.st_size)
        self.snapshot = snapshot
        nanoseconds = magic == 0xA1B2_3C4D
        // 128 KiB plus room for the largest record, so any record fits after a refill; small enough
        // that the bytes the kernel has just copied are still in the cache when they are decoded.
        blockCapacity = (128 << 10) + 16 + max(snapshot, 0)
        block = .allocate(byteCount: blockCapacity, alignment: 64)
    }

    deinit {
        block.deallocate()
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
        // libpcap reads the sub-second field as a signed 32-bit number (`struct pcap_timeval`'s
        // `bpf_int32 tv_usec`): a corrupt value of 2^31 or more is negative, and tcpdump prints it so.
        let signedFraction = Int64(Int32(bitPattern: fraction))
        return PcapRecord(number: number,
                          timestamp: PacketTimestamp(seconds: Int64(seconds),
                                                     nanoseconds: nanoseconds ? signedFraction : signedFraction * 1000),
                          bytes: UnsafeRawBufferPointer(start: data, count: caplen),
                          wireLength: len)
    }

    /// `count` bytes at file offset `offset`, reading the next block when they are not all in this one.
    /// Records are consumed in order, so a refill starts at `offset` (earlier bytes are done with).
    @inline(__always)
    private func bytes(at offset: Int, count: Int) -> UnsafeRawPointer? {
        if offset >= blockStart && offset + count <= blockStart + blockCount {
            return UnsafeRawPointer(block + (offset - blockStart))
        }
        return refill(offset, count)
    }

    private func refill(_ offset: Int, _ count: Int) -> UnsafeRawPointer? {
        guard offset + count <= fileSize, count + 16 <= blockCapacity else { return nil }
        blockStart = offset
        blockCount = 0
        let want = min(blockCapacity, fileSize - offset)
        while blockCount < want {
            let n = pread(fd, block + blockCount, want - blockCount, off_t(offset + blockCount))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            blockCount += n
        }
        return count <= blockCount ? UnsafeRawPointer(block) : nil
    }
}
