import ToyTCPWire

/// The per-conversation bases that turn absolute sequence and acknowledgment numbers into the
/// relative ones tcpdump prints (`seq 1:101, ack 1`), following tcpdump's rules exactly:
///
/// - Only segments with ACK set take part (tcpdump's `-S` turns the whole table off).
/// - A conversation is keyed in one canonical direction: the side with the lower port first (on equal
///   ports, the numerically lower address). Both directions share one entry.
/// - A segment whose conversation is not in the table, or that carries SYN, (re)records the bases from
///   its own numbers: `seq` for its direction and `ack - 1` for the other. That segment prints absolute.
/// - Later segments print `seq - base` and `ack - base(other direction)`, modulo 2^32.
/// - SACK edges (RFC 2018 §3) are acknowledgment-side numbers and are made relative with the base of
///   the direction they acknowledge.
///
/// Both families share the table, keyed by 128-bit addresses (IPv4 ones IPv4-mapped) and the family:
/// tcpdump keeps one table per family, which gives the same answers since a conversation has one family.
///
/// Implemented as an open-addressing table (linear probing, power-of-two size): one probe on the common
/// path and no allocation once it has grown to the number of conversations in the capture.
public struct FlowTable {
    struct Key: Equatable {
        /// The canonical first address, as 128 bits.
        var low0: UInt64, low1: UInt64
        var high0: UInt64, high1: UInt64
        /// Ports in canonical order, and bit 32 set for IPv6.
        var ports: UInt64

        static let empty = Key(low0: 0, low1: 0, high0: 0, high1: 0, ports: 0)
    }

    struct Slot {
        var key: Key
        /// Base of the sequence numbers of the canonical direction (`low` → `high`).
        var seq: UInt32
        /// Base of the sequence numbers of the other direction.
        var ack: UInt32
        var used: Bool
    }

    var slots: [Slot]
    var used = 0

    public init() {
        slots = Array(repeating: Slot(key: .empty, seq: 0, ack: 0, used: false), count: 1024)
    }

    /// How many conversations are recorded.
    public var count: Int { used }

    /// The bases for printing one segment, after the table has been updated.
    public struct Bases: Sendable {
        /// What to subtract from the segment's sequence number.
        public var sequence: UInt32
        /// What to subtract from the segment's acknowledgment number.
        public var acknowledgment: UInt32
        /// What to subtract from SACK edges: the recorded base of the acknowledged direction, which
        /// tcpdump applies even on the segment that (re)records the conversation.
        public var sack: UInt32
    }

    /// Applies tcpdump's rule to one ACK-bearing segment and returns what to subtract from its
    /// sequence number, its acknowledgment number and its SACK edges. A newly recorded conversation
    /// returns zero bases for seq and ack, so that segment prints absolute numbers.
    @inline(__always)
    public mutating func bases(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                               sequence: UInt32, acknowledgment: UInt32, isSYN: Bool) -> Bases {
        let s = source.bits128, d = destination.bits128
        let family: UInt64 = source.isIPv6 ? 1 << 32 : 0
        // tcpdump compares addresses with memcmp: numerically, most significant byte first.
        let reversed = sourcePort > destinationPort || (sourcePort == destinationPort && (s.high, s.low) > (d.high, d.low))
        let key = reversed
            ? Key(low0: d.high, low1: d.low, high0: s.high, high1: s.low,
                  ports: family | UInt64(destinationPort) << 16 | UInt64(sourcePort))
            : Key(low0: s.high, low1: s.low, high0: d.high, high1: d.low,
                  ports: family | UInt64(sourcePort) << 16 | UInt64(destinationPort))
        var index = Self.hash(key) & (slots.count - 1)
        while slots[index].used {
            if slots[index].key == key {
                if isSYN { break }
                let s = slots[index]
                return reversed ? Bases(sequence: s.ack, acknowledgment: s.seq, sack: s.seq)
                                : Bases(sequence: s.seq, acknowledgment: s.ack, sack: s.ack)
            }
            index = (index + 1) & (slots.count - 1)
        }
        // Not found (index is an empty slot), or a SYN over an existing entry (index is that entry).
        let isNew = !slots[index].used
        if reversed {
            slots[index] = Slot(key: key, seq: acknowledgment &- 1, ack: sequence, used: true)
        } else {
            slots[index] = Slot(key: key, seq: sequence, ack: acknowledgment &- 1, used: true)
        }
        if isNew {
            used += 1
            if used * 2 > slots.count { grow() }
        }
        return Bases(sequence: 0, acknowledgment: 0, sack: acknowledgment &- 1)
    }

    /// Forgets every conversation.
    public mutating func removeAll() {
        for i in slots.indices { slots[i].used = false }
        used = 0
    }

    @inline(__always)
    static func hash(_ k: Key) -> Int {
        var h = k.low1 ^ (k.high1 &* 0xFF51_AFD7_ED55_8CCD) ^ (k.low0 &* 0xC4CE_B9FE_1A85_EC53) ^ (k.high0 >> 7)
        h ^= k.ports &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    @usableFromInline
    mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(key: .empty, seq: 0, ack: 0, used: false), count: old.count * 2)
        for s in old where s.used {
            var index = Self.hash(s.key) & (slots.count - 1)
            while slots[index].used { index = (index + 1) & (slots.count - 1) }
            slots[index] = s
        }
    }
}
