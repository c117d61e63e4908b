#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// tcpdump's filter expressions (pcap-filter(7)), compiled by libpcap rather than reimplemented, so the
/// language and its meaning are exactly tcpdump's: `tcp port 80 and host 10.0.0.1`,
/// `tcp[tcpflags] & tcp-syn != 0`, `greater 100`, `not ...`.
enum PacketFilter {
    /// Compiles `expression` for the handle's link type (optimised, netmask unknown, as tcpdump does
    /// when it has no interface address) and installs it: in the kernel for a live capture, applied to
    /// each record by libpcap for a file.
    static func install(_ expression: String, on handle: OpaquePointer) throws(PcapError) {
        var program = try compile(expression, on: handle)
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw PcapError(.filter, String(cString: pcap_geterr(handle)))
        }
    }

    /// The BPF program for `expression` (the caller frees it with `pcap_freecode`); a file's reader
    /// runs it on each record itself with `bpf_filter`, as libpcap's `pcap_offline_filter` does.
    static func compile(_ expression: String, on handle: OpaquePointer) throws(PcapError) -> bpf_program {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw PcapError(.filter, String(cString: pcap_geterr(handle)))
        }
        return program
    }
}
