/// A run of TCP segments that the stack emitted back to back for one flow, gathered into one GSO
/// frame for `PacketSocketLink`: the kernel cuts it at the device into exactly the segments the
/// engine made (Linux `tcp_gso_segment`/`inet_gso_segment`), so the engine's behaviour on the wire is
/// unchanged while the path behind `sendto` runs once per run instead of once per segment.
///
/// What the kernel's segmentation reproduces, and therefore what a run requires of its segments:
/// - the same IPv4 header (no options) apart from the total length, the checksum and the
///   identification, which must count up by one per segment (the kernel numbers the segments
///   `id, id+1, …` from the first; RFC 6864 §4.1 lets a sender choose IDs of atomic datagrams);
/// - the same TCP header and options apart from the sequence number, which must be contiguous
///   (each segment starts where the previous one ended, RFC 9293 §3.4), and PSH, which the kernel
///   keeps only on the last segment (so only the last may carry it);
/// - flags ACK, with PSH and ECE allowed (CWR is kept only on the first segment by the kernel and
///   SYN/FIN/RST/URG are never cut: such a segment goes out alone);
/// - every segment but the last carries exactly `segmentSize` payload bytes (the GSO size), the
///   last at most that much; the whole IPv4 packet fits in 65,535 bytes.
///
/// Layout of `frame`: `virtio_net_hdr` (10 bytes, packet(7) `PACKET_VNET_HDR`), the Ethernet header
/// (14), the first segment's IPv4 and TCP headers, then the payloads one after the other. While the run
/// has one segment, the bytes after the Ethernet header are that packet unchanged (`firstPacket`),
/// which the caller sends through the raw IP socket as before.
struct SegmentRun {
    static let virtioHeaderLength = 10
    static let ethernetHeaderLength = 14
    static let packetOffset = virtioHeaderLength + ethernetHeaderLength
    static let maximumPacketLength = 65_535

    private(set) var frame: [UInt8]
    /// Segments in the run (0: empty).
    private(set) var count = 0
    private var headerLength = 0
    private(set) var segmentSize = 0
    private var lastPayload = 0
    private var lastPushed = false
    private var nextSequence: UInt32 = 0
    private var nextIdentification: UInt16 = 0

    init() {
        frame = []
        frame.reserveCapacity(Self.packetOffset + Self.maximumPacketLength)
    }

    /// Whether a packet may start a run (see the rules above).
    static func isEligible(_ packet: UnsafeRawBufferPointer) -> Bool {
        headerLengthIfEligible(packet) != nil
    }

    /// IPv4 + TCP header length of a packet that may be part of a run, or nil.
    private static func headerLengthIfEligible(_ p: UnsafeRawBufferPointer) -> Int? {
        guard p.count >= 40, p[0] == 0x45, p[9] == 6,
              p[6] & 0x3F == 0, p[7] == 0,                            // not a fragment (DF allowed)
              Int(p[2]) << 8 | Int(p[3]) == p.count else { return nil }
        let tcpHeader = Int(p[32] >> 4) * 4
        // Flags: ACK required; PSH and ECE allowed; the reserved bits and AE (byte 32's low nibble) clear.
        guard tcpHeader >= 20, p[32] & 0x0F == 0, p[33] & 0x10 != 0, p[33] & ~UInt8(0x10 | 0x08 | 0x40) == 0,
              p[38] == 0, p[39] == 0 else { return nil }
        let headers = 20 + tcpHeader
        return headers < p.count ? headers : nil
    }

    /// Empties the run and starts it with `packet` (one `isEligible` accepts), framed with
    /// `ethernetHeader` (the next hop's).
    mutating func start(_ packet: UnsafeRawBufferPointer, ethernetHeader: [UInt8]) {
        frame.removeAll(keepingCapacity: true)
        frame.append(contentsOf: repeatElement(0, count: Self.virtioHeaderLength))
        frame.append(contentsOf: ethernetHeader)
        frame.append(contentsOf: packet)
        count = 1
        headerLength = Self.headerLengthIfEligible(packet) ?? 40
        segmentSize = packet.count - headerLength
        lastPayload = segmentSize
        lastPushed = packet[33] & 0x08 != 0
        nextSequence = Self.word(packet, 24) &+ UInt32(segmentSize)
        nextIdentification = Self.half(packet, 4) &+ 1
    }

