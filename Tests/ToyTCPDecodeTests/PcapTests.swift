import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// Reading and writing capture files: formats, byte orders, precisions, link types, corrupt files.
@Suite("pcap")
struct PcapTests {
    let syn = Craft.packet(flags: [.syn], options: [.mss(1460)])
    let data = Craft.packet(seq: 1001, ack: 5, flags: [.psh, .ack], payload: Array("abc".utf8))

    func readAll(_ path: String) throws -> (LinkType, [(PacketTimestamp, [UInt8], Int)]) {
        let reader = try PcapReader(path: path)
        var records: [(PacketTimestamp, [UInt8], Int)] = []
        while let r = try reader.next() { records.append((r.timestamp, Array(r.bytes), r.wireLength)) }
        return (reader.linkType, records)
    }

    @Test("PcapWriter round-trips packets and timestamps at micro- and nanosecond precision")
    func writerRoundTrip() throws {
        for precision in [PcapWriter.Precision.microseconds, .nanoseconds] {
            let path = TestSupport.temporaryPath("rt.pcap")
            defer { unlink(path) }
            let writer = try PcapWriter(path: path, precision: precision)
            writer.write(syn, seconds: 1_700_000_000, nanoseconds: 123_456_789)
            data.withUnsafeBytes { writer.write($0, seconds: 1_700_000_001, nanoseconds: 5) }
            #expect(writer.packetsWritten == 2)
            try writer.close()
            let (link, records) = try readAll(path)
            #expect(link == .raw)
            #expect(records.count == 2)
            #expect(records[0].1 == syn && records[1].1 == data)
            #expect(records[0].2 == syn.count)
            #expect(records[0].0.seconds == 1_700_000_000)
            #expect(records[0].0.nanoseconds == (precision == .nanoseconds ? 123_456_789 : 123_456_000))
            #expect(records[1].0.nanoseconds == (precision == .nanoseconds ? 5 : 0))
        }
    }

    @Test("PcapWriter normalises out-of-range nanoseconds and buffers many packets")
    func writerManyPackets() throws {
        let path = TestSupport.temporaryPath("many.pcap")
        defer { unlink(path) }
        let writer = try PcapWriter(path: path)
        for i in 0..<5000 { writer.write(data, seconds: Int64(i), nanoseconds: 1_500_000_000) }
        try writer.flush()
        try writer.close()
        let (_, records) = try readAll(path)
        #expect(records.count == 5000)
        #expect(records[10].0 == PacketTimestamp(seconds: 11, nanoseconds: 500_000_000))
    }

    @Test("PcapWriter reports a path it cannot create")
    func writerBadPath() {
        #expect(throws: PcapError.self) { try PcapWriter(path: "/nonexistent-dir/x.pcap") }
    }

    @Test("reads little- and big-endian headers, micro and nano magic")
    func byteOrdersAndPrecision() throws {
        for bigEndian in [false, true] {
            for nano in [false, true] {
                var file = RawPcapFile(linkType: 101, bigEndian: bigEndian, nanoseconds: nano)
                file.record(syn, seconds: 1_700_000_000, fraction: nano ? 999_999_999 : 999_999)
                let path = TestSupport.temporaryPath("bo.pcap")
                defer { unlink(path) }
                try file.write(path)
                let (_, records) = try readAll(path)
                #expect(records.count == 1)
                #expect(records[0].1 == syn)
                #expect(records[0].0.nanoseconds == (nano ? 999_999_999 : 999_999_000))
                let text = try TestSupport.decode(path)
                #expect(text.hasPrefix("22:13:20.999999 IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S]"))
            }
        }
    }

