// libFuzzer target for the ToyTCPWire parsers (issue 2). Built by scripts/fuzz.sh together with the
// sources of Sources/ToyTCPWire (one module, so internals are visible):
//   swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name ToyTCPWire \
//       Sources/ToyTCPWire/*.swift Fuzz/ParserFuzzer.swift -o .build/fuzz/parser-fuzzer
//
// The input is handed to every parser straight from libFuzzer's buffer (no copy), so AddressSanitizer
// sees any read past its end. Properties checked, each a trap (a libFuzzer crash report) when broken:
// - the view gate (`IPv4PacketView`) and the owned parse (`IPv4Packet.parse`) accept the same inputs
//   and throw the same `WireError`, with and without checksum verification;
// - an error's offset lies within the input (or at its end);
// - an accepted packet converts from its view to the owned value, and re-emits (`.keep` checksums)
//   exactly the bytes it was parsed from (up to its total length);
// - a packet whose checksums verify re-emits the same bytes when the checksums are recomputed;
// - the bare-segment parser (`TCPSegment.parse`, `TCPHeaderView` + options walk) agrees on the bytes
//   after a 20-byte header, and round-trips them.

@_cdecl("LLVMFuzzerTestOneInput")
public func parserFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    checkPacket(bytes, verify: false)
    checkPacket(bytes, verify: true)
    if size >= 20 {
        checkBareSegment(UnsafeRawBufferPointer(rebasing: bytes[20...]))
    }
    return 0
}

func fail(_ message: String) -> Never {
    fatalError("ParserFuzzer: \(message)")
}

func checkPacket(_ bytes: UnsafeRawBufferPointer, verify: Bool) {
    let owned = Result { () throws(WireError) in try IPv4Packet.parse(bytes, verifyChecksum: verify) }
    let view = Result { () throws(WireError) in try IPv4PacketView(validating: bytes, verifyChecksum: verify) }
    switch (owned, view) {
    case (.failure(let a), .failure(let b)):
        if a != b { fail("owned error \(a) but view error \(b)") }
        if a.offset < 0 || a.offset > bytes.count { fail("error offset outside the input: \(a)") }
        _ = a.description
    case (.success(let packet), .success(let v)):
        guard let converted = try? IPv4Packet(v), converted == packet else { fail("view converts to another packet") }
        let total = v.ip.totalLength
        if total > bytes.count || v.ip.isTruncated { fail("accepted a total length past the input") }
        let emitted = packet.bytes(tcpChecksum: .keep, ipChecksum: .keep)
        if !emitted.elementsEqual(bytes[..<total]) { fail("re-emit differs from the input") }
        if !v.tcp.payload.elementsEqual(packet.segment.payload) { fail("payloads differ") }
        var options = v.tcp.options
        var index = 0
        while let o = options.next() {
            guard let ownedOption = o.owned, index < packet.segment.options.count,
                  ownedOption == packet.segment.options[index] else { fail("option \(index) differs") }
            index += 1
        }
        if index != packet.segment.options.count { fail("option counts differ") }
        if !options.remainingBytes.elementsEqual(packet.segment.optionPadding) { fail("padding differs") }
        if verify && !sameUpToChecksumZero(packet.bytes(), emitted) { fail("verified packet emits different checksums") }
    case (.failure(let a), .success):
        fail("owned parse failed (\(a)) but the view accepted")
    case (.success, .failure(let b)):
        fail("owned parse accepted but the view failed (\(b))")
    }
}

/// Whether two emissions of one packet are equal, allowing a checksum field to read 0x0000 in one and
/// 0xFFFF in the other: both are ones'-complement zero and both verify (RFC 1624 §3), and a sender
/// computes 0x0000 where a packet may carry 0xFFFF.
func sameUpToChecksumZero(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    for i in a.indices where a[i] != b[i] {
        // Differences may only be whole checksum bytes that are 00 in one and ff in the other.
        guard (a[i] == 0 && b[i] == 0xFF) || (a[i] == 0xFF && b[i] == 0) else { return false }
    }
    return true
}

func checkBareSegment(_ tcp: UnsafeRawBufferPointer) {
    let owned = Result { () throws(WireError) in try TCPSegment.parse(tcp, baseOffset: 20) }
    let view = Result { () throws(WireError) -> TCPHeaderView in
        let v = try TCPHeaderView(validating: tcp, baseOffset: 20)
        if let e = v.options.firstError { throw e }
        return v
    }
    switch (owned, view) {
    case (.failure(let a), .failure(let b)):
        if a != b { fail("bare segment: owned error \(a) but view error \(b)") }
    case (.success(let s), .success(let v)):
        var w = ByteWriter()
        s.emit(into: &w, source: .any, destination: .any, checksum: .keep)
        if !w.bytes.elementsEqual(tcp) { fail("bare segment re-emit differs") }
        if v.headerLength != s.headerLength || v.flags != s.flags || v.sequenceNumber != s.sequenceNumber {
            fail("bare segment view disagrees")
        }
        // Both checksum routines agree with each other on any bytes.
        let valid = v.isChecksumValid(source: .loopback, destination: .loopback)
        let expected = v.expectedChecksum(source: .loopback, destination: .loopback)
        if valid != (expected == v.checksum || (expected == 0 && v.checksum == 0xFFFF)) || expected == 0xFFFF {
            fail("isChecksumValid and expectedChecksum disagree")
        }
    default:
        fail("bare segment: owned and view disagree on success")
    }
}
