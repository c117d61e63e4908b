/// What the decoder prints for each packet.
public enum DecodeFormat: String, CaseIterable, Sendable {
    /// tcpdump's one-line summary (`tcpdump -nn`).
    case line
    /// The line, then the RFC 9293 §3.1 header box with the values.
    case diagram
    /// The line, then offset / hex / ASCII columns.
    case hex
    /// The line, the diagram and the hex dump.
    case all
}

/// Counts of what a decode run saw.
public struct DecodeStatistics: Sendable, Equatable {
    /// Records (or hex packets) read.
    public var packets = 0
    /// Packets printed (IPv4 or IPv6 carrying TCP, malformed ones included).
    public var printed = 0
    /// Skipped: the link layer carried something other than IPv4 or IPv6 (the name is older than IPv6).
    public var notIPv4 = 0
    /// Skipped: IPv4 or IPv6 carrying another protocol.
    public var notTCP = 0
    /// Records whose header cannot be right (no bytes captured, or more captured than sent);
    /// printed as tcpdump does (`[Invalid header: …]`).
    public var invalid = 0

    public init() {}

    public var skipped: Int { notIPv4 + notTCP }
}

/// Renders packets in one of the `DecodeFormat`s into an `OutputBuffer` and hands the buffer to a
/// sink whenever it passes its flush threshold (~64 KiB), so output leaves in large writes and
/// memory stays flat however many packets go through.
public struct PacketPrinter {
    public let format: DecodeFormat
    /// tcpdump's flags in effect (`-v`, `-e`, `-t…`, `-x…`, `-q`, `-S`).
    public let options: TcpdumpOptions
    public private(set) var statistics = DecodeStatistics()
    public let output: OutputBuffer
    private var line: TcpdumpLine
    private var timestamp: TcpdumpTimestamp
    private var link: LinkDecapsulator?
    private let sink: (UnsafeRawBufferPointer) -> Void

    /// - Parameters:
    ///   - absolute: absolute sequence numbers (tcpdump `-S`).
    ///   - sink: receives the rendered bytes; called with ~64 KiB at a time and by `flush()`.
    public init(format: DecodeFormat, absolute: Bool, output: OutputBuffer = OutputBuffer(),
                sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.init(format: format, options: TcpdumpOptions(absolute: absolute), output: output, sink: sink)
    }

    /// A printer with tcpdump's flags: each packet's line as `tcpdump -nn` with the same flags prints it,
    /// then what `format` adds (diagram, our hex dump).
    public init(format: DecodeFormat, options: TcpdumpOptions, output: OutputBuffer = OutputBuffer(),
                sink: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.format = format
        self.options = options
        self.output = output
        var line = TcpdumpLine(absolute: options.absolute)
        line.verbosity = options.verbosity
        line.quiet = options.quiet
        line.omitsIPLabel = options.linkHeader
        self.line = line
        self.timestamp = TcpdumpTimestamp(format: options.time)
        self.sink = sink
    }

    /// Decodes every record of a capture (the first `limit` of them, as tcpdump's `-c`, when given).
    /// On a corrupt record, what came before has been printed and flushed, and the error names the record.
    public mutating func printAll(from reader: PcapReader, limit: Int? = nil) throws(PcapError) {
        defer { flush() }
        while limit.map({ statistics.packets < $0 }) ?? true, let record = try reader.next() {
            printRecord(record, linkType: reader.linkType)
        }
    }

