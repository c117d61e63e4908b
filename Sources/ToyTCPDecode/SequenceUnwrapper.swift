import ToyTCPWire

/// Turns 32-bit sequence numbers (mod 2^32) into 64-bit offsets from a base, taking each value as the
/// one nearest to the previous: a graph's y axis never jumps at a wrap (RFC 9293 §3.4 arithmetic).
struct SequenceUnwrapper {
    var lastRaw: UInt32
    var lastOffset: Int64

    init(base: SequenceNumber) {
        lastRaw = base.rawValue
        lastOffset = 0
    }

    mutating func offset(_ n: SequenceNumber) -> Int64 {
        let delta = Int64(Int32(bitPattern: n.rawValue &- lastRaw))
        lastOffset += delta
        lastRaw = n.rawValue
        return lastOffset
    }
}
