#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ToyTCPEngine

/// Why a pcap file could not be written.
public struct PcapTapError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var operation: String
    public var description: String {
        "cannot \(operation) pcap file '\(path)': \(String(cString: strerror(errno)))"
    }
}

/// Writes the packets a `SimulatedNetwork` carries to a pcap file that tcpdump, tshark and
/// `toytcp decode` read: one record per packet, stamped with virtual time.
///
/// By default it records packets as transmitted onto each link (like tcpdump on every interface);
/// pass `points` to record deliveries or drops instead, and `link` to record one link only.
public final class PcapTap: PacketTap {
    private let file: PcapFile
    private let points: (CapturePoint) -> Bool
    private let linkName: String?
    public private(set) var packetsWritten = 0

    public init(path: String, link: String? = nil,
                points: @escaping (CapturePoint) -> Bool = { $0 == .transmitted }) throws(PcapTapError) {
        file = try PcapFile(path: path)
        self.points = points
        linkName = link
    }

    public func capture(_ packet: CapturedPacket) {
        guard points(packet.point) else { return }
        if let linkName, packet.link?.name != linkName { return }
        file.write(packet.bytes, at: packet.time)
        packetsWritten += 1
    }

    public func flush() { file.flush() }

    public func close() throws(PcapTapError) { try file.close() }
}

/// The classic pcap format (tcpdump's `pcap-savefile(5)`) with nanosecond timestamps and link type
/// LINKTYPE_RAW (101: each record is an IPv4 packet, no link header). Buffered through stdio.
final class PcapFile {
    private var handle: UnsafeMutablePointer<FILE>?
    private let path: String

    init(path: String) throws(PcapTapError) {
        self.path = path
        guard let h = fopen(path, "wb") else {
            throw PcapTapError(path: path, errno: errno, operation: "create")
        }
        handle = h
        var header: [UInt8] = []
        header.reserveCapacity(24)
        Self.append32(0xA1B2_3C4D, to: &header)      // magic: nanosecond resolution
        Self.append16(2, to: &header)                // version 2.4
        Self.append16(4, to: &header)
        Self.append32(0, to: &header)                // thiszone
        Self.append32(0, to: &header)                // sigfigs
        Self.append32(262_144, to: &header)          // snaplen
        Self.append32(101, to: &header)              // LINKTYPE_RAW
        header.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, h) }
    }

    func write(_ bytes: [UInt8], at time: Instant) {
        guard let h = handle else { return }
        let ns = max(0, time.nanoseconds)
        var record: [UInt8] = []
        record.reserveCapacity(16)
        Self.append32(UInt32(truncatingIfNeeded: ns / 1_000_000_000), to: &record)
        Self.append32(UInt32(truncatingIfNeeded: ns % 1_000_000_000), to: &record)
        Self.append32(UInt32(truncatingIfNeeded: bytes.count), to: &record)
        Self.append32(UInt32(truncatingIfNeeded: bytes.count), to: &record)
        record.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, h) }
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, h) }
    }

    func flush() {
        if let h = handle { fflush(h) }
    }

    func close() throws(PcapTapError) {
        guard let h = handle else { return }
        handle = nil
        if fclose(h) != 0 { throw PcapTapError(path: path, errno: errno, operation: "close") }
    }

    deinit { if let h = handle { fclose(h) } }

    // Host (little-endian) byte order, as pcap readers detect from the magic number.
    private static func append32(_ v: UInt32, to a: inout [UInt8]) {
        a.append(UInt8(truncatingIfNeeded: v)); a.append(UInt8(truncatingIfNeeded: v >> 8))
        a.append(UInt8(truncatingIfNeeded: v >> 16)); a.append(UInt8(truncatingIfNeeded: v >> 24))
    }
    private static func append16(_ v: UInt16, to a: inout [UInt8]) {
        a.append(UInt8(truncatingIfNeeded: v)); a.append(UInt8(truncatingIfNeeded: v >> 8))
    }
}
