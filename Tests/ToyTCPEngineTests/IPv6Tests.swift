// The engine over IPv6 (RFC 8200; RFC 9293 unchanged above it): a dual-stack stack at 10.0.0.1 and
// fd00::1, a scripted IPv6 peer at fd00::2. Packets go in as bytes through the same parser a link uses
// and come out as bytes, parsed back with the TCP checksum verified over the IPv6 pseudo-header.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

private let local6 = IPv6Address("fd00::1")!
private let peer6 = IPv6Address("fd00::2")!

/// A dual-stack stack and an IPv6 peer, in virtual time.
private final class IPv6Harness {
    let stack: Stack
    var now = Instant.zero
    let peerPort: UInt16 = 40000
    let localPort: UInt16 = 8080

    init(_ configuration: StackConfiguration = testConfiguration()) {
        stack = Stack(addresses: [.v4(localAddress), .v6(local6)], configuration: configuration)
    }

    func packet(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, options: [TCPOption] = [],
                payload: [UInt8] = [], source: IPv6Address = peer6, destination: IPv6Address = local6,
                trafficClass: UInt8 = 0) -> IPv6Packet {
        let seg = TCPSegment(sourcePort: peerPort, destinationPort: localPort,
                             sequenceNumber: SequenceNumber(seq), acknowledgmentNumber: SequenceNumber(ack),
                             flags: flags, window: 65535, options: options, payload: payload)
        return IPv6Packet(header: IPv6Header(source: source, destination: destination, trafficClass: trafficClass),
                          segment: seg)
    }

    func deliver(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, options: [TCPOption] = [], payload: [UInt8] = []) {
        deliver(bytes: packet(flags, seq: seq, ack: ack, options: options, payload: payload).bytes())
    }

    func deliver(bytes: [UInt8]) {
        bytes.withUnsafeBytes { stack.handle(packet: $0, at: now) }
    }

