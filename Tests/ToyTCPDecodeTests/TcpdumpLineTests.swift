import Foundation
import Testing
import ToyTCPDecode
import ToyTCPWire

/// The one-line renderer against tcpdump 4.99's `-nn` output, byte for byte.
@Suite("tcpdump -nn line")
struct TcpdumpLineTests {
    /// Writes the corpus and returns its path (also copied to $TOYTCP_GOLDEN_DIR when set, which is how
    /// GoldenText.swift was made: `TZ=UTC tcpdump -nn [-S] -r corpus.pcap`).
    func corpusFile(export: Bool = false) throws -> String {
        let path = TestSupport.temporaryPath("corpus.pcap")
        try TestSupport.writePcap(path, GoldenCorpus.packets())
        if export, let dir = ProcessInfo.processInfo.environment["TOYTCP_GOLDEN_DIR"] {
            try? FileManager.default.removeItem(atPath: dir + "/corpus.pcap")
            try FileManager.default.copyItem(atPath: path, toPath: dir + "/corpus.pcap")
        }
        return path
    }

    @Test("crafted corpus: relative numbers equal the stored tcpdump -nn text (RFC 9293 §3.1, RFC 2018 §3)")
    func goldenRelative() throws {
        let path = try corpusFile(export: true)
        defer { unlink(path) }
        let ours = try TestSupport.decode(path)
        #expect(GoldenText.relative.hasSuffix("\n"))
        if let diff = TestSupport.firstDifference(GoldenText.relative, ours) { Issue.record("\(diff)") }
    }

    @Test("crafted corpus: absolute numbers equal the stored tcpdump -nn -S text")
    func goldenAbsolute() throws {
        let path = try corpusFile()
        defer { unlink(path) }
        let ours = try TestSupport.decode(path, absolute: true)
        if let diff = TestSupport.firstDifference(GoldenText.absolute, ours) { Issue.record("\(diff)") }
    }

    @Test("crafted corpus: equal to the installed tcpdump, relative and absolute")
    func liveTcpdump() throws {
        guard TestSupport.which("tcpdump") != nil || TestSupport.isCI else {
            print("skipped: tcpdump is not installed (scripts/setup.sh installs it)")
            return
        }
        let path = try corpusFile()
        defer { unlink(path) }
        for absolute in [false, true] {
            let reference = try TestSupport.tcpdumpLines(path, absolute: absolute)
            let ours = try TestSupport.decode(path, absolute: absolute)
            #expect(reference.count > 10_000)
            if let diff = TestSupport.firstDifference(reference, ours) { Issue.record("absolute=\(absolute) \(diff)") }
        }
    }

