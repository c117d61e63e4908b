#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPEngine

/// Reusable slots for reading many packets with one `recvmmsg(2)`, each with the kernel's receive
/// time (`SO_TIMESTAMPNS`): the loop reads a burst of ACKs or data in one system call, allocates
/// nothing per packet, and stamps each packet with when it reached the socket, not when the loop got
/// to it (what `trace` and `record` show; what a loop held busy would otherwise misreport).
///
/// Not thread-safe: the event loop's thread reads.
final class ReceiveBatch {
    static let slotSize = 65_536
    let capacity: Int
    private let buffers: UnsafeMutableRawBufferPointer
    // `@exclusivity(unchecked)`: lent only to `recvmmsg` (see `Stack` in the engine).
    @exclusivity(unchecked) private var lengths: [UInt32]
    @exclusivity(unchecked) private var stamps: [Int64]
    /// Packets in the slots after the last `receive`.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = min(capacity, Int(CTOYTCP_BATCH_MAX))
        // Only the bytes a packet fills are ever touched: the resident cost is the packets', not 2 MB.
        buffers = .allocate(byteCount: self.capacity * Self.slotSize, alignment: 16)
        lengths = Array(repeating: 0, count: self.capacity)
        stamps = Array(repeating: 0, count: self.capacity)
    }

    deinit { buffers.deallocate() }

    /// Reads what is waiting on `descriptor` (at most `capacity` packets). `.wouldBlock` when nothing is.
    func receive(from descriptor: CInt) throws(LinkError) -> IOResult<Int> {
        let base = buffers.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let result = try lengths.withUnsafeMutableBufferPointer { lengths throws(LinkError) in
            try stamps.withUnsafeMutableBufferPointer { stamps throws(LinkError) in
                try syscall("recvmmsg") {
                    ctoytcp_receive_batch(descriptor, base, Self.slotSize, UInt32(capacity),
                                          lengths.baseAddress, stamps.baseAddress)
                }
            }
        }
        if case .done(let n) = result { count = Int(n); return .done(Int(n)) }
        count = 0
        return .wouldBlock
    }

    /// The whole length of packet `i` as it arrived (more than `slotSize`: it was cut).
    func length(_ i: Int) -> Int { Int(lengths[i]) }

    /// Packet `i`'s bytes (at most `slotSize`).
    func packet(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffers[(i * Self.slotSize)..<(i * Self.slotSize + min(length(i), Self.slotSize))])
    }

    /// When packet `i` reached the socket, on the loop's monotonic clock: the kernel's wall-clock stamp
    /// moved by `wallToMonotonic` (sampled once per batch), never later than `latest`. Nil when the
    /// kernel gave no stamp.
    func arrival(_ i: Int, wallToMonotonic: Int64, latest: Instant) -> Instant? {
        guard stamps[i] != 0 else { return nil }
        return Instant(nanoseconds: min(stamps[i] &- wallToMonotonic, latest.nanoseconds))
    }
}
