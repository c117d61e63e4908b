// Hostile input: random segments (flags, numbers near the windows, options, payloads) and random bytes
// at a stack in every state. Nothing may trap; malformed packets are counted and dropped.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Robustness against random input")
struct RobustnessTests {
    @Test("random segments near the connection's windows, with timers and user calls, never trap",
          arguments: [UInt64(1), 2, 3, 4])
    func randomSegments(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let h = Harness(testConfiguration {
            $0.sack = true; $0.timestamps = true; $0.windowScaling = true; $0.delayedAck = true
            $0.receiveBufferSize = 5000; $0.sendBufferSize = 5000
        })
        _ = try h.stack.listen(port: h.localPort)
        var ids: [ConnectionID] = []
        for step in 0..<8_000 {
            let live = h.stack.connectionIDs
            let anchor = live.randomElement(using: &rng).flatMap { h.stack.snapshot($0) }
            let base = anchor?.rcv.nxt.rawValue ?? UInt32.random(in: 0...UInt32.max, using: &rng)
            let ackBase = anchor?.snd.una.rawValue ?? UInt32.random(in: 0...UInt32.max, using: &rng)
            let flags = TCPFlags(rawValue: UInt16.random(in: 0...0x3F, using: &rng))
            var options: [TCPOption] = []
            if Bool.random(using: &rng) { options.append(.timestamps(value: UInt32.random(in: 0...5000, using: &rng), echoReply: 0)) }
            if Int.random(in: 0..<4, using: &rng) == 0 { options.append(.mss(UInt16.random(in: 0...2000, using: &rng))) }
            if Int.random(in: 0..<4, using: &rng) == 0 { options.append(.windowScale(UInt8.random(in: 0...20, using: &rng))) }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let l = ackBase &+ UInt32.random(in: 0...8000, using: &rng)
                options.append(.sack([SACKBlock(left: SequenceNumber(l), right: SequenceNumber(l &+ UInt32.random(in: 0...3000, using: &rng)))]))
            }
            if Int.random(in: 0..<5, using: &rng) == 0 { options.append(.sackPermitted) }
            let payload = bytes(Int.random(in: 0...1500, using: &rng) * (Bool.random(using: &rng) ? 1 : 0))
            h.deliver(flags, seq: base &+ UInt32.random(in: 0...6000, using: &rng) &- 1000,
                      ack: ackBase &+ UInt32.random(in: 0...6000, using: &rng) &- 3000,
                      window: UInt16.random(in: 0...UInt16.max, using: &rng), options: options, payload: payload,
                      at: h.now + .milliseconds(Int64.random(in: 0...50, using: &rng)),
                      sourcePort: UInt16.random(in: 40000...40003, using: &rng))
            if step % 7 == 0, let d = h.stack.nextDeadline { h.at(d) }
            if step % 11 == 0, let id = live.randomElement(using: &rng) {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: _ = h.send(id, bytes(Int.random(in: 1...3000, using: &rng)))
                case 1: _ = try? h.stack.receive(id, maxLength: 2000, at: h.now)
                case 2: try? h.stack.shutdown(id, at: h.now)
                case 3: try? h.stack.close(id, at: h.now)
                case 4: if Int.random(in: 0..<5, using: &rng) == 0 { h.stack.abort(id, at: h.now) }
                default: if let c = try? h.stack.connect(to: peerAddress, port: 40003, at: h.now) { ids.append(c) }
                }
            }
            while h.transmit() != nil {}
            _ = h.events()
        }
        // Random bytes, and truncations of a valid packet.
        let valid = IPv4Packet(header: IPv4Header(source: peerAddress, destination: localAddress),
                               segment: TCPSegment(sourcePort: 1, destinationPort: 8080, flags: .syn,
                                                   options: [.mss(1460), .sackPermitted])).bytes()
        for n in 0..<valid.count { valid.prefix(n).withUnsafeBytes { h.stack.handle(packet: $0, at: h.now) } }
        for _ in 0..<5000 {
            var junk = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                junk[Int.random(in: 0..<junk.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            junk.withUnsafeBytes { h.stack.handle(packet: $0, at: h.now) }
        }
        let stats = h.stack.statistics
        #expect(stats.malformedDropped + stats.badChecksumDropped >= valid.count - 1)
    }
}
