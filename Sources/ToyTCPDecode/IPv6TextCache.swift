import ToyTCPWire

/// The RFC 5952 text of recently printed IPv6 addresses, so a conversation's addresses are formatted
/// once rather than on every packet (tcpdump keeps a table of address strings for the same reason,
/// addrtoname.c `ip6addr_string`). Direct-mapped, fixed size, no allocation after creation.
final class IPv6TextCache {
    static let slots = 1024
    static let stride = 48
    private let text: UnsafeMutableRawPointer
    private var highs = [UInt64](repeating: 0, count: slots)
    private var lows = [UInt64](repeating: 0, count: slots)
    /// Text length per slot; 0 means empty (no address prints as nothing).
    private var lengths = [UInt8](repeating: 0, count: slots)

    init() {
        text = UnsafeMutableRawPointer.allocate(byteCount: Self.slots * Self.stride, alignment: 8)
    }

    deinit { text.deallocate() }

    /// Appends the text of `address` to `out`.
    func append(_ address: IPv6Address, to out: OutputBuffer) {
        var h = address.high ^ (address.low &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 29
        let slot = Int(truncatingIfNeeded: h) & (Self.slots - 1)
        let start = text + slot * Self.stride
        if lengths[slot] == 0 || highs[slot] != address.high || lows[slot] != address.low {
            let n = address.writeText(into: UnsafeMutableRawBufferPointer(start: start, count: Self.stride))
            highs[slot] = address.high
            lows[slot] = address.low
            lengths[slot] = UInt8(n)
        }
        out.append(bytes: UnsafeRawBufferPointer(start: start, count: Int(lengths[slot])))
    }
}
