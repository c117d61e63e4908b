// Read first: RFC 6528 §3 (ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a
// 4-microsecond clock), RFC 6056 §3.3.3 (Algorithm 3: "Simple Hash-Based Port Selection").
import ToyTCPWire

/// SipHash-2-4 (Aumasson and Bernstein), the keyed pseudo-random function behind ISNs and port offsets.
struct SipHasher {
    private var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64
    private var tail: UInt64 = 0
    private var tailBytes = 0
    private var length = 0

    init(k0: UInt64, k1: UInt64) {
        v0 = k0 ^ 0x736f6d6570736575
        v1 = k1 ^ 0x646f72616e646f6d
        v2 = k0 ^ 0x6c7967656e657261
        v3 = k1 ^ 0x7465646279746573
    }

    private mutating func round() {
        v0 &+= v1; v1 = v1.rotl(13); v1 ^= v0; v0 = v0.rotl(32)
        v2 &+= v3; v3 = v3.rotl(16); v3 ^= v2
        v0 &+= v3; v3 = v3.rotl(21); v3 ^= v0
        v2 &+= v1; v1 = v1.rotl(17); v1 ^= v2; v2 = v2.rotl(32)
    }

    private mutating func compress(_ m: UInt64) {
        v3 ^= m; round(); round(); v0 ^= m
    }

    mutating func add(_ word: UInt64) {
        // Words are fed whole, so the tail stays empty; the length counts bytes.
        compress(word)
        length += 8
    }

    mutating func add(_ word: UInt32) { add(UInt64(word)) }

    /// An address of either family as 128 bits plus its family, so an IPv4 address and its IPv4-mapped
    /// IPv6 form hash apart (they are different connections on the wire).
    mutating func add(_ address: IPAddress) {
        let bits = address.bits128
        add(bits.high | (address.isIPv6 ? 0 : 1 << 63))
        add(bits.low)
    }

    consuming func finalize() -> UInt64 {
        let b = UInt64(truncatingIfNeeded: length & 0xFF) << 56 | tail
        compress(b)
        v2 ^= 0xFF
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    fileprivate func rotl(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}

/// Chooses initial sequence numbers per RFC 6528 and ephemeral-port offsets per RFC 6056.
struct ISNGenerator {
    private let k0: UInt64
    private let k1: UInt64

    /// The key comes from `StackConfiguration.secret`: the driver supplies the randomness, so tests are
    /// deterministic and a real deployment seeds it from the OS.
    init(secret: UInt64) {
        // Derive two key halves from one seed (splitmix64 steps) so related secrets give unrelated keys.
        k0 = secret.splitMixed(0)
        k1 = secret.splitMixed(0x5DEECE66D)
    }

    /// RFC 6528 §3: ISN = M + F(4-tuple, key), where M ticks every 4 µs. The 4-tuple is hashed with its
    /// whole addresses in either family (RFC 6528 §3 names "localip, remoteip", not a family).
    func isn(for tuple: FourTuple, at now: Instant) -> SequenceNumber {
        var h = SipHasher(k0: k0, k1: k1)
        h.add(tuple.local.address)
        h.add(tuple.remote.address)
        h.add(UInt64(tuple.localPort) << 16 | UInt64(tuple.remotePort))
        let f = UInt32(truncatingIfNeeded: h.finalize())
        let m = UInt32(truncatingIfNeeded: now.nanoseconds / 4000)
        return SequenceNumber(f &+ m)
    }

    /// RFC 6437 §3: the IPv6 flow label of a flow, a 20-bit value from a keyed hash of its 4-tuple (the
    /// transport protocol is always TCP here), so that labels are uniformly spread and not predictable,
    /// and the same on every packet of the flow. Another key arrangement than the ISN's and the port
    /// offset's, so the label reveals neither.
    func flowLabel(for tuple: FourTuple) -> UInt32 {
        var h = SipHasher(k0: k0 ^ k1, k1: k1 &+ 0x6437)
        h.add(tuple.local.address)
        h.add(tuple.remote.address)
        h.add(UInt64(tuple.localPort) << 16 | UInt64(tuple.remotePort))
        return UInt32(truncatingIfNeeded: h.finalize()) & 0xF_FFFF
    }

    /// RFC 6056 §3.3.3: offset = F(local address, remote address, remote port, secret key).
    func portOffset(local: IPAddress, remote: IPAddress, remotePort: UInt16) -> UInt32 {
        var h = SipHasher(k0: k1, k1: k0)
        h.add(local)
        h.add(remote)
        h.add(UInt32(remotePort))
        return UInt32(truncatingIfNeeded: h.finalize())
    }
}
