import ArgumentParser
import ToyTCPDecode
#if canImport(Glibc)
import Glibc
#endif

extension DecodeFormat: ExpressibleByArgument {}

/// `toytcp-shell decode`: prints TCP segments from a pcap/pcapng file, standard input or hex.
///
/// Output is tcpdump's `-nn` line by default (byte for byte what `tcpdump -nn -r` prints), or the
/// RFC 9293 header diagram and a hex dump. It streams: records are rendered into one buffer that is
/// written out 64 KiB at a time, so a file of any size decodes in constant memory.
/// Exit status: 0 ok; 1 unreadable or corrupt input (everything before the bad record is printed);
/// 2 bad arguments.
struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode TCP segments from a pcap file or hex.",
        discussion: """
            Reads pcap or pcapng (link types raw IP, Ethernet, Linux cooked v1/v2) and prints each IPv4 TCP \
            packet; other packets are skipped and counted on standard error. FILE may be '-' for standard \
            input, which may also hold hex text (one packet per line).
            Exit status: 0 success; 1 unreadable or corrupt input (every packet before a corrupt record is \
            printed); 2 bad arguments.
            Examples:
              toytcp-shell decode capture.pcap
              toytcp-shell decode capture.pcap --format diagram --absolute
              toytcp-shell decode --hex 4500002c000040004006...
            """)

    @Argument(help: ArgumentHelp("A pcap or pcapng file, or '-' for standard input.", valueName: "file"),
              completion: .file(extensions: ["pcap", "pcapng", "cap"]))
    var file: String?

    @Option(name: .long, help: ArgumentHelp("One IPv4 packet in hex (spaces and colons allowed).", valueName: "hex"))
    var hex: String?

    @Option(name: .long, help: "What to print: line (tcpdump -nn), diagram, hex or all. Default: line for files, all for --hex.")
    var format: DecodeFormat?

    @Flag(name: .long, help: "Print absolute sequence numbers (tcpdump -S) instead of relative ones.")
    var absolute = false

    func validate() throws {
        if file == nil && hex == nil {
            throw ValidationError("Give a capture file (or '-' for standard input), or a packet with --hex.")
        }
        if file != nil && hex != nil {
            throw ValidationError("Give either a capture file or --hex, not both.")
        }
        if let h = hex, h.allSatisfy({ $0 == " " || $0 == ":" }) {
            throw ValidationError("--hex needs the packet's bytes in hex, e.g. --hex 4500002c...")
        }
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
        guard let path = file else { return }
        var printer = PacketPrinter(format: format ?? .line, absolute: absolute) { out.write($0) }
        let reader: PcapReader
        do {
            if path == "-" {
                guard let stream = fdopen(0, "rb") else { fail("cannot read standard input") }
                let buffer = PcapReader.enlargeBuffer(stream)
                if !Self.startsLikeCapture(stream) {
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
        do {
            try printer.printAll(from: reader)
        } catch {
            reportSkipped(printer.statistics)
            fail("\(path == "-" ? "standard input" : path): \(error.description)")
        }
        reportSkipped(printer.statistics)
    }

    private func decodeHex(_ packets: [[UInt8]], _ out: StandardOutput) {
        guard !packets.isEmpty else { fail("no packet bytes in the hex input") }
        var printer = PacketPrinter(format: format ?? .all, absolute: absolute) { out.write($0) }
        for p in packets { p.withUnsafeBytes { printer.printPacket($0) } }
        printer.flush()
        let s = printer.statistics
        if s.printed == 0 {
            fail(s.notIPv4 > 0 ? "the hex is not an IPv4 packet (version nibble is not 4)" : "the packet is not TCP (IPv4 protocol is not 6)")
        }
        reportSkipped(s)
    }

    private func reportSkipped(_ s: DecodeStatistics) {
        guard s.skipped > 0 else { return }
        var parts: [String] = []
        if s.notIPv4 > 0 { parts.append("\(s.notIPv4) not IPv4") }
        if s.notTCP > 0 { parts.append("\(s.notTCP) not TCP") }
        FileHandleOutput.standardError("toytcp-shell decode: skipped \(s.skipped) of \(s.packets) packets (\(parts.joined(separator: ", ")))")
    }

    private func fail(_ message: String) -> Never {
        FileHandleOutput.standardError("toytcp-shell decode: error: \(message)")
        Glibc.exit(1)
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
