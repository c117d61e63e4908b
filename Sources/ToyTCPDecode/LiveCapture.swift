#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// Packets captured from a network interface through libpcap, as tcpdump captures them: promiscuous,
/// immediate mode (each packet is delivered as it arrives, not when a kernel buffer block fills), the
/// filter compiled to BPF and run in the kernel.
///
/// `next(timeout:)` waits with `poll(2)` on libpcap's descriptor, so a caller can stop on a signal, a
/// count or a deadline between packets. A record's bytes are valid until the next call.
public final class LiveCapture {
    private let handle: OpaquePointer
    public let interface: String
    public let linkType: LinkType
    /// libpcap's DLT_ value and name, for the "listening on" line.
    public let dataLinkName: String
    public let snapLength: Int
    private var dumper: OpaquePointer?
    /// Packets returned by `next` so far (tcpdump's "packets captured").
    public private(set) var packetsCaptured = 0

    /// Opens and activates `interface` (in the calling thread's network namespace).
    /// `bufferSize` is the kernel ring's size: in immediate mode libpcap sizes each slot by the snapshot
    /// length (up to 256 KiB on an interface with offloads), so a small ring drops packets of a burst.
    /// Errors (`.capture`) carry libpcap's explanation, e.g. `nosuch0: No such device exists`.
    public init(interface: String, snapLength: Int = 262_144, promiscuous: Bool = true,
                bufferSize: Int = 32 << 20) throws(PcapError) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &errbuf) else {
            throw PcapError(.capture, "\(interface): \(Self.text(errbuf))")
        }
        pcap_set_snaplen(h, Int32(snapLength))
        pcap_set_promisc(h, promiscuous ? 1 : 0)
        pcap_set_immediate_mode(h, 1)
        pcap_set_buffer_size(h, Int32(bufferSize))
        pcap_set_timeout(h, 100)
        let status = pcap_activate(h)
        if status < 0 {
            let detail = String(cString: pcap_geterr(h))
            let kind = String(cString: pcap_statustostr(status))
            pcap_close(h)
            // libpcap's own text names the interface for most failures; add the status otherwise.
            let message = detail.isEmpty || detail == kind ? "\(interface): \(kind)"
                : (detail.contains(interface) ? detail : "\(interface): \(kind) (\(detail))")
            throw PcapError(.capture, message)
        }
        let dlt = pcap_datalink(h)
        guard let type = LinkType(dlt: dlt) else {
            let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unknown"
            pcap_close(h)
            throw PcapError(.unsupportedLinkType(dlt), name)
        }
        guard pcap_setnonblock(h, 1, &errbuf) == 0 else {
            pcap_close(h)
            throw PcapError(.capture, "\(interface): \(Self.text(errbuf))")
        }
        handle = h
        self.interface = interface
        linkType = type
        let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "\(dlt)"
        let description = pcap_datalink_val_to_description(dlt).map { String(cString: $0) } ?? name
        dataLinkName = "\(name) (\(description))"
        self.snapLength = Int(pcap_snapshot(h))
    }

    deinit {
        if let d = dumper { pcap_dump_close(d) }
        pcap_close(handle)
    }

    /// Installs a tcpdump filter expression in the kernel (see `PcapReader.setFilter`).
    public func setFilter(_ expression: String) throws(PcapError) {
        try PacketFilter.install(expression, on: handle)
    }

    /// Writes every packet `next` returns to a pcap file as well (tcpdump's `-w`), through libpcap.
    public func write(to path: String) throws(PcapError) {
        guard let d = pcap_dump_open(handle, path) else {
            throw PcapError(.write, String(cString: pcap_geterr(handle)))
        }
        dumper = d
    }

    /// The next packet, or nil when none arrived within `timeout` milliseconds or a signal interrupted
    /// the wait.
    public func next(timeout: Int32) throws(PcapError) -> PcapRecord? {
        if let r = try take() { return r }
        var fd = pollfd(fd: pcap_get_selectable_fd(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, timeout)
        if ready <= 0 { return nil }
        return try take()
    }

    private func take() throws(PcapError) -> PcapRecord? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        guard status == 1, let h = header, let d = data else {
            if status < 0 && status != PCAP_ERROR_BREAK {
                throw PcapError(.capture, "\(interface): \(String(cString: pcap_geterr(handle)))")
            }
            return nil
        }
        packetsCaptured += 1
        if let dumper {
            pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), h, d)
        }
        // Opened at microsecond precision, as tcpdump does.
        return PcapRecord(number: packetsCaptured,
                          timestamp: PacketTimestamp(seconds: Int64(h.pointee.ts.tv_sec),
                                                     nanoseconds: Int64(h.pointee.ts.tv_usec) * 1000),
                          bytes: UnsafeRawBufferPointer(start: d, count: Int(h.pointee.caplen)),
                          wireLength: Int(h.pointee.len))
    }

    /// Writes out what `-w` has buffered.
    public func flushWritten() {
        if let d = dumper { pcap_dump_flush(d) }
    }

    /// The kernel's counts (pcap_stats): packets that passed the filter, and those dropped for want of
    /// buffer space.
    public var kernelStatistics: (received: UInt32, dropped: UInt32)? {
        var s = pcap_stat()
        guard pcap_stats(handle, &s) == 0 else { return nil }
        return (s.ps_recv, s.ps_drop)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
