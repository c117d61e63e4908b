/// The tcpdump flags that change how each packet is printed (tcpdump(8), 4.99), gathered in one value so
/// the file decoder and the live capture print alike.
public struct TcpdumpOptions: Sendable, Equatable {
    /// How the time is printed before each packet: tcpdump's `-t` given 0 to 5 times.
    public enum TimeFormat: Int, Sendable, CaseIterable {
        /// (no `-t`) `HH:MM:SS.ffffff` in local time.
        case timeOfDay = 0
        /// `-t`: no time.
        case none = 1
        /// `-tt`: seconds since the epoch, `1700000000.000082`.
        case epoch = 2
        /// `-ttt`: the time since the previous packet, ` 00:00:00.000691`.
        case sincePrevious = 3
        /// `-tttt`: date and local time, `2023-11-14 22:13:20.000082`.
        case dateAndTime = 4
        /// `-ttttt`: the time since the first packet.
        case sinceFirst = 5
    }

    /// The hex dump after each packet's line: `-x`, `-xx` (hex), `-X`, `-XX` (hex and ASCII). The doubled
    /// forms start at the link-layer header, the single ones at the IPv4 header.
    public enum HexDumpStyle: Sendable, Equatable {
        case none
        case hex(includingLinkHeader: Bool)
        case hexAndASCII(includingLinkHeader: Bool)
    }

    /// `-v` given this many times: 1 prints the IPv4 header line and the TCP checksum.
    public var verbosity = 0
    public var time = TimeFormat.timeOfDay
    /// `-e`: the link-level header (MAC addresses, ethertype, frame length) before `IP`'s place.
    public var linkHeader = false
    public var hexDump = HexDumpStyle.none
    /// `-q`: `IP a.p > b.p: tcp LENGTH` and nothing of the TCP header.
    public var quiet = false
    /// `-S`: absolute sequence numbers.
    public var absolute = false

    public init(verbosity: Int = 0, time: TimeFormat = .timeOfDay, linkHeader: Bool = false,
                hexDump: HexDumpStyle = .none, quiet: Bool = false, absolute: Bool = false) {
        self.verbosity = verbosity
        self.time = time
        self.linkHeader = linkHeader
        self.hexDump = hexDump
        self.quiet = quiet
        self.absolute = absolute
    }
}
