#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPWire

/// What the raw socket lets into its queue: TCP segments to one of the stack's addresses and to one of
/// its ports, as a classic BPF program attached with `SO_ATTACH_FILTER`.
///
/// Without it a raw TCP socket receives a copy of *every* TCP segment the namespace delivers locally
/// (LAB-NOTES fact 3): a kernel `nc` transfer beside ours costs the loop a `recv`, a wake-up and a
/// header check per segment, and fills the queue our own ACKs need. The kernel runs the filter before
/// queueing, so what it rejects costs no system call and no copy.
///
/// Our ports: the ephemeral range the stack picks from, every port a listener uses, and every source
/// port the loop has sent from (a connection from a chosen port, the shell's crafted segments, whose
/// answers it waits for). The set only grows; past `maximumPorts` the filter checks addresses only.
/// IP fragments pass (their later pieces carry no ports).
///
/// The IPv6 receive socket carries its own (`ipv6Addresses` set, `addresses` empty): its filter sees the
/// packet from the TCP header (RFC 3542: an IPv6 raw socket never sees the IPv6 header), so it reads the
/// header through the kernel's network-header offsets (`SKF_NET_OFF`). A packet with extension headers
/// passes (the stack checks it).
struct ReceiveFilter: Equatable {
    var addresses: [IPv4Address]
    var portRange: ClosedRange<UInt16>
    var ports: Set<UInt16> = []
    /// The IPv6 socket's filter: these addresses, and `addresses` is empty.
    var ipv6Addresses: [IPv6Address] = []

    init(addresses: [IPv4Address], portRange: ClosedRange<UInt16>) {
        self.addresses = addresses
        self.portRange = portRange
    }

    init(ipv6Addresses: [IPv6Address], portRange: ClosedRange<UInt16>) {
        self.addresses = []
        self.ipv6Addresses = ipv6Addresses
        self.portRange = portRange
    }

    /// Classic BPF jumps reach at most 255 instructions ahead: the program stays well below.
    static let maximumPorts = 200
    static let maximumAddresses = 16
    /// Eight instructions an IPv6 address: fewer of them, so every jump stays within reach.
    static let maximumIPv6Addresses = 6
    /// `SKF_NET_OFF` (linux/filter.h): a load at this offset plus N reads byte N of the network header.
    static let networkHeaderOffset: Int32 = -0x100000

    /// True if `port` already passes. Past `maximumPorts` every port does (the program checks addresses
    /// only), so a flood of crafted segments from 20,000 source ports replaces the program once, not
    /// 20,000 times.
    func admits(port: UInt16) -> Bool {
        ports.count > Self.maximumPorts || portRange.contains(port) || ports.contains(port)
    }

    /// This filter with `ports` let in too; nil when they all pass already (nothing to replace).
    func admitting(_ ports: [UInt16]) -> ReceiveFilter? {
        guard ports.contains(where: { !admits(port: $0) }) else { return nil }
        var wider = self
        for port in ports where !wider.admits(port: port) { wider.ports.insert(port) }
        return wider == self ? nil : wider
    }

    /// The program: for IPv4 the header at offset 0 (a raw socket's filter sees the packet from the IP
    /// header); for IPv6 see `program6`.
    func program() -> [sock_filter] {
        if !ipv6Addresses.isEmpty { return program6() }
        let checksPorts = ports.count <= Self.maximumPorts
        let listed = checksPorts ? ports.sorted() : []
        let addresses = Array(self.addresses.prefix(Self.maximumAddresses))
        let a = addresses.count, p = listed.count
        // Instruction indices (see the layout below).
        let portsStart = 4 + a
        let listStart = portsStart + 4
        let accept = checksPorts ? listStart + p + 1 : portsStart
        func jump(from i: Int, to target: Int) -> UInt8 { UInt8(target - (i + 1)) }

        var code: [sock_filter] = []
        func op(_ code_: Int32, _ k: UInt32, jt: UInt8 = 0, jf: UInt8 = 0) {
            code.append(sock_filter(code: UInt16(code_), jt: jt, jf: jf, k: k))
        }
        // 0-1: a fragment (offset or more-fragments bits) passes.
        op(BPF_LD | BPF_H | BPF_ABS, 6)
        op(BPF_JMP | BPF_JSET | BPF_K, 0x3FFF, jt: jump(from: 1, to: accept))
        // 2..: the destination address is one of ours, else reject.
        op(BPF_LD | BPF_W | BPF_ABS, 16)
        for (i, address) in addresses.enumerated() {
            op(BPF_JMP | BPF_JEQ | BPF_K, address.rawValue, jt: jump(from: 3 + i, to: portsStart))
        }
        op(BPF_RET | BPF_K, 0)
        guard checksPorts else {
            op(BPF_RET | BPF_K, UInt32.max)
            return code
        }
        // portsStart: X = IP header length; A = destination port.
        op(BPF_LDX | BPF_B | BPF_MSH, 0)
        op(BPF_LD | BPF_H | BPF_IND, 2)
        appendPortChecks(to: &code, listed: listed, at: portsStart + 2)
        return code
    }