    /// Adds `packet` to the run if it continues it (the rules above); false leaves the run as it was.
    mutating func append(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard count > 0, !lastPushed, lastPayload == segmentSize,
              packet.count > headerLength, packet.count - headerLength <= segmentSize,
              frame.count - Self.packetOffset + packet.count - headerLength <= Self.maximumPacketLength,
              Self.headerLengthIfEligible(packet) == headerLength,
              Self.word(packet, 24) == nextSequence, Self.half(packet, 4) == nextIdentification else { return false }
        let same = frame.withUnsafeBytes { all -> Bool in
            let first = UnsafeRawBufferPointer(rebasing: all[Self.packetOffset..<(Self.packetOffset + headerLength)])
            // IPv4: version/IHL and TOS, flags/fragment, TTL, protocol, addresses.
            // TCP: ports, acknowledgment, offset, flags but PSH, window, urgent pointer, options.
            return first[1] == packet[1] && Self.equal(first, packet, 6..<10) && Self.equal(first, packet, 12..<24)
                && Self.equal(first, packet, 28..<33) && first[33] | 0x08 == packet[33] | 0x08
                && Self.equal(first, packet, 34..<36) && Self.equal(first, packet, 38..<headerLength)
        }
        guard same else { return false }
        let payload = packet.count - headerLength
        frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[headerLength...]))
        count += 1
        lastPayload = payload
        lastPushed = packet[33] & 0x08 != 0
        nextSequence &+= UInt32(payload)
        nextIdentification &+= 1
        return true
    }

    /// The run's only packet, as the stack made it (valid while `count == 1`).
    func withFirstPacket<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try frame.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Self.packetOffset...])) }
    }

    /// Completes the frame of a run of two or more segments: the virtio header asking for TCPv4
    /// segmentation with `segmentSize` and a partial checksum, the super-packet's total length, IPv4
    /// checksum, PSH if the last segment had it, and in the TCP checksum field the pseudo-header sum
    /// over the whole TCP length (what the kernel's `CHECKSUM_PARTIAL` expects and adjusts per
    /// segment).
    mutating func finishFrame() {
        let ip = Self.packetOffset
        let tcp = ip + 20
        let packetLength = frame.count - ip
        let tcpLength = packetLength - 20
        // struct virtio_net_hdr, little-endian (vio_le on x86-64 and arm64): flags NEEDS_CSUM, gso_type
        // TCPV4, hdr_len, gso_size, csum_start, csum_offset (both from the Ethernet header's start).
        let fields: [UInt16] = [UInt16(Self.ethernetHeaderLength + headerLength), UInt16(segmentSize),
                                UInt16(Self.ethernetHeaderLength + 20), 16]
        frame[0] = 1
        frame[1] = 1
        for (i, value) in fields.enumerated() {
            frame[2 + 2 * i] = UInt8(truncatingIfNeeded: value)
            frame[3 + 2 * i] = UInt8(truncatingIfNeeded: value >> 8)
        }
        set16(UInt16(packetLength), at: ip + 2)
        if lastPushed { frame[tcp + 13] |= 0x08 }
        set16(0, at: ip + 10)
        var sum: UInt32 = 0
        for i in stride(from: ip, to: ip + 20, by: 2) { sum += UInt32(frame[i]) << 8 | UInt32(frame[i + 1]) }
        set16(~Self.fold(sum), at: ip + 10)
        var pseudo: UInt32 = 6 + UInt32(tcpLength)
        for i in stride(from: ip + 12, to: ip + 20, by: 2) { pseudo += UInt32(frame[i]) << 8 | UInt32(frame[i + 1]) }
        set16(Self.fold(pseudo), at: tcp + 16)
    }

    mutating func reset() { count = 0 }

    private mutating func set16(_ value: UInt16, at offset: Int) {
        frame[offset] = UInt8(truncatingIfNeeded: value >> 8)
        frame[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    private static func fold(_ sum: UInt32) -> UInt16 {
        var s = sum
        while s > 0xFFFF { s = (s & 0xFFFF) + (s >> 16) }
        return UInt16(s)
    }

    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        for i in range where a[i] != b[i] { return false }
        return true
    }

    private static func word(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(p[at]) << 24 | UInt32(p[at + 1]) << 16 | UInt32(p[at + 2]) << 8 | UInt32(p[at + 3])
    }

    private static func half(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(p[at]) << 8 | UInt16(p[at + 1])
    }
}
