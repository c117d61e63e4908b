import Foundation
import Testing
import ToyTCPDecode

/// The fast path for classic pcap files (`BlockPcapRecords`, reached through `PcapReader(path:)`) must
/// return exactly what libpcap returns (`PcapReader(stream:)` reads through libpcap alone): the same
/// records, times, lengths and bytes, the same error at the same record, across block boundaries.
@Suite("pcap files read in blocks equal libpcap's reading")
struct BlockPcapRecordsTests {
    struct Seen: Equatable {
        var records: [String] = []
        var error: String?
    }

    static func read(_ reader: PcapReader) -> Seen {
        var seen = Seen()
        do {
            while let r = try reader.next() {
                seen.records.append("\(r.number) \(r.timestamp.seconds).\(r.timestamp.nanoseconds) \(r.wireLength) \(Array(r.bytes).hashValue) \(r.bytes.count)")
            }
        } catch {
            seen.error = error.description
        }
        return seen
    }

    static func bothWays(_ file: RawPcapFile, filter: String? = nil) throws -> (block: Seen, libpcap: Seen) {
        let path = TestSupport.temporaryPath("block.pcap")
        defer { unlink(path) }
        try file.write(path)
        let fast = try PcapReader(path: path)
        guard let stream = fopen(path, "rb") else { throw PcapError(.open, path) }
        let slow = try PcapReader(stream: stream)
        if let filter {
            try fast.setFilter(filter)
            try slow.setFilter(filter)
        }
        return (read(fast), read(slow))
    }

    static func packets(_ count: Int, sizes: [Int]) -> RawPcapFile {
        var file = RawPcapFile(linkType: 101)
        for i in 0..<count {
            let size = sizes[i % sizes.count]
            let p = Craft.packet(seq: UInt32(i), ack: 1, flags: [.ack], payload: Array(repeating: UInt8(i & 0xFF), count: size))
            file.record(p, seconds: 1_700_000_000 + UInt32(i), fraction: UInt32(i * 7919 % 1_000_000))
        }
        return file
    }

    @Test("records of many sizes over several blocks (one of 60,000 bytes across a boundary), with and without a filter")
    func manyBlocks() throws {
        let file = Self.packets(4000, sizes: [0, 1, 100, 1448, 60_000, 537, 9000])
        let (block, libpcap) = try Self.bothWays(file)
        #expect(block.records.count == 4000)
        #expect(block == libpcap)
        let (fb, fl) = try Self.bothWays(file, filter: "greater 1000")
        #expect(fb.records.count > 1000 && fb.records.count < 4000)
        #expect(fb == fl)
    }

    @Test("nanosecond files keep their nanoseconds")
    func nanoseconds() throws {
        var file = RawPcapFile(linkType: 101, nanoseconds: true)
        file.record(Craft.packet(flags: [.syn]), seconds: 1_700_000_000, fraction: 123_456_789)
        let (block, libpcap) = try Self.bothWays(file)
        #expect(block == libpcap)
        #expect(block.records.first?.contains(".123456789 ") == true)
    }

    @Test("a record longer than the file's snapshot length, a truncated last record: libpcap's records and error")
    func handOver() throws {
        var small = RawPcapFile(linkType: 101, snapLength: 64)
        small.record(Craft.packet(flags: [.syn]))
        small.record(Craft.packet(flags: [.ack], payload: Array(repeating: 7, count: 200)))
        small.record(Craft.packet(flags: [.fin, .ack]))
        let (b1, l1) = try Self.bothWays(small)
        #expect(b1 == l1)
        var cut = Self.packets(50, sizes: [300])
        cut.bytes.removeLast(100)
        let (b2, l2) = try Self.bothWays(cut)
        #expect(b2.records.count == 49)
        #expect(b2.error != nil && b2.error?.contains("record 50") == true, "\(String(describing: b2.error))")
        #expect(b2 == l2)
    }
}
