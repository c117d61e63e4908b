// Test helpers: a stack under test at 10.0.0.1 and a scripted peer at 10.0.0.2, in virtual time.
// `deliver` injects a segment as raw bytes (checksummed, through the same parser a link uses);
// `expectTransmit` asserts exactly the next segment the stack sends; `expectNothing` that it sends none.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

let localAddress = IPv4Address(10, 0, 0, 1)
let peerAddress = IPv4Address(10, 0, 0, 2)

extension Instant {
    static func ms(_ v: Int64) -> Instant { .milliseconds(v) }
}

/// A test configuration: deterministic, small timeouts where tests need them, options off unless asked.
func testConfiguration(_ adjust: (inout StackConfiguration) -> Void = { _ in }) -> StackConfiguration {
    var c = StackConfiguration()
    c.timestamps = false
    c.sack = false
    c.windowScaling = false
    c.delayedAck = false
    c.receiveBufferSize = 65535
    c.msl = .seconds(1)
    c.minimumRTO = .milliseconds(200)
    c.secret = 42
    adjust(&c)
    return c
}

/// One stack and a scripted peer, with the clock in the test's hands.
final class Harness {
    let stack: Stack
    var now = Instant.zero
    var peerPort: UInt16 = 40000
    var localPort: UInt16 = 8080

    init(_ configuration: StackConfiguration = testConfiguration()) {
        stack = Stack(addresses: [localAddress], configuration: configuration)
    }

    func at(_ t: Instant) { now = t; stack.handleTimeout(at: t) }

    /// Delivers a segment from the peer (raw bytes through the parser, checksum computed).
    func deliver(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 65535,
                 options: [TCPOption] = [], payload: [UInt8] = [], at t: Instant? = nil,
                 sourcePort: UInt16? = nil, destinationPort: UInt16? = nil) {
        if let t { now = t }
        let seg = TCPSegment(sourcePort: sourcePort ?? peerPort, destinationPort: destinationPort ?? localPort,
                             sequenceNumber: SequenceNumber(seq), acknowledgmentNumber: SequenceNumber(ack),
                             flags: flags, window: window, options: options, payload: payload)
        let packet = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress), segment: seg)
        packet.bytes().withUnsafeBytes { stack.handle(packet: $0, at: now) }
    }

    /// The next segment the stack sends (parsed back from the bytes it would put on the wire).
    func transmit() -> TCPSegment? {
        var w = ByteWriter(capacity: 2048)
        guard stack.pollTransmit(into: &w, at: now) else { return nil }
        guard let p = try? IPv4Packet.parse(w.bytes, verifyChecksum: true) else {
            Issue.record("stack emitted an unparsable packet: \(w.bytes)")
            return nil
        }
        #expect(p.header.source == localAddress)
        return p.segment
    }

    /// Asserts the next segment's fields (those given) and returns it.
    @discardableResult
    func expectTransmit(_ flags: TCPFlags, seq: UInt32? = nil, ack: UInt32? = nil, window: UInt16? = nil,
                        length: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> TCPSegment? {
        guard let s = transmit() else {
            Issue.record("expected \(flags) segment, nothing sent", sourceLocation: sourceLocation)
            return nil
        }
        #expect(s.flags == flags, "flags", sourceLocation: sourceLocation)
        if let seq { #expect(s.sequenceNumber.rawValue == seq, "seq", sourceLocation: sourceLocation) }
        if let ack { #expect(s.acknowledgmentNumber.rawValue == ack, "ack", sourceLocation: sourceLocation) }
        if let window { #expect(s.window == window, "window", sourceLocation: sourceLocation) }
        if let length { #expect(s.payload.count == length, "length", sourceLocation: sourceLocation) }
        return s
    }

    func expectNothing(sourceLocation: SourceLocation = #_sourceLocation) {
        if let s = transmit() {
            Issue.record("expected nothing, got \(s.flags) seq \(s.sequenceNumber) ack \(s.acknowledgmentNumber) len \(s.payload.count)",
                         sourceLocation: sourceLocation)
        }
    }

    /// All events so far.
    func events() -> [StackEvent] {
        var out: [StackEvent] = []
        while let e = stack.pollEvent() { out.append(e) }
        return out
    }

    func state(_ id: ConnectionID) -> TCPState? { stack.snapshot(id)?.state }

    func send(_ id: ConnectionID, _ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { (try? stack.send(id, $0, at: now)) ?? -1 }
    }

    // MARK: Fixtures

    /// A connection accepted on `localPort` after the peer's handshake (peer ISN 1000, ours returned).
    func establishedPassive(peerOptions: [TCPOption] = [.mss(1460)], window: UInt16 = 65535) -> (ConnectionID, UInt32) {
        let l = try! stack.listen(port: localPort)
        deliver(.syn, seq: 1000, window: window, options: peerOptions)
        let synAck = expectTransmit([.syn, .ack], ack: 1001)!
        let iss = synAck.sequenceNumber.rawValue
        deliver(.ack, seq: 1001, ack: iss &+ 1, window: window)
        expectNothing()
        let id = stack.accept(l)!
        _ = events()
        return (id, iss)
    }

    /// An active connection to the peer (peer ISN 5000), ESTABLISHED.
    func establishedActive(peerOptions: [TCPOption] = [.mss(1460)], window: UInt16 = 65535) -> (ConnectionID, UInt32) {
        let id = try! stack.connect(to: peerAddress, port: peerPort, localPort: localPort, at: now)
        let syn = expectTransmit(.syn)!
        let iss = syn.sequenceNumber.rawValue
        deliver([.syn, .ack], seq: 5000, ack: iss &+ 1, window: window, options: peerOptions)
        expectTransmit(.ack, seq: iss &+ 1, ack: 5001)
        expectNothing()
        _ = events()
        return (id, iss)
    }
}

func bytes(_ n: Int, seed: UInt8 = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) } }
