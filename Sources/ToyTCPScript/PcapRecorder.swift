import Foundation

/// `record FILE.pcap`: appends every observed packet to a pcap file (LINKTYPE_RAW IPv4).
final class PcapRecorder {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        // Global header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_RAW (101).
        var h: [UInt8] = []
        Self.le32(0xa1b2c3d4, &h); Self.le16(2, &h); Self.le16(4, &h)
        Self.le32(0, &h); Self.le32(0, &h); Self.le32(65535, &h); Self.le32(101, &h)
        buffer = h
    }

    func write(_ p: ObservedPacket) {
        let ns = p.time.nanoseconds
        Self.le32(UInt32(truncatingIfNeeded: ns / 1_000_000_000), &buffer)
        Self.le32(UInt32(truncatingIfNeeded: (ns % 1_000_000_000) / 1000), &buffer)
        Self.le32(UInt32(p.bytes.count), &buffer)
        Self.le32(UInt32(p.bytes.count), &buffer)
        buffer += p.bytes
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        try? handle.close()
    }

    private static func le32(_ v: UInt32, _ b: inout [UInt8]) {
        b += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
    }
    private static func le16(_ v: UInt16, _ b: inout [UInt8]) { b += [UInt8(v & 0xff), UInt8(v >> 8)] }
}