    @Test("60,000 seeded random and mutated segments: equal to the installed tcpdump")
    func randomSegmentsAgainstTcpdump() throws {
        guard TestSupport.which("tcpdump") != nil || TestSupport.isCI else {
            print("skipped: tcpdump is not installed (scripts/setup.sh installs it)")
            return
        }
        var rng = SplitMix64(seed: 0x70C9_7C9D)
        var packets: [CraftedPacket] = []
        let hosts = (1...5).map { IPv4Address(10, 0, 0, UInt8($0)) }
        let kinds: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 19, 20, 28, 29, 30, 34, 254, 99, 253]
        for _ in 0..<60_000 {
            var opts: [UInt8] = []
            let target = Int(rng.next() % 41)
            while opts.count < target {
                let kind = kinds[Int(rng.next() % UInt64(kinds.count))]
                if kind <= 1 { opts.append(kind); continue }
                let length = [0, 1, 2, 3, 4, 6, 8, 10, 12, 18, Int(rng.next() % 40)][Int(rng.next() % 11)]
                opts.append(kind); opts.append(UInt8(length))
                for _ in 0..<max(0, length - 2) { opts.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
            opts = Array(opts.prefix(40))
            let payload = (0..<[0, 0, 1, 5, 20][Int(rng.next() % 5)]).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ports: [UInt16] = [10000, 10001, 20000]
            var p = Craft.packet(hosts[Int(rng.next() % 5)], hosts[Int(rng.next() % 5)],
                                 sport: ports[Int(rng.next() % 3)], dport: ports[Int(rng.next() % 3)],
                                 seq: UInt32(truncatingIfNeeded: rng.next()), ack: UInt32(truncatingIfNeeded: rng.next()),
                                 flags: TCPFlags(rawValue: UInt16(rng.next() % 256)), window: UInt16(truncatingIfNeeded: rng.next()),
                                 urgent: UInt16(truncatingIfNeeded: rng.next()), payload: payload)
            var padded = opts
            while padded.count % 4 != 0 { padded.append(0) }
            p.insert(contentsOf: padded, at: 40)
            p[32] = rng.next() % 10 == 0 ? UInt8(rng.next() % 16) << 4 : UInt8((20 + padded.count) / 4) << 4
            p[2] = UInt8(p.count >> 8); p[3] = UInt8(p.count & 0xFF)
            if rng.next() % 5 == 0 {
                packets.append(CraftedPacket(cut: p, at: max(1, Int(rng.next() % UInt64(p.count + 1)))))
            } else {
                packets.append(CraftedPacket(p))
            }
        }
        let path = TestSupport.temporaryPath("random.pcap")
        defer { unlink(path) }
        try TestSupport.writePcap(path, packets)
        for absolute in [false, true] {
            let reference = try TestSupport.tcpdumpLines(path, absolute: absolute)
            let ours = try TestSupport.decode(path, absolute: absolute)
            if let diff = TestSupport.firstDifference(reference, ours) { Issue.record("absolute=\(absolute) \(diff)") }
        }
    }

    @Test("relative numbers: the first ACK-bearing segment records bases and prints absolute (tcpdump rule)")
    func flowTableRules() {
        var flows = FlowTable()
        // 10.0.0.1:50000 -> 10.0.1.1:40000 (reversed key: 50000 > 40000).
        let first = flows.bases(source: .v4(IPv4Address(rawValue: 0x0A00_0001)), destination: .v4(IPv4Address(rawValue: 0x0A00_0101)), sourcePort: 50000, destinationPort: 40000,
                                sequence: 100, acknowledgment: 900, isSYN: false)
        #expect(first.sequence == 0 && first.acknowledgment == 0)
        #expect(first.sack == 899)
        let same = flows.bases(source: .v4(IPv4Address(rawValue: 0x0A00_0001)), destination: .v4(IPv4Address(rawValue: 0x0A00_0101)), sourcePort: 50000, destinationPort: 40000,
                               sequence: 150, acknowledgment: 950, isSYN: false)
        #expect(same.sequence == 100 && same.acknowledgment == 899)
        let reply = flows.bases(source: .v4(IPv4Address(rawValue: 0x0A00_0101)), destination: .v4(IPv4Address(rawValue: 0x0A00_0001)), sourcePort: 40000, destinationPort: 50000,
                                sequence: 950, acknowledgment: 150, isSYN: false)
        #expect(reply.sequence == 899 && reply.acknowledgment == 100)
        let syn = flows.bases(source: .v4(IPv4Address(rawValue: 0x0A00_0101)), destination: .v4(IPv4Address(rawValue: 0x0A00_0001)), sourcePort: 40000, destinationPort: 50000,
                              sequence: 7, acknowledgment: 8, isSYN: true)
        #expect(syn.sequence == 0 && syn.acknowledgment == 0)
        #expect(flows.count == 1)
    }

    @Test("the flow table grows past its first size and keeps every conversation")
    func flowTableGrowth() {
        var flows = FlowTable()
        for i in 0..<5000 {
            _ = flows.bases(source: .v4(IPv4Address(rawValue: UInt32(i))), destination: .v4(IPv4Address(rawValue: 1)), sourcePort: 1, destinationPort: 2,
                            sequence: UInt32(i), acknowledgment: UInt32(i) + 1, isSYN: false)
        }
        #expect(flows.count == 5000)
        for i in 0..<5000 {
            let b = flows.bases(source: .v4(IPv4Address(rawValue: UInt32(i))), destination: .v4(IPv4Address(rawValue: 1)), sourcePort: 1, destinationPort: 2,
                                sequence: 0, acknowledgment: 0, isSYN: false)
            #expect(b.sequence == UInt32(i))
        }
    }
}