    /// The IPv6 socket's program. Its packet starts at the TCP header; the IPv6 header is read at
    /// `SKF_NET_OFF` (the kernel's network header): next header (byte 6) TCP, else pass; the
    /// destination (bytes 24-39) one of ours, else reject; the destination port (bytes 42-43) ours.
    func program6() -> [sock_filter] {
        let checksPorts = ports.count <= Self.maximumPorts
        let listed = checksPorts ? ports.sorted() : []
        let addresses = Array(ipv6Addresses.prefix(Self.maximumIPv6Addresses))
        func net(_ offset: Int32) -> UInt32 { UInt32(bitPattern: Self.networkHeaderOffset + offset) }
        // 0-1: next header; 2..: 8 instructions per address; then reject; portsStart: the port.
        let portsStart = 2 + 8 * addresses.count + 1
        let accept = checksPorts ? portsStart + 1 + 2 + listed.count + 1 : portsStart
        func jump(from i: Int, to target: Int) -> UInt8 { UInt8(target - (i + 1)) }

        var code: [sock_filter] = []
        func op(_ code_: Int32, _ k: UInt32, jt: UInt8 = 0, jf: UInt8 = 0) {
            code.append(sock_filter(code: UInt16(code_), jt: jt, jf: jf, k: k))
        }
        op(BPF_LD | BPF_B | BPF_ABS, net(6))
        op(BPF_JMP | BPF_JEQ | BPF_K, 6, jt: 0, jf: jump(from: 1, to: accept))
        for (i, address) in addresses.enumerated() {
            let block = 2 + 8 * i, next = block + 8
            let words = [UInt32(address.high >> 32), UInt32(truncatingIfNeeded: address.high),
                         UInt32(address.low >> 32), UInt32(truncatingIfNeeded: address.low)]
            for (w, word) in words.enumerated() {
                op(BPF_LD | BPF_W | BPF_ABS, net(24 + 4 * Int32(w)))
                let at = block + 2 * w + 1
                op(BPF_JMP | BPF_JEQ | BPF_K, word, jt: w == 3 ? jump(from: at, to: portsStart) : 0,
                   jf: jump(from: at, to: next))
            }
        }
        op(BPF_RET | BPF_K, 0)
        guard checksPorts else {
            op(BPF_RET | BPF_K, UInt32.max)
            return code
        }
        // portsStart: A = destination port.
        op(BPF_LD | BPF_H | BPF_ABS, net(40 + 2))
        appendPortChecks(to: &code, listed: listed, at: portsStart + 1)
        return code
    }

    /// From instruction `start` (A holds the destination port): the ephemeral range or a listed port
    /// accepts the whole packet, anything else rejects it.
    private func appendPortChecks(to code: inout [sock_filter], listed: [UInt16], at start: Int) {
        let listStart = start + 2
        let accept = listStart + listed.count + 1
        func jump(from i: Int, to target: Int) -> UInt8 { UInt8(target - (i + 1)) }
        func op(_ code_: Int32, _ k: UInt32, jt: UInt8 = 0, jf: UInt8 = 0) {
            code.append(sock_filter(code: UInt16(code_), jt: jt, jf: jf, k: k))
        }
        let lo = UInt32(portRange.lowerBound), hi = UInt32(portRange.upperBound)
        op(BPF_JMP | BPF_JGE | BPF_K, lo, jt: 0, jf: jump(from: start, to: listStart))
        op(BPF_JMP | BPF_JGT | BPF_K, hi, jt: 0, jf: jump(from: start + 1, to: accept))
        // listStart: the listed ports, else reject.
        for (i, port) in listed.enumerated() {
            op(BPF_JMP | BPF_JEQ | BPF_K, UInt32(port), jt: jump(from: listStart + i, to: accept))
        }
        op(BPF_RET | BPF_K, 0)
        // accept: the whole packet.
        op(BPF_RET | BPF_K, UInt32.max)
    }

    /// Attaches the program to `descriptor`, replacing the one before (atomically, in the kernel).
    func attach(to descriptor: CInt) throws(LinkError) {
        var code = program()
        let count = UInt16(code.count)
        _ = try code.withUnsafeMutableBufferPointer { buffer throws(LinkError) in
            try syscallOrThrow("setsockopt(SO_ATTACH_FILTER)") {
                ctoytcp_attach_filter(descriptor, buffer.baseAddress, count)
            }
        }
    }
}
