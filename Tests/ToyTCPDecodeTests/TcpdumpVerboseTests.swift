import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// tcpdump's `-v`/`-vv`, `-q` and hex dumps on crafted packets the kernel does not send: wrong TCP and
/// IPv4 checksums, every ECN codepoint, fragment flags, a TTL of 0, IPv4 options, RSTs carrying text,
/// HTTP with `-v`'s every-line dump, a capture cut short. Our text must equal `tcpdump -nn` with the
/// same flags.
@Suite("tcpdump -v, -q and hex dumps on crafted packets")
struct TcpdumpVerboseTests {
    /// A packet with some bytes overwritten after it was built (checksums are then left as they were).
    static func edited(_ p: [UInt8], _ edits: [Int: UInt8]) -> [UInt8] {
        var q = p
        for (i, v) in edits { q[i] = v }
        return q
    }

    static func crafted() -> [CraftedPacket] {
        let data = Craft.packet(sport: 1234, dport: 40000, seq: 100, ack: 200, flags: [.psh, .ack], payload: Array("abc".utf8))
        var p: [CraftedPacket] = [CraftedPacket(data)]
        p.append(CraftedPacket(edited(data, [36: data[36] ^ 0x12])))                  // TCP checksum wrong
        p.append(CraftedPacket(edited(data, [10: data[10] ^ 0x0F])))                  // IPv4 checksum wrong
        for tos: UInt8 in [1, 2, 3, 0xB8] { p.append(CraftedPacket(edited(data, [1: tos]))) }  // ECN codepoints, DSCP
        p.append(CraftedPacket(edited(data, [6: 0x20, 7: 0])))                        // MF: no checksum shown
        p.append(CraftedPacket(edited(data, [6: 0x60, 7: 5])))                        // MF, DF, offset 40
        p.append(CraftedPacket(edited(data, [6: 0x80, 7: 0])))                        // the reserved bit
        p.append(CraftedPacket(edited(data, [8: 0])))                                 // TTL 0 is not shown
        p.append(CraftedPacket(Craft.packet(sport: 1234, dport: 40000, seq: 1, ack: 2, flags: [.rst, .ack],
                                            payload: Array("connection reset \u{1}\u{7F} by peer, and why".utf8) + [0x80, 0xFF])))
        p.append(CraftedPacket(Craft.packet(sport: 1234, dport: 40000, seq: 1, flags: [.rst], payload: Array("short".utf8))))
        p.append(CraftedPacket(Craft.packet(sport: 1234, dport: 40000, seq: 5, ack: 6, flags: [.ack], ipOptions: [1, 1, 1, 0])))
        p.append(CraftedPacket(Craft.packet(sport: 1234, dport: 40000, seq: 5, ack: 6, flags: [.ack], ipOptions: [0x94, 4, 0, 0])))
        p.append(CraftedPacket(Craft.packet(sport: 51000, dport: 80, seq: 7, ack: 8, flags: [.psh, .ack],
                                            payload: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))))
        p.append(CraftedPacket(Craft.packet(sport: 80, dport: 51000, seq: 9, ack: 10, flags: [.ack],
                                            payload: Array(repeating: 0x41, count: 40))))  // HTTP body: no line
        p.append(CraftedPacket(cut: Craft.packet(seq: 11, ack: 12, flags: [.ack], payload: Array(repeating: 0x20, count: 100)), at: 70))
        p.append(CraftedPacket(Craft.packet(seq: 13, ack: 14, flags: [.ack, .urg], urgent: 3, payload: [0x20, 0x7E, 0x7F, 0x21, 0x00])))
        return p
    }

    static let flagSets: [(arguments: [String], options: TcpdumpOptions)] = [
        (["-v"], TcpdumpOptions(verbosity: 1)),
        (["-vv"], TcpdumpOptions(verbosity: 2)),
        (["-q", "-v"], TcpdumpOptions(verbosity: 1, quiet: true)),
        (["-X", "-v"], TcpdumpOptions(verbosity: 1, hexDump: .hexAndASCII(includingLinkHeader: false))),
        (["-x", "-S"], TcpdumpOptions(hexDump: .hex(includingLinkHeader: false), absolute: true)),
        (["-e", "-tt"], TcpdumpOptions(time: .epoch, linkHeader: true)),
    ]

    @Test("our output equals tcpdump -nn with the same flags", arguments: 0..<flagSets.count)
    func sameAsTcpdump(_ index: Int) throws {
        guard TestSupport.which("tcpdump") != nil else {
            if TestSupport.isCI { Issue.record("tcpdump is not installed") }
            return
        }
        let (arguments, options) = Self.flagSets[index]
        let pcap = TestSupport.temporaryPath("verbose.pcap")
        defer { unlink(pcap) }
        try TestSupport.writePcap(pcap, Self.crafted())
        let reference = try TestSupport.run([TestSupport.which("tcpdump")!, "-nn"] + arguments + ["-r", pcap],
                                            environment: ["TZ": "UTC"]).stdout
        setenv("TZ", "UTC", 1)
        var ours = ""
        var printer = PacketPrinter(format: .line, options: options) { ours += String(decoding: $0, as: UTF8.self) }
        try printer.printAll(from: try PcapReader(path: pcap))
        #expect(reference.contains("incorrect -> 0x") || !arguments.contains("-v") || arguments.contains("-q"))
        if let diff = TestSupport.firstDifference(reference, ours) { Issue.record("\(arguments): \(diff)") }
    }
}
