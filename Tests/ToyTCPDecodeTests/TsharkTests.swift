import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// A pcap written by `PcapWriter` opens in tshark without errors, and tshark reads back the fields we
/// wrote: ports, raw seq/ack, flags, window, options and the checksum's status.
@Suite("tshark reads our pcap")
struct TsharkTests {
    struct Expected {
        var packet: [UInt8]
        var sourcePort: UInt16, destinationPort: UInt16, seq: UInt32, ack: UInt32, flags: UInt16, window: UInt16
        var mss = "", wscale = "", sackPermitted = false, tsval = "", tsecr = "", sackLeft = "", sackRight = ""
        var checksumGood = true
    }

    func cases() -> [Expected] {
        var out: [Expected] = []
        let syn = Craft.packet(sport: 50467, dport: 40000, seq: 1_815_885_635, flags: [.syn], window: 64240,
                               options: [.mss(1460), .sackPermitted, .timestamps(value: 2_581_156_742, echoReply: 0), .nop, .windowScale(7)])
        var e = Expected(packet: syn, sourcePort: 50467, destinationPort: 40000, seq: 1_815_885_635, ack: 0, flags: 0x002, window: 64240)
        e.mss = "1460"; e.wscale = "7"; e.sackPermitted = true; e.tsval = "2581156742"; e.tsecr = "0"
        out.append(e)
        let synAck = Craft.packet(Craft.b, Craft.a, sport: 40000, dport: 50467, seq: 4_000_000_000, ack: 1_815_885_636,
                                  flags: [.syn, .ack, .ece], window: 65160, options: [.mss(1400), .nop, .windowScale(14)])
        e = Expected(packet: synAck, sourcePort: 40000, destinationPort: 50467, seq: 4_000_000_000, ack: 1_815_885_636, flags: 0x052, window: 65160)
        e.mss = "1400"; e.wscale = "14"
        out.append(e)
        let sack = Craft.packet(Craft.b, Craft.a, sport: 40000, dport: 50467, seq: 4_000_000_001, ack: 1_815_885_636, flags: [.ack], window: 502,
                                options: [.nop, .nop, .sack([SACKBlock(left: 1_815_886_636, right: 1_815_887_636)])])
        e = Expected(packet: sack, sourcePort: 40000, destinationPort: 50467, seq: 4_000_000_001, ack: 1_815_885_636, flags: 0x010, window: 502)
        e.sackLeft = "1815886636"; e.sackRight = "1815887636"
        out.append(e)
        let data = Craft.packet(seq: 1_815_885_636, ack: 4_000_000_001, flags: [.psh, .ack, .cwr], window: 501,
                                options: [.nop, .nop, .timestamps(value: 7, echoReply: 9)], payload: Array("hello".utf8))
        e = Expected(packet: data, sourcePort: 50467, destinationPort: 40000, seq: 1_815_885_636, ack: 4_000_000_001, flags: 0x098, window: 501)
        e.tsval = "7"; e.tsecr = "9"
        out.append(e)
        var bad = Craft.packet(seq: 1_815_885_641, ack: 4_000_000_001, flags: [.fin, .ack], window: 501)
        bad[37] ^= 0x01
        e = Expected(packet: bad, sourcePort: 50467, destinationPort: 40000, seq: 1_815_885_641, ack: 4_000_000_001, flags: 0x011, window: 501)
        e.checksumGood = false
        out.append(e)
        let rst = Craft.packet(Craft.b, Craft.a, sport: 40000, dport: 50467, seq: 4_000_000_001, ack: 0, flags: [.rst, .urg], window: 0, urgent: 3)
        out.append(Expected(packet: rst, sourcePort: 40000, destinationPort: 50467, seq: 4_000_000_001, ack: 0, flags: 0x024, window: 0))
        return out
    }

    @Test("tshark opens a PcapWriter file and reads back ports, seq, ack, flags, window, options, checksum status")
    func fieldsReadBack() throws {
        guard let tshark = TestSupport.which("tshark") else {
            if TestSupport.isCI { Issue.record("tshark is not installed (scripts/setup.sh installs it)") }
            else { print("skipped: tshark is not installed (scripts/setup.sh installs it)") }
            return
        }
        let expected = cases()
        for precision in [PcapWriter.Precision.microseconds, .nanoseconds] {
            let path = TestSupport.temporaryPath("tshark.pcap")
            defer { unlink(path) }
            let writer = try PcapWriter(path: path, precision: precision)
            for (i, e) in expected.enumerated() { writer.write(e.packet, seconds: 1_700_000_000 + Int64(i), nanoseconds: 1_000) }
            try writer.close()
            let fields = ["tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value",
                          "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm",
                          "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr", "tcp.options.sack_le",
                          "tcp.options.sack_re", "tcp.checksum.status"]
            var argv = [tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=/t",
                        "-o", "tcp.check_checksum:TRUE", "-o", "tcp.relative_sequence_numbers:FALSE"]
            for f in fields { argv += ["-e", f] }
            let result = try TestSupport.run(argv, timeout: 120)
            #expect(result.status == 0)
            // tshark warns about running as root; anything else on stderr is an error reading our file.
            let complaints = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("Running as user") }
            #expect(complaints.isEmpty, "tshark stderr: \(complaints)")
            let rows = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            try #require(rows.count == expected.count)
            for (row, e) in zip(rows, expected) {
                let c = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                try #require(c.count == fields.count)
                #expect(c[0] == String(e.sourcePort) && c[1] == String(e.destinationPort))
                #expect(c[2] == String(e.seq))
                #expect(c[3] == String(e.ack))
                #expect(c[4] == "0x" + String(repeating: "0", count: 4 - String(e.flags, radix: 16).count) + String(e.flags, radix: 16))
                #expect(c[5] == String(e.window))
                #expect(c[6] == e.mss && c[7] == e.wscale)
                #expect(c[8].isEmpty != e.sackPermitted)
                #expect(c[9] == e.tsval && c[10] == e.tsecr)
                #expect(c[11] == e.sackLeft && c[12] == e.sackRight)
                // Wireshark's checksum status: 1 good, 0 bad.
                #expect(c[13] == (e.checksumGood ? "1" : "0"), "checksum status for seq \(e.seq)")
            }
        }
    }
}
