import Foundation
import ToyTCPDecode
import ToyTCPTestSupport
import ToyTCPWire

/// Helpers shared by the decoder tests: temporary files, running tools, crafting packets.
enum TestSupport {
    static func temporaryPath(_ name: String) -> String { TestEnvironment.temporaryPath(name) }
    static var isCI: Bool { TestEnvironment.isCI }
    static var isRoot: Bool { TestEnvironment.isRoot }
    static func which(_ tool: String) -> String? { TestEnvironment.which(tool) }

    /// Runs a program to completion (killed after `timeout` seconds) and captures its output.
    @discardableResult
    static func run(_ argv: [String], environment: [String: String] = [:], timeout: Int = 60) throws -> Subprocess.Output {
        try Subprocess.run(argv, environment: environment, timeout: .seconds(timeout))
    }

    /// `tcpdump -nn -r path` (with `-S` when absolute) in UTC: the reference text.
    static func tcpdumpLines(_ path: String, absolute: Bool = false) throws -> String {
        guard let tcpdump = which("tcpdump") else { throw Missing(tool: "tcpdump") }
        var argv = [tcpdump, "-nn"]
        if absolute { argv.append("-S") }
        argv += ["-r", path]
        let r = try run(argv, environment: ["TZ": "UTC"])
        return r.stdout
    }

    struct Missing: Error, CustomStringConvertible {
        var tool: String
        var description: String { "\(tool) is not installed (scripts/setup.sh installs it)" }
    }

    /// Our line output for a capture file, decoded in-process.
    static func decode(_ path: String, format: DecodeFormat = .line, absolute: Bool = false) throws -> String {
        setenv("TZ", "UTC", 1)
        let reader = try PcapReader(path: path)
        var text = ""
        var printer = PacketPrinter(format: format, absolute: absolute) { bytes in
            text += String(decoding: bytes, as: UTF8.self)
        }
        try printer.printAll(from: reader)
        return text
    }

    /// Writes packets (each with an optional wire length, for cut captures) to a raw-IP pcap, one
    /// second apart from a fixed time, with a varying fraction.
    static func writePcap(_ path: String, _ packets: [CraftedPacket]) throws {
        var file = RawPcapFile(linkType: 101)
        for (i, p) in packets.enumerated() {
            file.record(p.bytes, wireLength: p.wireLength, seconds: 1_700_000_000 + UInt32(i),
                        fraction: UInt32((i * 37_123) % 1_000_000))
        }
        try file.write(path)
    }

    /// First differing line of two texts, for readable failures.
    static func firstDifference(_ expected: String, _ actual: String) -> String? {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(e.count, a.count) {
            let x = i < e.count ? String(e[i]) : "<none>"
            let y = i < a.count ? String(a[i]) : "<none>"
            if x != y { return "line \(i + 1):\n  tcpdump: \(x)\n  toytcp:  \(y)" }
        }
        return nil
    }
}

/// One crafted packet: the captured bytes and the length on the wire (more when the capture is cut).
struct CraftedPacket {
    var bytes: [UInt8]
    var wireLength: Int

    init(_ bytes: [UInt8]) { self.bytes = bytes; wireLength = bytes.count }
    /// The first `captured` bytes of `full`, as a capture with a short snap length records them.
    init(cut full: [UInt8], at captured: Int) { bytes = Array(full.prefix(captured)); wireLength = full.count }
    init(bytes: [UInt8], wireLength: Int) { self.bytes = bytes; self.wireLength = wireLength }
}

/// Writes pcap files byte by byte, for what `PcapWriter` deliberately does not do: cut records,
/// other link types, big-endian and nanosecond headers, corrupt records.
struct RawPcapFile {
    var bytes: [UInt8] = []
    let bigEndian: Bool
    let nanoseconds: Bool

    init(linkType: UInt32, bigEndian: Bool = false, nanoseconds: Bool = false, snapLength: UInt32 = 262_144) {
        self.bigEndian = bigEndian
        self.nanoseconds = nanoseconds
        u32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        u16(2); u16(4); u32(0); u32(0); u32(snapLength); u32(linkType)
    }

    mutating func u16(_ v: UInt16) {
        let b = [UInt8(v >> 8), UInt8(v & 0xFF)]
        bytes += bigEndian ? b : b.reversed()
    }

    mutating func u32(_ v: UInt32) {
        let b = [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        bytes += bigEndian ? b : b.reversed()
    }

    mutating func record(_ data: [UInt8], wireLength: Int? = nil, seconds: UInt32 = 1_700_000_000, fraction: UInt32 = 0) {
        u32(seconds); u32(fraction); u32(UInt32(data.count)); u32(UInt32(wireLength ?? data.count))
        bytes += data
    }

    func write(_ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// Builds IPv4 TCP packets for tests.
enum Craft {
    static let a = IPv4Address(10, 0, 0, 1)
    static let b = IPv4Address(10, 0, 1, 1)

    static func packet(_ src: IPv4Address = a, _ dst: IPv4Address = b, sport: UInt16 = 50467, dport: UInt16 = 40000,
                       seq: UInt32 = 1000, ack: UInt32 = 0, flags: TCPFlags, window: UInt16 = 4380,
                       urgent: UInt16 = 0, options: [TCPOption] = [], payload: [UInt8] = [],
                       ipOptions: [UInt8] = [], moreFragments: Bool = false, fragmentOffset: UInt16 = 0) -> [UInt8] {
        let header = IPv4Header(source: src, destination: dst, identification: 0x1c46,
                                dontFragment: !moreFragments && fragmentOffset == 0, moreFragments: moreFragments,
                                fragmentOffset: fragmentOffset, options: ipOptions)
        let segment = TCPSegment(sourcePort: sport, destinationPort: dport, sequenceNumber: SequenceNumber(seq),
                                 acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: window,
                                 urgentPointer: urgent, options: options, payload: payload)
        return IPv4Packet(header: header, segment: segment).bytes()
    }

    /// A packet whose TCP options area is exactly `rawOptions` (padded to 4 with zeros).
    static func withRawOptions(_ rawOptions: [UInt8], flags: TCPFlags = [.ack], payload: [UInt8] = [],
                               seq: UInt32 = 1000, ack: UInt32 = 2000) -> [UInt8] {
        var opts = rawOptions
        while opts.count % 4 != 0 { opts.append(0) }
        var p = packet(seq: seq, ack: ack, flags: flags, payload: payload)
        // Splice the options in after the 20-byte TCP header and fix data offset and total length.
        p.insert(contentsOf: opts, at: 40)
        p[32] = UInt8((20 + opts.count) / 4) << 4 | (p[32] & 0x0F)
        let total = p.count
        p[2] = UInt8(total >> 8); p[3] = UInt8(total & 0xFF)
        return p
    }
}
