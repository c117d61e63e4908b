import Testing
@testable import ToyTCPWire

/// Checks that every getter of the views gives what the owned parse holds, for one packet that parses.
/// Records an issue per disagreement (used by the fixture tests and the seeded fuzz test).
func expectViewsAgree(_ view: IPv4PacketView, _ packet: IPv4Packet, sourceLocation: SourceLocation = #_sourceLocation) {
    let ip = view.ip, h = packet.header
    #expect(ip.version == 4, sourceLocation: sourceLocation)
    #expect(ip.headerLength == h.headerLength, sourceLocation: sourceLocation)
    #expect(ip.ihl == UInt8(h.headerLength / 4), sourceLocation: sourceLocation)
    #expect(ip.tos == h.tos, sourceLocation: sourceLocation)
    #expect(ip.totalLength == packet.encodedLength, sourceLocation: sourceLocation)
    #expect(ip.identification == h.identification, sourceLocation: sourceLocation)
    #expect(ip.reservedFlag == h.reservedFlag, sourceLocation: sourceLocation)
    #expect(ip.dontFragment == h.dontFragment, sourceLocation: sourceLocation)
    #expect(ip.moreFragments == h.moreFragments, sourceLocation: sourceLocation)
    #expect(ip.fragmentOffset == h.fragmentOffset, sourceLocation: sourceLocation)
    #expect(ip.ttl == h.ttl, sourceLocation: sourceLocation)
    #expect(ip.protocol == h.protocol, sourceLocation: sourceLocation)
    #expect(ip.headerChecksum == h.headerChecksum, sourceLocation: sourceLocation)
    #expect(ip.source == h.source, sourceLocation: sourceLocation)
    #expect(ip.destination == h.destination, sourceLocation: sourceLocation)
    #expect(Array(ip.optionsBytes) == h.options, sourceLocation: sourceLocation)
    #expect(!ip.isTruncated, sourceLocation: sourceLocation)

    let t = view.tcp, s = packet.segment
    #expect(t.baseOffset == h.headerLength, sourceLocation: sourceLocation)
    #expect(t.sourcePort == s.sourcePort, sourceLocation: sourceLocation)
    #expect(t.destinationPort == s.destinationPort, sourceLocation: sourceLocation)
    #expect(t.sequenceNumber == s.sequenceNumber, sourceLocation: sourceLocation)
    #expect(t.acknowledgmentNumber == s.acknowledgmentNumber, sourceLocation: sourceLocation)
    #expect(t.dataOffset == s.dataOffset, sourceLocation: sourceLocation)
    #expect(t.headerLength == s.headerLength, sourceLocation: sourceLocation)
    #expect(t.reserved == s.reserved, sourceLocation: sourceLocation)
    #expect(t.flags == s.flags, sourceLocation: sourceLocation)
    #expect(t.window == s.window, sourceLocation: sourceLocation)
    #expect(t.checksum == s.checksum, sourceLocation: sourceLocation)
    #expect(t.urgentPointer == s.urgentPointer, sourceLocation: sourceLocation)
    #expect(Array(t.payload) == s.payload, sourceLocation: sourceLocation)
    #expect(t.sequenceLength == s.sequenceLength, sourceLocation: sourceLocation)
    var walked: [TCPOption] = []
    var it = t.options
    while let o = it.next() {
        if let owned = o.owned { walked.append(owned) } else { Issue.record("malformed option in a packet that parsed", sourceLocation: sourceLocation) }
    }
    #expect(walked == s.options, sourceLocation: sourceLocation)
    #expect(Array(it.remainingBytes) == s.optionPadding, sourceLocation: sourceLocation)
    // Valid exactly when the carried value is the computed one, or 0xFFFF for a computed 0x0000 (RFC 1624 §3).
    let expected = t.expectedChecksum(source: ip.source, destination: ip.destination)
    #expect(t.isChecksumValid(source: ip.source, destination: ip.destination)
            == (expected == s.checksum || (expected == 0 && s.checksum == 0xFFFF)),
            sourceLocation: sourceLocation)
    #expect(expected != 0xFFFF, sourceLocation: sourceLocation)
}

/// Parses `bytes` with the views and the owned parser, checks that both agree, and returns the owned packet.
func parseBoth(_ bytes: [UInt8], verifyChecksum: Bool = false,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> IPv4Packet {
    let packet = try IPv4Packet.parse(bytes, verifyChecksum: verifyChecksum)
    try bytes.withUnsafeBytes { buf in
        let view = try IPv4PacketView(validating: buf, verifyChecksum: verifyChecksum)
        expectViewsAgree(view, packet, sourceLocation: sourceLocation)
    }
    return packet
}

/// The error the owned parser throws for `bytes`, after checking that the view gate throws the same one.
func parseError(_ bytes: [UInt8], verifyChecksum: Bool = false,
                sourceLocation: SourceLocation = #_sourceLocation) -> WireError? {
    let owned: WireError?
    do throws(WireError) { _ = try IPv4Packet.parse(bytes, verifyChecksum: verifyChecksum); owned = nil } catch { owned = error }
    let viewed: WireError? = bytes.withUnsafeBytes { buf in
        do throws(WireError) { _ = try IPv4PacketView(validating: buf, verifyChecksum: verifyChecksum); return nil } catch { return error }
    }
    #expect(owned == viewed, "owned parse and view gate disagree", sourceLocation: sourceLocation)
    return owned
}
