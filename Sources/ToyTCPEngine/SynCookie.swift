// Read first: RFC 4987 §3.6 (SYN cookies), and Linux net/ipv4/syncookies.c, whose encoding this follows:
// secure_tcp_syn_cookie() for the ISN, cookie_init_timestamp() for the options carried in TSval.
import ToyTCPWire

/// SYN cookies (RFC 4987 §3.6): when a listener's backlog is full, the SYN-ACK's ISN encodes what the
/// connection needs, and no state is kept; the peer's ACK (SEG.ACK − 1 is the cookie) rebuilds it.
///
/// The encoding is Linux's (`secure_tcp_syn_cookie`), with SipHash-2-4 as the keyed hash:
///
///     cookie = H(4-tuple, k0) + peerISN + (count << 24) + ((H(4-tuple, count, k1) + mssIndex) mod 2^24)
///
/// where `count` is a time counter (one tick per `tickLength`, 60 s as Linux's minute counter) kept in
/// the top 8 bits, and the low 24 bits hold the index of the peer's MSS in `mssTable`, offset by a
/// keyed hash so a forged ACK passes with probability about 4 / 2^24. A cookie is valid for
/// `maximumAge` ticks (Linux MAX_SYNCOOKIE_AGE = 2).
///
/// What does not fit in the ISN travels in the timestamp (`cookie_init_timestamp`): when the peer sent
/// a timestamp, the low 6 bits of our TSval carry the peer's window-scale shift (0–14, 15 = none) and a
/// SACK bit; the peer echoes them in TSecr.
///
/// As in Linux, the peer's ISN enters the cookie linearly: an ACK one or two off the real cookie can
/// decode to a neighbouring MSS index. Only the 24-bit keyed hash authenticates; a blind forgery passes
/// with probability about 4 / 2^24 per tick, and cookies are checked only while a flood is on. Without a timestamp the SYN-ACK offers neither window scaling
/// nor SACK (Linux does the same), since nothing could carry them back.
struct SynCookieCodec {
    /// The MSS values a cookie can express (Linux's msstab for IPv4); the largest not above the peer's is used.
    static let mssTable: [UInt16] = [536, 1300, 1440, 1460]
    static let tickLength = Duration.seconds(60)
    static let maximumAge: UInt32 = 2
    /// Bits of TSval used for options (Linux TSBITS = 6): 4 for the shift, 1 for SACK.
    static let timestampOptionMask: UInt32 = 0x3F
    private static let noWindowScale: UInt32 = 0xF
    private static let sackBit: UInt32 = 0x10

    private let k0: UInt64
    private let k1: UInt64

    init(secret: UInt64) {
        k0 = secret.splitMixed(0xC0_0C1E)
        k1 = secret.splitMixed(0xC0_0C1E_2)
    }

    static func count(at now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / tickLength.nanosecondsClamped)
    }

    /// The index in `mssTable` of the largest entry not above `mss` (0 when `mss` is below them all).
    static func mssIndex(for mss: UInt16) -> UInt32 {
        var i = mssTable.count - 1
        while i > 0 && mssTable[i] > mss { i -= 1 }
        return UInt32(i)
    }

    private func hash(_ t: FourTuple, _ count: UInt32?, key: UInt64) -> UInt32 {
        var h = SipHasher(k0: key, k1: key ^ 0x5EED)
        h.add(t.local.address)
        h.add(t.remote.address)
        h.add(UInt64(t.localPort) << 16 | UInt64(t.remotePort))
        if let count { h.add(count) }
        return UInt32(truncatingIfNeeded: h.finalize())
    }

    /// The cookie (our ISN) for a SYN with sequence number `peerISN` and MSS index `mssIndex`.
    func encode(_ t: FourTuple, peerISN: SequenceNumber, mssIndex: UInt32, at now: Instant) -> SequenceNumber {
        let count = Self.count(at: now)
        let low = (hash(t, count, key: k1) &+ mssIndex) & 0xFF_FFFF
        return SequenceNumber(hash(t, nil, key: k0) &+ peerISN.rawValue &+ (count << 24) &+ low)
    }

    /// The MSS index a cookie carries, or `nil` if it is forged, damaged or older than `maximumAge` ticks.
    func decode(_ t: FourTuple, peerISN: SequenceNumber, cookie: SequenceNumber, at now: Instant) -> UInt32? {
        let count = Self.count(at: now)
        let rest = cookie.rawValue &- hash(t, nil, key: k0) &- peerISN.rawValue
        let age = (count &- (rest >> 24)) & 0xFF
        guard age <= Self.maximumAge else { return nil }
        let index = (rest &- hash(t, count &- age, key: k1)) & 0xFF_FFFF
        return index < UInt32(Self.mssTable.count) ? index : nil
    }

    /// TSval for the cookie SYN-ACK: the clock with its low 6 bits replaced by the options, never ahead
    /// of the clock (Linux cookie_init_timestamp).
    static func timestampValue(clock: UInt32, windowShift: UInt8?, sack: Bool) -> UInt32 {
        let options = UInt32(windowShift.map { min($0, 14) } ?? UInt8(noWindowScale)) | (sack ? sackBit : 0)
        var ts = (clock & ~timestampOptionMask) | options
        if Int32(bitPattern: ts &- clock) > 0 { ts &-= timestampOptionMask + 1 }
        return ts
    }

    /// The options a TSecr echoes: the peer's window-scale shift (`nil`: none) and whether SACK is on.
    static func options(fromEcho echo: UInt32) -> (windowShift: UInt8?, sack: Bool) {
        let ws = echo & noWindowScale
        return (ws == noWindowScale ? nil : UInt8(ws), echo & sackBit != 0)
    }
}

extension UInt64 {
    /// One splitmix64 step of `self ^ salt`: derives unrelated keys from one seed.
    func splitMixed(_ salt: UInt64) -> UInt64 {
        var z = (self ^ salt) &+ 0x9E3779B97F4A7C15
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
