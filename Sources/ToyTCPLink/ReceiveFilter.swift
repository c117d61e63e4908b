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
struct ReceiveFilter: Equatable {
    var addresses: [IPv4Address]
    var portRange: ClosedRange<UInt16>
    var ports: Set<UInt16> = []

    /// Classic BPF jumps reach at most 255 instructions ahead: the program stays well below.
    static let maximumPorts = 200
    static let maximumAddresses = 16

    /// True if `port` already passes. Past `maximumPorts` every port does (the program checks addresses
    /// only), so a flood of crafted segments from 20,000 source ports replaces the program once, not
    /// 20,000 times.
    func admits(port: UInt16) -> Bool {
        ports.count > Self.maximumPorts || portRange.contains(port) || ports.contains(port)
    }

    /// The program: IPv4 header at offset 0 (a raw socket's filter sees the packet from the IP header).
    func program() -> [sock_filter] {
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
        let lo = UInt32(portRange.lowerBound), hi = UInt32(portRange.upperBound)
        op(BPF_JMP | BPF_JGE | BPF_K, lo, jt: 0, jf: jump(from: portsStart + 2, to: listStart))
        op(BPF_JMP | BPF_JGT | BPF_K, hi, jt: 0, jf: jump(from: portsStart + 3, to: accept))
        // listStart: the listed ports, else reject.
        for (i, port) in listed.enumerated() {
            op(BPF_JMP | BPF_JEQ | BPF_K, UInt32(port), jt: jump(from: listStart + i, to: accept))
        }
        op(BPF_RET | BPF_K, 0)
        // accept: the whole packet.
        op(BPF_RET | BPF_K, UInt32.max)
        return code
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