    /// Decodes one captured frame (a file's record or a live capture's packet); output leaves through
    /// the sink once the buffer passes its threshold, so call `flush()` when a live capture goes idle.
    public mutating func printRecord(_ record: PcapRecord, linkType: LinkType) {
        if link?.linkType != linkType { link = LinkDecapsulator(linkType: linkType) }
        statistics.packets += 1
        if record.bytes.count == 0 || record.wireLength < record.bytes.count {
            // tcpdump reports a record header that cannot be right, with no time, and goes on.
            statistics.invalid += 1
            output.reserve(128)
            if record.bytes.count == 0 {
                output.append(record.wireLength == 0 ? "[Invalid header: caplen==0, len==0]\n" : "[Invalid header: caplen==0]\n")
            } else {
                output.append("[Invalid header: len(")
                output.append(decimal: UInt64(record.wireLength))
                output.append(") < caplen(")
                output.append(decimal: UInt64(record.bytes.count))
                output.append(")]\n")
            }
            return
        }
        guard let offset = link?.ipOffset(in: record.bytes, prefix: nil) else {
            statistics.notIPv4 += 1
            return
        }
        let ip = UnsafeRawBufferPointer(rebasing: record.bytes[offset...])
        if !ip.isEmpty && !TcpdumpLine.isIPTCP(ip) {
            statistics.notTCP += 1
            return
        }
        statistics.printed += 1
        // The time, then the link layer's part (SLL2's interface and direction, -e's header), then IPv4/TCP.
        output.reserve(1024)
        timestamp.render(record.timestamp, into: output)
        if linkType == .linuxSLL2 { _ = link?.ipOffset(in: record.bytes, prefix: output) }
        if options.linkHeader {
            LinkHeaderText.render(record.bytes, linkType: linkType, wireLength: record.wireLength,
                                  quiet: options.quiet, into: output)
        }
        if ip.isEmpty {
            // The link layer announces IP but nothing of it was captured: tcpdump prints " [|ip]" or " [|ip6]".
            output.append(LinkDecapsulator.announcesIPv6(record.bytes, linkType: linkType) ? " [|ip6]" : " [|ip]")
        } else {
            line.renderIP(ip, wireLength: record.wireLength - offset, into: output)
        }
        renderTcpdumpHex(record.bytes, linkHeaderLength: line.hexDumpsWholeFrame ? 0
                         : LinkHeaderText.headerLength(record.bytes, linkType: linkType))
        output.append(0x0A)
        if format != .line && !ip.isEmpty { renderExtras(ip, wireLength: record.wireLength - offset) }
        if output.count >= output.flushThreshold { flush() }
    }

    /// tcpdump's `-x`/`-xx`/`-X`/`-XX` dump after the line: from the network layer on, or the whole frame.
    private func renderTcpdumpHex(_ frame: UnsafeRawBufferPointer, linkHeaderLength: Int) {
        switch options.hexDump {
        case .none: return
        case .hex(let whole), .hexAndASCII(let whole):
            var ascii = false
            if case .hexAndASCII = options.hexDump { ascii = true }
            if whole {
                TcpdumpHexDump.render(frame, ascii: ascii, into: output)
            } else if frame.count > linkHeaderLength {
                TcpdumpHexDump.render(UnsafeRawBufferPointer(rebasing: frame[linkHeaderLength...]), ascii: ascii, into: output)
            }
        }
    }

    /// Decodes one IPv4 or IPv6 packet given as bytes (hex input): no timestamp on the line.
    public mutating func printPacket(_ ip: UnsafeRawBufferPointer) {
        statistics.packets += 1
        guard ip.count >= 1, ip[0] >> 4 == 4 || ip[0] >> 4 == 6 else { statistics.notIPv4 += 1; return }
        guard TcpdumpLine.isIPTCP(ip) else { statistics.notTCP += 1; return }
        statistics.printed += 1
        line.renderIP(ip, wireLength: ip.count, into: output)
        renderTcpdumpHex(ip, linkHeaderLength: 0)
        output.append(0x0A)
        if format != .line { renderExtras(ip, wireLength: ip.count) }
        if output.count >= output.flushThreshold { flush() }
    }

    private func renderExtras(_ ip: UnsafeRawBufferPointer, wireLength: Int) {
        if format == .diagram || format == .all {
            HeaderDiagram.render(ip, wireLength: wireLength, into: output)
        }
        if format == .hex || format == .all {
            HexDump.render(ip, into: output)
        }
        output.append(0x0A)
    }

    /// Hands everything rendered so far to the sink.
    public func flush() {
        if output.count > 0 {
            sink(output.bytes)
            output.removeAll()
        }
    }
}