    /// The next packet the stack sends, parsed as IPv6 with its checksum verified.
    func transmit(sourceLocation: SourceLocation = #_sourceLocation) -> IPv6Packet? {
        var w = ByteWriter(capacity: 2048)
        guard stack.pollTransmit(into: &w, at: now) else { return nil }
        do {
            return try IPv6Packet.parse(w.bytes, verifyChecksum: true)
        } catch {
            Issue.record("not a valid IPv6/TCP packet (\(error)): \(w.bytes)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @discardableResult
    func expectTransmit(_ flags: TCPFlags, seq: UInt32? = nil, ack: UInt32? = nil, length: Int? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) -> TCPSegment? {
        guard let p = transmit(sourceLocation: sourceLocation) else {
            Issue.record("expected \(flags), nothing sent", sourceLocation: sourceLocation)
            return nil
        }
        #expect(p.header.source == local6 && p.header.destination == peer6, "addresses", sourceLocation: sourceLocation)
        let s = p.segment
        #expect(s.flags == flags, "flags", sourceLocation: sourceLocation)
        if let seq { #expect(s.sequenceNumber.rawValue == seq, "seq", sourceLocation: sourceLocation) }
        if let ack { #expect(s.acknowledgmentNumber.rawValue == ack, "ack", sourceLocation: sourceLocation) }
        if let length { #expect(s.payload.count == length, "length", sourceLocation: sourceLocation) }
        return s
    }

    func expectNothing(sourceLocation: SourceLocation = #_sourceLocation) {
        var w = ByteWriter(capacity: 2048)
        if stack.pollTransmit(into: &w, at: now) {
            Issue.record("expected nothing, got \(w.bytes)", sourceLocation: sourceLocation)
        }
    }

    /// Passive open from the peer (ISN 1000): the accepted connection and our ISS.
    func establishedPassive(listenOn address: IPAddress? = nil) throws -> (ConnectionID, UInt32) {
        let l = try stack.listen(address: address, port: localPort)
        deliver(.syn, seq: 1000, options: [.mss(1440)])
        let synAck = try #require(expectTransmit([.syn, .ack], ack: 1001))
        let iss = synAck.sequenceNumber.rawValue
        deliver(.ack, seq: 1001, ack: iss &+ 1)
        expectNothing()
        return (try #require(stack.accept(l)), iss)
    }
}

@Suite("Engine over IPv6 (RFC 8200, RFC 9293)")
struct IPv6EngineTests {
    @Test("RFC 9293 §3.5 over IPv6: passive open, data both ways, close; MSS 1440 on a 1500-byte link")
    func passiveOpenDataClose() throws {
        let h = IPv6Harness()
        let l = try h.stack.listen(port: h.localPort)
        h.deliver(.syn, seq: 1000, options: [.mss(1440)])
        let synAck = try #require(h.transmit())
        #expect(synAck.header.hopLimit == 64)
        #expect(synAck.header.extensionHeaders.isEmpty)
        #expect(synAck.segment.options.contains(.mss(1440)), "IPv6 MSS = 1500 - 40 - 20: \(synAck.segment.options)")
        let iss = synAck.segment.sequenceNumber.rawValue
        h.deliver(.ack, seq: 1001, ack: iss &+ 1)
        let id = try #require(h.stack.accept(l))
        let snapshot = try #require(h.stack.snapshot(id))
        #expect(snapshot.tuple.description == "[fd00::1]:8080 <-> [fd00::2]:40000")
        #expect(snapshot.state == .established)

        h.deliver([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: Array("hello".utf8))
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 1006)
        #expect(try h.stack.receive(id, maxLength: 100, at: h.now) == Array("hello".utf8))
        let sent = try [UInt8]("world".utf8).withUnsafeBytes { try h.stack.send(id, $0, at: h.now) }
        #expect(sent == 5)
        h.expectTransmit([.ack, .psh], seq: iss &+ 1, ack: 1006, length: 5)
        h.deliver(.ack, seq: 1006, ack: iss &+ 6)

        try h.stack.close(id, at: h.now)
        h.expectTransmit([.fin, .ack], seq: iss &+ 6, ack: 1006)
        h.deliver([.fin, .ack], seq: 1006, ack: iss &+ 7)
        h.expectTransmit(.ack, seq: iss &+ 7, ack: 1007)
        #expect(h.stack.state(of: id) == .timeWait)
    }

    @Test("RFC 9293 §3.5 over IPv6: active open picks the stack's IPv6 address; no MSS option means 1220 (RFC 9293 §3.7.1)")
    func activeOpen() throws {
        let h = IPv6Harness()
        let id = try h.stack.connect(to: .v6(peer6), port: h.peerPort, localPort: h.localPort, at: h.now)
        let syn = try #require(h.expectTransmit(.syn))
        #expect(syn.options.contains(.mss(1440)))
        let iss = syn.sequenceNumber.rawValue
        h.deliver([.syn, .ack], seq: 5000, ack: iss &+ 1)
        h.expectTransmit(.ack, seq: iss &+ 1, ack: 5001)
        let s = try #require(h.stack.snapshot(id))
        #expect(s.state == .established)
        #expect(s.mss == 1220, "peer sent no MSS option: IPv6 default 1220, not IPv4's 536")
    }

    @Test("an IPv6 remote from an IPv4 local address is refused (a connection never mixes families)")
    func mixedFamiliesRefused() {
        let h = IPv6Harness()
        #expect(throws: EngineError.addressNotAvailable) {
            try h.stack.connect(to: .v6(peer6), port: 80, from: .v4(localAddress), at: h.now)
        }
        let v4only = Stack(addresses: [localAddress], configuration: testConfiguration())
        #expect(throws: EngineError.addressNotAvailable) {
            try v4only.connect(to: .v6(peer6), port: 80, at: .zero)
        }
    }

    @Test("RFC 9293 §3.10.7.1 over IPv6: a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>")
    func resetForClosedPort() {
        let h = IPv6Harness()
        h.deliver(.syn, seq: 777)
        h.expectTransmit([.rst, .ack], seq: 0, ack: 778)
        h.expectNothing()
    }

    @Test("RFC 9293 §3.10.7.4 over IPv6: a RST in the window resets an established connection")
    func resetInEstablished() throws {
        let h = IPv6Harness()
        let (id, _) = try h.establishedPassive()
        h.deliver(.rst, seq: 1001)
        #expect(h.stack.state(of: id) == nil || h.stack.state(of: id) == .closed)
    }

    @Test("RFC 8200 §8.1: the checksum covers the IPv6 pseudo-header; a segment summed for another address is dropped")
    func checksumOverIPv6PseudoHeader() throws {
        let h = IPv6Harness()
        _ = try h.stack.listen(port: h.localPort)
        // Checksummed as if sent to fd00::3, then re-addressed to us: only the pseudo-header differs.
        var bytes = h.packet(.syn, seq: 1000, destination: IPv6Address("fd00::3")!).bytes()
        let ours = h.packet(.syn, seq: 1000).bytes()
        bytes.replaceSubrange(24..<40, with: ours[24..<40])
        h.deliver(bytes: bytes)
        #expect(h.stack.statistics.badChecksumDropped == 1)
        h.expectNothing()
        h.deliver(bytes: ours)
        h.expectTransmit([.syn, .ack], ack: 1001)
        #expect(h.stack.statistics.badChecksumDropped == 1)
    }

    @Test("RFC 8200 §4: a segment behind extension headers (hop-by-hop, destination options) is taken; a fragment is not")
    func extensionHeaders() throws {
        let h = IPv6Harness()
        _ = try h.stack.listen(port: h.localPort)
        var p = h.packet(.syn, seq: 1000)
        p.header = IPv6Header(source: peer6, destination: local6,
                              extensionHeaders: [.options(type: IPv6NextHeader.hopByHop),
                                                 .options(type: IPv6NextHeader.destinationOptions)])
        h.deliver(bytes: p.bytes())
        h.expectTransmit([.syn, .ack], ack: 1001)
        var f = h.packet(.syn, seq: 2000)
        f.header = IPv6Header(source: peer6, destination: local6,
                              extensionHeaders: [.fragment(offset: 0, moreFragments: true, identification: 1)])
        h.deliver(bytes: f.bytes())
        h.expectNothing()
        #expect(h.stack.statistics.malformedDropped == 1)
    }

    @Test("RFC 3168 §6.1.1 over IPv6: ECN is read from the traffic class")
    func ecnFromTrafficClass() throws {
        var c = testConfiguration()
        c.ecn = true
        let h = IPv6Harness(c)
        let (id, iss) = try h.establishedPassiveECN()
        _ = iss
        #expect(h.stack.snapshot(id) != nil)
    }

    @Test("RFC 3493 §5.3 listeners: no address takes both families, :: only IPv6, 0.0.0.0 only IPv4, each covers its family's addresses")
    func wildcardListeners() throws {
        let h = IPv6Harness()
        let v6Any = try h.stack.listen(address: .v6(.any), port: h.localPort)
        // An IPv4 SYN to the same port is not the :: listener's: RST.
        let v4syn = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress),
                               segment: h.packet(.syn, seq: 1).segment)
        h.deliver(bytes: v4syn.bytes())
        var w = ByteWriter(capacity: 256)
        #expect(h.stack.pollTransmit(into: &w, at: h.now))
        let rst = try IPv4Packet.parse(w.bytes, verifyChecksum: true)
        #expect(rst.segment.flags == [.rst, .ack])
        // 0.0.0.0 and :: on one port coexist; no address overlaps both.
        let v4Any = try h.stack.listen(address: .v4(.any), port: h.localPort)
        #expect(throws: EngineError.addressInUse) { try h.stack.listen(port: h.localPort) }
        #expect(throws: EngineError.addressInUse) { try h.stack.listen(address: .v6(.any), port: h.localPort) }
        h.deliver(bytes: v4syn.bytes())
        h.deliver(.syn, seq: 1000)
        #expect(h.stack.listenerSnapshot(v4Any)?.halfOpen == 1)
        #expect(h.stack.listenerSnapshot(v6Any)?.halfOpen == 1)
        // A wildcard covers its family's bound addresses (as the IPv4 rule: no SO_REUSEADDR here).
        #expect(throws: EngineError.addressInUse) { try h.stack.listen(address: .v6(local6), port: h.localPort) }
        _ = try h.stack.listen(address: .v6(local6), port: h.localPort + 1)
        #expect(throws: EngineError.addressNotAvailable) {
            try h.stack.listen(address: .v6(IPv6Address("fd00::9")!), port: 1)
        }
    }

    @Test("dual-stack listener: one listen(port:) accepts an IPv4 and an IPv6 connection")
    func dualStackListener() throws {
        let h = IPv6Harness()
        let (id6, _) = try h.establishedPassive()
        let v4syn = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress),
                               segment: h.packet(.syn, seq: 1, options: [.mss(1460)]).segment)
        h.deliver(bytes: v4syn.bytes())
        var w = ByteWriter(capacity: 256)
        #expect(h.stack.pollTransmit(into: &w, at: h.now))
        let synAck = try IPv4Packet.parse(w.bytes, verifyChecksum: true)
        #expect(synAck.segment.flags == [.syn, .ack])
        #expect(synAck.segment.options.contains(.mss(1460)), "IPv4 keeps the configured MSS")
        #expect(h.stack.snapshot(id6)?.tuple.isIPv6 == true)
    }

