#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time before a packet's line in each of tcpdump's `-t` forms (util-print.c `ts_print`), followed
/// by a space (nothing for `-t`).
///
/// tcpdump reads files at microsecond precision (libpcap truncates nanoseconds), so every form shows
/// microseconds and the differences of `-ttt`/`-ttttt` are differences of truncated times. Those two
/// print the difference as a time of day in UTC (`gmtime`), after a space, or `-` when time went back.
public struct TcpdumpTimestamp {
    public let format: TcpdumpOptions.TimeFormat
    private var timeOfDay = TimeOfDayFormatter()
    /// The previous (`-ttt`) or first (`-ttttt`) packet's time, in microseconds.
    private var reference: (seconds: Int64, microseconds: Int64)?
    private var cachedDateSecond: Int64 = .min
    private var cachedDate: [UInt8] = []

    public init(format: TcpdumpOptions.TimeFormat) {
        self.format = format
    }

    public mutating func render(_ t: PacketTimestamp, into out: OutputBuffer) {
        out.reserve(48)
        switch format {
        case .timeOfDay:
            timeOfDay.render(t, into: out)
            out.append(0x20)
        case .none:
            return
        case .epoch:
            out.append(decimal: UInt64(bitPattern: t.seconds))
            out.append(0x2E)
            Self.appendMicroseconds(t.nanoseconds / 1000, out)
            out.append(0x20)
        case .dateAndTime:
            if t.seconds != cachedDateSecond { cachedDate = Self.localDate(t.seconds); cachedDateSecond = t.seconds }
            cachedDate.withUnsafeBytes { out.append(bytes: $0) }
            out.append(0x2E)
            Self.appendMicroseconds(t.nanoseconds / 1000, out)
            out.append(0x20)
        case .sincePrevious, .sinceFirst:
            // tcpdump's netdissect_timevalsub on (seconds, microseconds) pairs: the fields subtract
            // separately and borrow once, so a corrupt fraction of a second or more shows in the result.
            let now = (seconds: t.seconds, microseconds: t.nanoseconds / 1000)
            let base = reference ?? now
            if reference == nil || format == .sincePrevious { reference = now }
            let negative = now < base
            let (a, b) = negative ? (base, now) : (now, base)
            var seconds = a.0 &- b.0
            var micro = a.1 &- b.1
            if micro < 0 {
                seconds -= 1
                micro += 1_000_000
            }
            out.append(negative ? UInt8(ascii: "-") : 0x20)
            Self.append2(Int((seconds / 3600) % 24), out); out.append(0x3A)
            Self.append2(Int((seconds / 60) % 60), out); out.append(0x3A)
            Self.append2(Int(seconds % 60), out); out.append(0x2E)
            Self.appendMicroseconds(micro, out)
            out.append(0x20)
        }
    }

    @inline(__always)
    static func append2(_ v: Int, _ out: OutputBuffer) {
        out.append(UInt8(0x30 + v / 10)); out.append(UInt8(0x30 + v % 10))
    }

    /// `%06u` of tcpdump's `(unsigned)tv_usec`: six digits, or more as they are for a corrupt fraction
    /// of a second or more; a negative one (libpcap reads the field as signed) wraps to 32 bits.
    static func appendMicroseconds(_ micro: Int64, _ out: OutputBuffer) {
        let m = UInt64(UInt32(truncatingIfNeeded: micro))
        var width = 1
        var t = m / 10
        while t > 0 { width += 1; t /= 10 }
        if width < 6 { out.append(repeating: 0x30, count: 6 - width) }
        out.append(decimal: m)
    }

    /// `YYYY-MM-DD HH:MM:SS` in local time, as tcpdump's `-tttt` (strftime `%Y-%m-%d %H:%M:%S`).
    static func localDate(_ seconds: Int64) -> [UInt8] {
        var t = time_t(seconds)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return Array("Date fail".utf8) }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        return buffer.prefix(n).map { UInt8(bitPattern: $0) }
    }
}
