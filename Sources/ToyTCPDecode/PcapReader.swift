#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// One captured packet as read from a file: borrowed bytes, valid until the reader's next `next()`.
public struct PcapRecord {
    /// 1-based position in the file.
    public var number: Int
    public var timestamp: PacketTimestamp
    /// The captured bytes (pcap `caplen` of them), starting at the link-layer header.
    public var bytes: UnsafeRawBufferPointer
    /// The packet's length on the wire (pcap `len`); more than `bytes.count` when the capture was cut.
    public var wireLength: Int
}

/// Reads pcap and pcapng files through libpcap, one record at a time.
///
/// libpcap handles both formats, both byte orders and micro/nanosecond magic; the file is opened at
/// nanosecond precision so nothing is lost. Records stream through libpcap's one buffer: memory stays
/// flat however large the file is. A truncated or corrupt record ends the walk with an error that
/// names the record; every record before it has been returned.
///
/// A classic little-endian pcap file named by path is read faster through `BlockPcapRecords` (a
/// megabyte per system call, no copy per record); libpcap still opens and checks it, and takes
/// over at the first record the fast path does not vouch for, so what is returned and every error
/// are libpcap's.
public final class PcapReader {
    private let handle: OpaquePointer
    /// The file's link-layer type.
    public let linkType: LinkType
    /// The number of records returned so far.
    @exclusivity(unchecked) public private(set) var recordsRead = 0

    /// Opens a capture file.
    ///
    /// The file is opened here with a 1 MiB stdio buffer and handed to libpcap: its own `fopen` reads
    /// 4 KiB at a time, which costs more system time than decoding.
    public convenience init(path: String) throws(PcapError) {
        guard let stream = fopen(path, "rb") else {
            throw PcapError(.open, "\(path): \(String(cString: strerror(errno)))")
        }
        let buffer = Self.enlargeBuffer(stream)
        let fd = fileno(stream)
        do {
            try self.init(stream: stream, buffer: buffer)
        } catch {
            var named = error
            if case .open = error.kind { named.detail = "\(path): \(error.detail)" }
            throw named
        }
        mapped = BlockPcapRecords(fd: fd, snapshot: Int(pcap_snapshot(handle)))
    }