    @Test("RFC 6528 §3: the ISN hashes whole IPv6 addresses (peers differing only in the low bits get unrelated ISNs)")
    func isnOverIPv6() {
        let g = ISNGenerator(secret: 42)
        let a = FourTuple(localAddress: .v6(local6), localPort: 80, remoteAddress: .v6(IPv6Address("fd00::2")!), remotePort: 1)
        let b = FourTuple(localAddress: .v6(local6), localPort: 80, remoteAddress: .v6(IPv6Address("fd00:0:0:1::2")!), remotePort: 1)
        let c = FourTuple(localAddress: .v6(local6), localPort: 80, remoteAddress: .v6(IPv6Address("fd01::2")!), remotePort: 1)
        let isns = [a, b, c].map { g.isn(for: $0, at: .zero).rawValue }
        #expect(Set(isns).count == 3, "\(isns)")
    }

    @Test("RFC 6437 §3: each IPv6 flow gets its own pseudo-random 20-bit flow label, the same on every packet of it, both wire forms")
    func flowLabelPerConnection() throws {
        let h = IPv6Harness()
        let now = h.now
        // Two connections to the same peer from different local ports: two flows.
        let a = try h.stack.connect(to: .v6(peer6), port: 80, at: now)
        let b = try h.stack.connect(to: .v6(peer6), port: 80, at: now)
        var labels: [UInt16: Set<UInt32>] = [:]
        // The byte form (pollTransmit(into:)) for the SYNs …
        while let p = h.transmit() { labels[p.segment.sourcePort, default: []].insert(p.header.flowLabel) }
        // … and the value form after a retransmission timeout.
        h.now = now + .seconds(3)
        h.stack.handleTimeout(at: h.now)
        while case .v6(let p)? = h.stack.pollTransmitPacket(at: h.now) { labels[p.segment.sourcePort, default: []].insert(p.header.flowLabel) }
        let ports = [a, b].compactMap { h.stack.snapshot($0)?.tuple.localPort }
        #expect(ports.count == 2 && labels.count == 2, "\(labels)")
        let perFlow = ports.compactMap { labels[$0] }
        #expect(perFlow.allSatisfy { $0.count == 1 }, "one label per flow on every packet: \(labels)")
        let values = perFlow.compactMap(\.first)
        #expect(values.count == 2 && values[0] != values[1], "flows differ: \(values)")
        #expect(values.allSatisfy { $0 != 0 && $0 <= 0xF_FFFF }, "\(values)")
        // Keyed: the same flow under another secret gets another label (RFC 6437 §3: not predictable).
        let t = try #require(h.stack.snapshot(a)?.tuple)
        #expect(ISNGenerator(secret: 1).flowLabel(for: t) != ISNGenerator(secret: 2).flowLabel(for: t))
    }

