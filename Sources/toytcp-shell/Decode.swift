import ArgumentParser
import ToyTCPDecode
#if canImport(Glibc)
import Glibc
#endif

extension DecodeFormat: ExpressibleByArgument {}

/// `toytcp-shell decode`: prints TCP segments from a pcap/pcapng file, standard input, hex, or a live
/// interface, with tcpdump's flags.
///
/// Output is tcpdump's `-nn` line by default (byte for byte what `tcpdump -nn -r` prints, and with the
/// same flags what `tcpdump -nn FLAGS` prints), or the RFC 9293 header diagram and a hex dump. It
/// streams: records are rendered into one buffer that is written out 64 KiB at a time, so a file of any
/// size decodes in constant memory; a live capture prints each packet as it arrives.
/// Exit status: 0 ok; 1 unreadable or corrupt input (everything before the bad record is printed);
/// 2 bad arguments, a filter libpcap rejects, an interface that cannot be captured on.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode TCP segments from a pcap file, hex or a live interface, with tcpdump's flags.",
        discussion: """
            Reads pcap or pcapng (link types raw IP, Ethernet, Linux cooked v1/v2) and prints each IPv4 TCP \
            packet; other packets are skipped and counted on standard error. FILE may be '-' for standard \
            input, which may also hold hex text (one packet per line). Words after the file (or all words \
            with -r or -i) form a tcpdump filter expression (pcap-filter(7)), compiled by libpcap.
            Exit status: 0 success; 1 unreadable or corrupt input (every packet before a corrupt record is \
            printed); 2 bad arguments, a bad filter, or an interface that cannot be captured on.
            Examples:
              toytcp-shell decode capture.pcap
              toytcp-shell decode capture.pcap 'tcp port 80 and host 10.0.0.1' -c 10 -vv
              toytcp-shell decode -r capture.pcap -tttt -X
              toytcp-shell decode capture.pcap --format diagram --absolute
              toytcp-shell decode -i veth0 --netns host2 --format diagram tcp port 40000
              toytcp-shell decode --hex 4500002c000040004006...
            """)

    @Argument(help: ArgumentHelp("A pcap or pcapng file ('-' for standard input) unless -r or -i is given, then the words of a filter expression.",
                                 valueName: "file-and-filter"),
              completion: .file(extensions: ["pcap", "pcapng", "cap"]))
    var words: [String] = []

    @Option(name: .customShort("r"), help: ArgumentHelp("Read this capture file (as tcpdump -r); all words are then the filter.", valueName: "file"),
            completion: .file(extensions: ["pcap", "pcapng", "cap"]))
    var readFile: String?

    @Option(name: .customShort("i"), help: ArgumentHelp("Capture live on this interface (libpcap, immediate mode).", valueName: "interface"))
    var interface: String?

    @Option(name: .long, help: ArgumentHelp("With -i: capture inside this network namespace (as ip netns exec).", valueName: "name"))
    var netns: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write the packets (captured, or read and filtered) to this pcap file, and print nothing unless --print.", valueName: "file"))
    var writeFile: String?

    @Flag(name: .customLong("print"), help: "With -w: print the packets as well (tcpdump --print).")
    var printWhileWriting = false

    @Option(name: .long, help: ArgumentHelp("With -i: stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(name: .customShort("s"), help: ArgumentHelp("With -i: snapshot length, the bytes kept of each packet.", valueName: "snaplen"))
    var snapLength: Int = 262_144

    @Option(name: .customShort("B"), help: ArgumentHelp("With -i: the kernel buffer size in KiB (tcpdump -B).", valueName: "KiB"))
    var bufferKiB: Int = 32768

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets (those the filter passes).", valueName: "count"))
    var count: Int?

    @Option(name: .long, help: ArgumentHelp("One IPv4 packet in hex (spaces and colons allowed).", valueName: "hex"))
    var hex: String?

    @Option(name: .long, help: "What to print: line (tcpdump -nn), diagram, hex or all. Default: line for files, all for --hex.")
    var format: DecodeFormat?

    @Flag(name: [.customLong("absolute"), .customShort("S")], help: "Print absolute sequence numbers (tcpdump -S) instead of relative ones.")
    var absolute = false

    @Flag(name: .customShort("v"), help: "Verbose (tcpdump -v): the IPv4 header line and the TCP checksum; -vv also shows seq on every segment.")
    var verbose: Int

    @Flag(name: .customShort("t"), help: "Time format (tcpdump): -t none, -tt epoch seconds, -ttt since previous, -tttt date and time, -ttttt since first.")
    var timeFlags: Int

    @Flag(name: .customShort("e"), help: "Print the link-level header (tcpdump -e).")
    var linkHeader = false

    @Flag(name: .customShort("x"), help: "Hex dump after each line (tcpdump -x; -xx from the link-level header).")
    var hexFlags: Int

    @Flag(name: .customShort("X"), help: "Hex and ASCII dump after each line (tcpdump -X; -XX from the link-level header).")
    var hexASCIIFlags: Int

    @Flag(name: .customShort("q"), help: "Quiet (tcpdump -q): addresses and 'tcp LENGTH' only.")
    var quiet = false

    @Flag(name: .customShort("n"), help: "Accepted for tcpdump's -n/-nn: addresses and ports are always numeric.")
    var numeric: Int

    /// The capture file named on the command line, if any.
    var file: String? {
        if let readFile { return readFile }
        if interface != nil || hex != nil { return nil }
        return words.first
    }

    /// The filter expression: the words after the file, or all of them with -r or -i.
    var filterExpression: String? {
        let filterWords = (readFile != nil || interface != nil || hex != nil) ? words : Array(words.dropFirst())
        return filterWords.isEmpty ? nil : filterWords.joined(separator: " ")
    }

    var options: TcpdumpOptions {
        var o = TcpdumpOptions(verbosity: verbose, linkHeader: linkHeader, quiet: quiet, absolute: absolute)
        o.time = TcpdumpOptions.TimeFormat(rawValue: min(timeFlags, 5)) ?? .timeOfDay
        if hexASCIIFlags > 0 {
            o.hexDump = .hexAndASCII(includingLinkHeader: hexASCIIFlags > 1)
        } else if hexFlags > 0 {
            o.hexDump = .hex(includingLinkHeader: hexFlags > 1)
        }
        return o
    }

    func validate() throws {
        let sources = [readFile != nil, hex != nil, interface != nil].filter { $0 }.count
        if sources == 0 && words.isEmpty {
            throw ValidationError("Give a capture file (or '-' for standard input), a packet with --hex, or an interface with -i.")
        }
        if sources > 1 {
            throw ValidationError("Give one of a capture file (-r), --hex or -i, not several.")
        }
        if let h = hex, h.allSatisfy({ $0 == " " || $0 == ":" }) {
            throw ValidationError("--hex needs the packet's bytes in hex, e.g. --hex 4500002c...")
        }
        if hex != nil && !words.isEmpty {
            throw ValidationError("Give either a capture file or --hex, not both.")
        }
        if interface == nil && (netns != nil || duration != nil) {
            throw ValidationError("--netns and --duration go with a live capture (-i INTERFACE).")
        }
        if hex != nil && writeFile != nil {
            throw ValidationError("-w writes packets from a capture file or an interface, not from --hex.")
        }
        if let c = count, c <= 0 { throw ValidationError("-c needs a positive number of packets.") }
        if let d = duration, !(d > 0) { throw ValidationError("--duration needs a positive number of seconds.") }
        if bufferKiB <= 0 { throw ValidationError("-B needs a positive buffer size in KiB.") }
        if snapLength <= 0 { throw ValidationError("-s needs a positive snapshot length.") }
        if timeFlags > 5 { throw ValidationError("-t may be given at most five times (-ttttt).") }
    }

    func run() throws {
        let out = StandardOutput()
        if let h = hex {
            let packets: [[UInt8]]
            do { packets = try HexText.packets(h) } catch {
                fail("--hex: \(error.description)")
            }
            decodeHex(packets, out)
            return
        }
        if let interface {
            capture(on: interface, out)
            return
        }
        guard let path = file else { return }
        var printer = PacketPrinter(format: format ?? .line, options: options) { out.write($0) }
        let reader: PcapReader
        do {
            if path == "-" {
                guard let stream = fdopen(0, "rb") else { fail("cannot read standard input") }
                let buffer = PcapReader.enlargeBuffer(stream)
                if !Self.startsLikeCapture(stream) {
                    if filterExpression != nil { failUsage("a filter expression needs a capture file, not hex text") }
                    if writeFile != nil { failUsage("-w needs a capture file, not hex text") }
                    let text = Self.readAll(stream)
                    let packets: [[UInt8]]
                    do { packets = try HexText.packets(text) } catch {
                        fail("standard input is neither pcap nor hex text: \(error.description)")
                    }
                    decodeHex(packets, out)
                    return
                }
                do { reader = try PcapReader(stream: stream, buffer: buffer) } catch {
                    fail("standard input: \(error.description)")
                }
            } else {
                reader = try PcapReader(path: path)
            }
        } catch {
            fail(error.description)
        }
        if let expression = filterExpression {
            do { try reader.setFilter(expression) } catch { failUsage(error.description) }
        }
        if let output = writeFile {
            do { try reader.write(to: output) } catch { failUsage(error.description) }
            if !printWhileWriting {
                // tcpdump -r IN -w OUT: the records that pass go to OUT, nothing is printed.
                var written = 0
                do {
                    while count.map({ written < $0 }) ?? true, try reader.next() != nil { written += 1 }
                } catch {
                    fail("\(path == "-" ? "standard input" : path): \(error.description)")
                }
                return
            }
        }
        do {
            try printer.printAll(from: reader, limit: count)
        } catch {
            reportSkipped(printer.statistics)
            fail("\(path == "-" ? "standard input" : path): \(error.description)")
        }
        reportSkipped(printer.statistics)
    }

    private func decodeHex(_ packets: [[UInt8]], _ out: StandardOutput) {
        guard !packets.isEmpty else { fail("no packet bytes in the hex input") }
        var printer = PacketPrinter(format: format ?? .all, options: options) { out.write($0) }
        for p in packets.prefix(count ?? packets.count) { p.withUnsafeBytes { printer.printPacket($0) } }
        printer.flush()
        let s = printer.statistics
        if s.printed == 0 {
            fail(s.notIPv4 > 0 ? "the hex is not an IPv4 or IPv6 packet (version nibble is not 4 or 6)"
                              : "the packet is not TCP (IPv4 protocol, or the end of the IPv6 header chain, is not 6)")
        }
        reportSkipped(s)
    }

    func reportSkipped(_ s: DecodeStatistics) {
        guard s.skipped > 0 else { return }
        var parts: [String] = []
        if s.notIPv4 > 0 { parts.append("\(s.notIPv4) neither IPv4 nor IPv6") }
        if s.notTCP > 0 { parts.append("\(s.notTCP) not TCP") }
        FileHandleOutput.standardError("toytcp-shell decode: skipped \(s.skipped) of \(s.packets) packets (\(parts.joined(separator: ", ")))")
    }

    func fail(_ message: String) -> Never {
        FileHandleOutput.standardError("toytcp-shell decode: error: \(message)")
        Glibc.exit(1)
    }

    /// A problem the user must fix on the command line or in the environment: exit status 2.
    func failUsage(_ message: String) -> Never {
        FileHandleOutput.standardError("toytcp-shell decode: error: \(message)")
        Glibc.exit(2)
    }

    /// Whether the stream starts with a pcap or pcapng magic number; the bytes are pushed back.
    static func startsLikeCapture(_ stream: UnsafeMutablePointer<FILE>) -> Bool {
        var head: [Int32] = []
        for _ in 0..<4 {
            let c = getc(stream)
            if c == EOF { break }
            head.append(c)
        }
        for c in head.reversed() { ungetc(c, stream) }
        guard head.count == 4 else { return false }
        let magic = head.map { UInt8($0) }
        let known: [[UInt8]] = [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1],
                                [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A]]
        return known.contains(magic)
    }

    static func readAll(_ stream: UnsafeMutablePointer<FILE>) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, stream)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Standard output written with `write(2)` in whole buffers (retrying short writes and EINTR).
final class StandardOutput {
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(1, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                // EPIPE and friends: the reader went away; stop quietly like other filters do.
                Glibc.exit(errno == EPIPE ? 0 : 1)
            }
            p += n
            left -= n
        }
    }
}
