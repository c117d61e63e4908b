// A property test over random impairment schedules and random application behaviour: no crash, no byte
// lost or duplicated, and every connection ends in a legal state (CLOSED, deleted) within bounded steps.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("Random schedules (property)")
struct PropertyTests {
    @Test("random impairments, buffer sizes, options and read/write patterns", arguments: 100..<140)
    func randomSchedule(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &* 0x9E37)
        var config = StackConfiguration()
        config.secret = UInt64(seed)
        config.msl = .milliseconds(500)
        config.sack = Bool.random(using: &rng)
        config.timestamps = Bool.random(using: &rng)
        config.windowScaling = Bool.random(using: &rng)
        config.delayedAck = Bool.random(using: &rng)
        config.nagle = Bool.random(using: &rng)
        config.mss = [536, 1000, 1460].randomElement(using: &rng)!
        config.receiveBufferSize = [2000, 8192, 65535, 1 << 20].randomElement(using: &rng)!
        config.sendBufferSize = [3000, 65535].randomElement(using: &rng)!
        let p = Pair(seed: UInt64(seed), loss: Double.random(in: 0...0.15, using: &rng),
                     reorder: Double.random(in: 0...0.1, using: &rng), configuration: config)
        p.duplicateRate = Double.random(in: 0...0.05, using: &rng)
        p.corruptRate = Double.random(in: 0...0.03, using: &rng)
        let total = Int.random(in: 1...300_000, using: &rng)
        let payload = bytes(total, seed: UInt8(truncatingIfNeeded: seed))
        let listener = try p.b.listen(port: 7)
        let client = try p.a.connect(to: peerAddress, port: 7, at: p.now)
        var server: ConnectionID?
        var sent = 0
        var received: [UInt8] = []
        var clientClosed = false, serverDone = false
        var steps = 0
        while steps < 500_000 {
            steps += 1
            if server == nil { server = p.b.accept(listener) }
            if sent < total {
                let n = min(total - sent, Int.random(in: 1...5000, using: &rng))
                sent += payload[sent..<(sent + n)].withUnsafeBytes { (try? p.a.send(client, $0, at: p.now)) ?? 0 }
            } else if !clientClosed {
                if Bool.random(using: &rng) { try p.a.close(client, at: p.now) } else { try p.a.shutdown(client, at: p.now) }
                clientClosed = true
            }
            if let s = server, !serverDone, Int.random(in: 0..<3, using: &rng) > 0 {
                if let r = try p.b.receive(s, maxLength: Int.random(in: 1...10_000, using: &rng), at: p.now) {
                    received += r
                } else {
                    try p.b.close(s, at: p.now)
                    serverDone = true
                }
            }
            while p.a.pollEvent() != nil {}
            while p.b.pollEvent() != nil {}
            if !p.step() && (serverDone || sent == total) {
                if p.a.connectionIDs.isEmpty && p.b.connectionIDs.isEmpty { break }
                // Idle with nothing scheduled: only the application can move things on.
                if serverDone { break }
            }
        }
        #expect(steps < 500_000, "seed \(seed): bounded")
        #expect(received.count == total, "seed \(seed): \(received.count) of \(total) bytes")
        #expect(Bool(received == payload), "seed \(seed): bytes intact and in order")
        #expect(serverDone, "seed \(seed): end of stream seen")
        // Run out the clocks (TIME-WAIT, FIN-WAIT-2 limit): both stacks must end with no TCB.
        var guardSteps = 0
        while p.step() && guardSteps < 10_000 { guardSteps += 1 }
        for s in [p.a, p.b] {
            for id in s.connectionIDs {
                // A half-closed client that never reads may stay readable-but-closed; anything else is a leak.
                let st = s.state(of: id)
                #expect(st == .closed || st == nil, "seed \(seed): \(id) left in \(String(describing: st))")
            }
        }
    }
}