    @Test("reads pcapng (section header, interface description, enhanced packet blocks)")
    func pcapng() throws {
        var b: [UInt8] = []
        func u16(_ v: UInt16) { b += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { b += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        // Section header block.
        u32(0x0A0D_0D0A); u32(28); u32(0x1A2B_3C4D); u16(1); u16(0); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u32(28)
        // Interface description block: link type 101, snaplen 0.
        u32(1); u32(20); u16(101); u16(0); u32(0); u32(20)
        // Enhanced packet block, microsecond timestamps (default if_tsresol).
        let padded = syn + Array(repeating: 0, count: (4 - syn.count % 4) % 4)
        let length = UInt32(32 + padded.count)
        let micros: UInt64 = 1_700_000_000 * 1_000_000 + 250_000
        u32(6); u32(length); u32(0); u32(UInt32(micros >> 32)); u32(UInt32(micros & 0xFFFF_FFFF))
        u32(UInt32(syn.count)); u32(UInt32(syn.count)); b += padded; u32(length)
        let path = TestSupport.temporaryPath("ng.pcapng")
        defer { unlink(path) }
        try Data(b).write(to: URL(fileURLWithPath: path))
        let text = try TestSupport.decode(path)
        #expect(text == "22:13:20.250000 IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S], seq 1000, win 4380, options [mss 1460], length 0\n")
    }

    @Test("link types: Ethernet (with a VLAN tag), Linux cooked v1 and v2, raw IPv4 (228)")
    func linkTypes() throws {
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
        let vlan: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00]
        let arp: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x06] + Array(repeating: 0, count: 28)
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0]
        let line = "IP 10.0.0.1.50467 > 10.0.1.1.40000: Flags [S], seq 1000, win 4380, options [mss 1460], length 0\n"
        let cases: [(UInt32, [[UInt8]], String)] = [
            (1, [ethernet + syn, vlan + syn, arp], "22:13:20.000000 " + line + "22:13:20.000000 " + line),
            (113, [sll + syn], "22:13:20.000000 " + line),
            (276, [sll2 + syn], "22:13:20.000000 lo    Out " + line),
            (228, [syn], "22:13:20.000000 " + line),
        ]
        for (linkType, frames, expected) in cases {
            var file = RawPcapFile(linkType: linkType)
            for f in frames { file.record(f) }
            let path = TestSupport.temporaryPath("lt.pcap")
            defer { unlink(path) }
            try file.write(path)
            let reader = try PcapReader(path: path)
            var text = ""
            setenv("TZ", "UTC", 1)
            var printer = PacketPrinter(format: .line, absolute: false) { text += String(decoding: $0, as: UTF8.self) }
            try printer.printAll(from: reader)
            #expect(text == expected, "link type \(linkType)")
            if linkType == 1 { #expect(printer.statistics.notIPv4 == 1 && printer.statistics.printed == 2) }
        }
    }

    @Test("packets neither IPv4 nor IPv6, and IP not carrying TCP, are skipped and counted")
    func skipsAndCounts() throws {
        var udp = syn
        udp[9] = 17
        let version5: [UInt8] = [0x50] + Array(repeating: 0, count: 39)
        // IPv6 with hop-by-hop then UDP: the chain does not end in TCP.
        let ipv6UDP: [UInt8] = [0x60, 0, 0, 0, 0, 8, 0, 64] + Array(repeating: 0, count: 32) + [17, 0, 1, 4, 0, 0, 0, 0]
        var file = RawPcapFile(linkType: 101)
        file.record(syn); file.record(udp); file.record(version5); file.record(ipv6UDP); file.record(data)
        let path = TestSupport.temporaryPath("skip.pcap")
        defer { unlink(path) }
        try file.write(path)
        var printer = PacketPrinter(format: .line, absolute: false) { _ in }
        try printer.printAll(from: try PcapReader(path: path))
        var expected = DecodeStatistics()
        expected.packets = 5; expected.printed = 2; expected.notTCP = 2; expected.notIPv4 = 1
        #expect(printer.statistics == expected)
    }

    @Test("a truncated file: every record before it is decoded, the error names the record")
    func truncatedFile() throws {
        var file = RawPcapFile(linkType: 101)
        for _ in 0..<3 { file.record(syn) }
        file.record(data)
        file.bytes.removeLast(5)  // the fourth record's data is cut short
        let path = TestSupport.temporaryPath("trunc.pcap")
        defer { unlink(path) }
        try file.write(path)
        setenv("TZ", "UTC", 1)
        var text = ""
        var printer = PacketPrinter(format: .line, absolute: false) { text += String(decoding: $0, as: UTF8.self) }
        let reader = try PcapReader(path: path)
        do {
            try printer.printAll(from: reader)
            Issue.record("no error for a truncated file")
        } catch {
            #expect(error.kind == .corruptRecord(record: 4))
            #expect(error.description.hasPrefix("record 4: truncated dump file"))
        }
        #expect(text.split(separator: "\n").count == 3)
    }

    @Test("a file that is not a capture, a missing file and an unsupported link type are clear errors")
    func badFiles() throws {
        let path = TestSupport.temporaryPath("junk.pcap")
        defer { unlink(path) }
        try Data("hello, this is not a pcap file at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: PcapError.self) { try PcapReader(path: path) }
        #expect(throws: PcapError.self) { try PcapReader(path: "/nonexistent/file.pcap") }
        var file = RawPcapFile(linkType: 147)
        file.record(syn)
        try file.write(path)
        do {
            _ = try PcapReader(path: path)
            Issue.record("link type 147 accepted")
        } catch {
            #expect(error.kind == .unsupportedLinkType(147))
            #expect(error.description.contains("not supported"))
        }
    }

    @Test("records with impossible headers print tcpdump's [Invalid header] lines")
    func invalidRecordHeaders() throws {
        var file = RawPcapFile(linkType: 101)
        file.record([], wireLength: 0)
        file.record([], wireLength: 40)
        file.record(syn, wireLength: 10)
        let path = TestSupport.temporaryPath("inv.pcap")
        defer { unlink(path) }
        try file.write(path)
        let text = try TestSupport.decode(path)
        #expect(text == "[Invalid header: caplen==0, len==0]\n[Invalid header: caplen==0]\n[Invalid header: len(10) < caplen(\(syn.count))]\n")
    }
}