    /// Reads a capture from an open stdio stream (standard input, a pipe). The reader owns the
    /// stream from now on and closes it with the capture. Give the stream a large buffer first
    /// (`enlargeBuffer`) and pass that buffer along, so it is freed with the reader.
    public convenience init(stream: UnsafeMutablePointer<FILE>, buffer: UnsafeMutablePointer<CChar>? = nil) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errbuf) else {
            fclose(stream)
            buffer?.deallocate()
            throw PcapError(.open, Self.text(errbuf))
        }
        try self.init(handle: h, buffer: buffer)
    }

    /// Gives `stream` a 1 MiB buffer (call before its first read) and returns it, or nil if stdio refused.
    @discardableResult
    public static func enlargeBuffer(_ stream: UnsafeMutablePointer<FILE>) -> UnsafeMutablePointer<CChar>? {
        let size = 1 << 20
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        if setvbuf(stream, buffer, _IOFBF, size) != 0 {
            buffer.deallocate()
            return nil
        }
        return buffer
    }

    private init(handle h: OpaquePointer, buffer: UnsafeMutablePointer<CChar>?) throws(PcapError) {
        let dlt = pcap_datalink(h)
        guard let type = LinkType(dlt: dlt) else {
            let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unknown"
            pcap_close(h)
            buffer?.deallocate()
            throw PcapError(.unsupportedLinkType(dlt), name)
        }
        handle = h
        linkType = type
        streamBuffer = buffer
    }

    /// The stdio buffer of the stream libpcap reads, freed after the stream is closed.
    private let streamBuffer: UnsafeMutablePointer<CChar>?

    /// The fast path while it lasts (nil for pcapng, big-endian files, pipes, and after handing over).
    @exclusivity(unchecked) private var mapped: BlockPcapRecords?
    /// The compiled filter, applied to every record (both paths).
    @exclusivity(unchecked) private var filter: bpf_program?

    /// `-w` while reading: where the records `next` returns are copied (libpcap's dump file).
    @exclusivity(unchecked) private var dumper: OpaquePointer?

    deinit {
        if let d = dumper { pcap_dump_close(d) }
        mapped = nil
        if var f = filter { pcap_freecode(&f) }
        pcap_close(handle)
        streamBuffer?.deallocate()
    }

    /// Keeps only the records that match a tcpdump filter expression (pcap-filter(7)), compiled by
    /// libpcap for this file's link type, as `tcpdump -r FILE EXPRESSION` does. A bad expression throws
    /// `.filter` with libpcap's message.
    public func setFilter(_ expression: String) throws(PcapError) {
        if var old = filter { pcap_freecode(&old); filter = nil }
        filter = try PacketFilter.compile(expression, on: handle)
    }

    /// Copies every record `next` returns from now on to a new pcap file (tcpdump `-r IN -w OUT
    /// FILTER`): same link type, nanosecond timestamps. The file is complete once the reader is gone.
    public func write(to path: String) throws(PcapError) {
        guard let d = pcap_dump_open(handle, path) else {
            throw PcapError(.write, String(cString: pcap_geterr(handle)))
        }
        dumper = d
    }

    /// The file's link-layer type as libpcap's DLT_ value (what `pcap_open_dead` and dumps need).
    public var dataLinkType: Int32 { pcap_datalink(handle) }

    /// The next record (that the filter passes), or nil at the end of the file.
    public func next() throws(PcapError) -> PcapRecord? {
        while true {
            guard let record = try nextRecord() else { return nil }
            if let f = filter, let insns = f.bf_insns,
               bpf_filter(insns, record.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                          UInt32(record.wireLength), UInt32(record.bytes.count)) == 0 {
                continue
            }
            if let d = dumper {
                // The handle is at nanosecond precision, so libpcap takes tv_usec as nanoseconds.
                var h = pcap_pkthdr(ts: timeval(tv_sec: Int(record.timestamp.seconds), tv_usec: Int(record.timestamp.nanoseconds)),
                                    caplen: UInt32(record.bytes.count), len: UInt32(record.wireLength))
                if let base = record.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) {
                    pcap_dump(UnsafeMutableRawPointer(d).assumingMemoryBound(to: UInt8.self), &h, base)
                }
            }
            return record
        }
    }

    private func nextRecord() throws(PcapError) -> PcapRecord? {
        if let m = mapped {
            if let r = m.next(number: recordsRead + 1) {
                recordsRead += 1
                return r
            }
            // The end, or a record only libpcap can judge: libpcap goes on from the same record.
            let end = m.atEnd
            mapped = nil
            if end { return nil }
            for _ in 0..<recordsRead {
                var header: UnsafeMutablePointer<pcap_pkthdr>?
                var data: UnsafePointer<UInt8>?
                guard pcap_next_ex(handle, &header, &data) == 1 else { break }
            }
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let h = header?.pointee, let d = data else {
                throw PcapError(.corruptRecord(record: recordsRead + 1), "libpcap returned no data")
            }
            recordsRead += 1
            // At nanosecond precision libpcap puts nanoseconds in tv_usec.
            return PcapRecord(
                number: recordsRead,
                timestamp: PacketTimestamp(seconds: Int64(h.ts.tv_sec), nanoseconds: Int64(h.ts.tv_usec)),
                bytes: UnsafeRawBufferPointer(start: d, count: Int(h.caplen)),
                wireLength: Int(h.len))
        case PCAP_ERROR_BREAK:  // -2: end of file
            return nil
        default:
            throw PcapError(.corruptRecord(record: recordsRead + 1), String(cString: pcap_geterr(handle)))
        }
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
