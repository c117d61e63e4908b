#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When a packet was captured: seconds since the Unix epoch plus nanoseconds (0..<1_000_000_000).
///
/// pcap files carry micro- or nanosecond resolution; both are kept here at nanoseconds.
public struct PacketTimestamp: Hashable, Sendable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: PacketTimestamp, b: PacketTimestamp) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }
}

/// Writes `HH:MM:SS.ffffff` in local time, as tcpdump prints a packet's time by default.
///
/// tcpdump converts with `localtime()`, so the text depends on `TZ` (tests set `TZ=UTC`), and shows
/// microseconds even for nanosecond files (libpcap scales nanoseconds down by truncation). The
/// `HH:MM:SS` part is cached per second: consecutive packets mostly share it, and `localtime_r` is
/// the most expensive call on the line path.
public struct TimeOfDayFormatter {
    private var cachedSecond: Int64 = .min
    private var cachedText: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)

    public init() {
        tzset()
    }

    /// Appends `HH:MM:SS.ffffff`.
    public mutating func render(_ t: PacketTimestamp, into out: OutputBuffer) {
        if t.seconds != cachedSecond { refresh(t.seconds) }
        out.reserve(15)
        let c = cachedText
        out.append(c.0); out.append(c.1); out.append(c.2); out.append(c.3)
        out.append(c.4); out.append(c.5); out.append(c.6); out.append(c.7)
        out.append(UInt8(ascii: "."))
        var micro = Int(t.nanoseconds / 1000)
        if micro < 0 || micro >= 1_000_000 {
            // A corrupt record: tcpdump prints the (signed, from libpcap) field as `%06u`, i.e. as an
            // unsigned 32-bit number, whatever its size.
            TcpdumpTimestamp.appendMicroseconds(t.nanoseconds / 1000, out)
            return
        }
        // Six digits, zero-padded.
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        digits.5 = UInt8(micro % 10); micro /= 10
        digits.4 = UInt8(micro % 10); micro /= 10
        digits.3 = UInt8(micro % 10); micro /= 10
        digits.2 = UInt8(micro % 10); micro /= 10
        digits.1 = UInt8(micro % 10); micro /= 10
        digits.0 = UInt8(micro % 10)
        out.append(0x30 + digits.0); out.append(0x30 + digits.1); out.append(0x30 + digits.2)
        out.append(0x30 + digits.3); out.append(0x30 + digits.4); out.append(0x30 + digits.5)
    }

    private mutating func refresh(_ seconds: Int64) {
        var tmValue = tm()
        var t = time_t(seconds)
        let hour: Int, minute: Int, second: Int
        if localtime_r(&t, &tmValue) != nil {
            hour = Int(tmValue.tm_hour); minute = Int(tmValue.tm_min); second = Int(tmValue.tm_sec)
        } else {
            let s = Int(((seconds % 86400) + 86400) % 86400)
            hour = s / 3600; minute = s / 60 % 60; second = s % 60
        }
        func d(_ v: Int) -> UInt8 { UInt8(0x30 + v) }
        cachedText = (d(hour / 10), d(hour % 10), 0x3A, d(minute / 10), d(minute % 10), 0x3A,
                      d(second / 10), d(second % 10))
        cachedSecond = seconds
    }
}