    @Test("the value form: pollTransmitPacket gives an IPv6 packet; handle(IPv6Packet) takes one")
    func valueForm() throws {
        let h = IPv6Harness()
        _ = try h.stack.listen(port: h.localPort)
        h.stack.handle(h.packet(.syn, seq: 1000), at: h.now)
        guard case .v6(let p) = try #require(h.stack.pollTransmitPacket(at: h.now)) else {
            Issue.record("expected an IPv6 packet")
            return
        }
        #expect(p.header.source == local6 && p.segment.flags == [.syn, .ack])
        #expect(p.segment.acknowledgmentNumber.rawValue == 1001)
    }
}

extension IPv6Harness {
    /// Passive open with ECN negotiated (RFC 3168 §6.1.1), then a CE-marked data segment.
    fileprivate func establishedPassiveECN() throws -> (ConnectionID, UInt32) {
        let l = try stack.listen(port: localPort)
        deliver([.syn, .ece, .cwr], seq: 1000)
        let synAck = try #require(expectTransmit([.syn, .ack, .ece], ack: 1001))
        let iss = synAck.sequenceNumber.rawValue
        deliver(.ack, seq: 1001, ack: iss &+ 1)
        let id = try #require(stack.accept(l))
        // Data with CE (traffic class ECN bits 11): the ACK must carry ECE.
        deliver(bytes: packet([.ack, .psh], seq: 1001, ack: iss &+ 1, payload: [1, 2, 3], trafficClass: 0x03).bytes())
        expectTransmit([.ack, .ece], ack: 1004)
        return (id, iss)
    }
}
