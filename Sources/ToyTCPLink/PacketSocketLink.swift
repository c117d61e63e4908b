#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux

/// The send-only AF_PACKET socket of the segmentation-offload path: whole Ethernet frames, each
/// preceded by a `virtio_net_hdr` (`PACKET_VNET_HDR`, packet(7)), so one `sendto` can carry a TCP
/// super-segment that the kernel cuts into the wire segments at the device (GSO, `gso_type` TCPV4).
///
/// Why: on this path most of a segment's cost is the kernel's per-packet work behind `sendto` (see the
/// README, issue 16); the kernel's own TCP pays it once per 64 kB. An AF_PACKET send also skips the
/// route lookup, IP output and netfilter's OUTPUT chain that a raw IP socket goes through, so the
/// frames it sends carry our Ethernet header, with the next hop's address from the neighbour table.
///
/// Protocol 0: the socket receives nothing. Not thread-safe: the event loop's thread sends.
final class PacketSocketLink {
    let descriptor: CInt
    private var isClosed = false

    init(sendBufferSize: Int = 4 << 20) throws(LinkError) {
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscallOrThrow("socket(AF_PACKET, SOCK_RAW, 0)") { socket(AF_PACKET, flags, 0) }
        descriptor = fd
        do throws(LinkError) {
            try setSocketOption(fd, CInt(SOL_PACKET), CInt(PACKET_VNET_HDR), 1, call: "setsockopt(PACKET_VNET_HDR)")
            try setSocketOption(fd, SOL_SOCKET, SO_MARK, CInt(LinkMark.value), call: "setsockopt(SO_MARK)")
            try? setSocketOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, CInt(sendBufferSize), call: "setsockopt(SO_SNDBUFFORCE)")
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    /// Sends one frame (virtio_net_hdr + Ethernet frame) out of interface `interfaceIndex`.
    /// `.wouldBlock` when the socket's send buffer is full; any error (a full device queue, a link
    /// gone down) is thrown, and the caller counts the frame's segments as lost.
    func send(_ frame: UnsafeRawBufferPointer, interfaceIndex: CInt) throws(LinkError) -> IOResult<Void> {
        guard let base = frame.baseAddress else { return .done(()) }
        switch try syscall("sendto(AF_PACKET)", { ctoytcp_packet_send(descriptor, interfaceIndex, base, frame.count) }) {
        case .done: return .done(())
        case .wouldBlock: return .wouldBlock
        }
    }
}
