// Two stacks joined by a tiny in-test network in virtual time, with seeded loss and reordering.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

/// Two stacks and the packets in flight between them.
final class Pair {
    let a: Stack
    let b: Stack
    var now = Instant.zero
    var rng: SplitMix64
    var lossRate: Double
    var reorderRate: Double
    var duplicateRate = 0.0
    var corruptRate = 0.0
    let delay: Duration = .milliseconds(5)
    /// Packets in flight: (arrival time, destination is b, bytes).
    var inFlight: [(Instant, Bool, [UInt8])] = []
    var delivered = 0
    var dropped = 0
    var trace = false

    init(seed: UInt64, loss: Double = 0, reorder: Double = 0, configuration: StackConfiguration) {
        rng = SplitMix64(seed: seed)
        lossRate = loss
        reorderRate = reorder
        a = Stack(addresses: [localAddress], configuration: configuration)
        var cb = configuration
        cb.secret = configuration.secret &+ 1
        b = Stack(addresses: [peerAddress], configuration: cb)
    }

    /// Moves packets out of both stacks into the network.
    func drain() {
        for (stack, toB) in [(a, true), (b, false)] {
            var w = ByteWriter(capacity: 2048)
            while stack.pollTransmit(into: &w, at: now) {
                if Double.random(in: 0..<1, using: &rng) < lossRate {
                    dropped += 1
                } else {
                    var at = now + delay
                    if Double.random(in: 0..<1, using: &rng) < reorderRate { at = at + .milliseconds(Int64.random(in: 1...20, using: &rng)) }
                    var bytes = w.bytes
                    if Double.random(in: 0..<1, using: &rng) < corruptRate {
                        let i = Int.random(in: 0..<bytes.count, using: &rng)
                        bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                    }
                    inFlight.append((at, toB, bytes))
                    if Double.random(in: 0..<1, using: &rng) < duplicateRate {
                        inFlight.append((at + .milliseconds(1), toB, w.bytes))
                    }
                    if trace, let p = try? IPv4Packet.parse(w.bytes) {
                        print(now, toB ? "a>b" : "b>a", p.segment.flags, p.segment.sequenceNumber, p.segment.acknowledgmentNumber, p.segment.window, p.segment.payload.count)
                    }
                }
                w = ByteWriter(reusing: w.bytes)
            }
        }
    }

    /// Advances to the next event (a packet arrival or a timer) and handles it. `false` when idle.
    func step() -> Bool {
        drain()
        var next: Instant? = inFlight.map { $0.0 }.min()
        for s in [a, b] { if let d = s.nextDeadline, next == nil || d < next! { next = d } }
        guard let t = next else { return false }
        if now < t { now = t }
        var i = 0
        while i < inFlight.count {
            if inFlight[i].0 <= now {
                let (_, toB, bytes) = inFlight.remove(at: i)
                bytes.withUnsafeBytes { (toB ? b : a).handle(packet: $0, at: now) }
                delivered += 1
            } else {
                i += 1
            }
        }
        a.handleTimeout(at: now)
        b.handleTimeout(at: now)
        drain()
        return true
    }
}

@Suite("Two stacks (RFC 9293 end to end)")
struct PairTests {
    /// Sends `total` bytes from a to b (and `total / 2` from b to a), checking every byte, under loss.
    func transfer(seed: UInt64, loss: Double, reorder: Double, duplicate: Double = 0, corrupt: Double = 0,
                  total: Int, maxSteps: Int = 2_000_000,
                  configure: (inout StackConfiguration) -> Void = { _ in }) throws {
        var config = StackConfiguration()
        config.secret = seed
        config.msl = .seconds(1)
        configure(&config)
        let p = Pair(seed: seed, loss: loss, reorder: reorder, configuration: config)
        p.trace = false  // set to print every packet of a failing seed
        p.duplicateRate = duplicate
        p.corruptRate = corrupt
        let listener = try p.b.listen(port: 9000)
        let client = try p.a.connect(to: peerAddress, port: 9000, at: p.now)
        var server: ConnectionID?
        let payloadA = bytes(total, seed: 1)
        let payloadB = bytes(total / 2, seed: 2)
        var sentA = 0, sentB = 0
        var gotAtB: [UInt8] = [], gotAtA: [UInt8] = []
        var closedA = false, closedB = false
        var eofA = false, eofB = false
        var steps = 0
        while steps < maxSteps {
            steps += 1
            if server == nil { server = p.b.accept(listener) }
            // Application work on both sides.
            if sentA < payloadA.count {
                sentA += payloadA[sentA...].withUnsafeBytes { (try? p.a.send(client, $0, at: p.now)) ?? 0 }
            } else if !closedA { try p.a.close(client, at: p.now); closedA = true }
            if let s = server {
                if sentB < payloadB.count {
                    sentB += payloadB[sentB...].withUnsafeBytes { (try? p.b.send(s, $0, at: p.now)) ?? 0 }
                } else if !closedB && eofB { try p.b.close(s, at: p.now); closedB = true }
                if !eofB, let r = try p.b.receive(s, maxLength: 1 << 20, at: p.now) { gotAtB += r } else if !eofB { eofB = true }
            }
            if !eofA, p.a.snapshot(client) != nil {
                if let r = try p.a.receive(client, maxLength: 1 << 20, at: p.now) { gotAtA += r } else { eofA = true }
            }
            while p.a.pollEvent() != nil {}
            while p.b.pollEvent() != nil {}
            if !p.step() { break }
        }
        #expect(steps < maxSteps, "bounded: \(steps) steps, now \(p.now), a \(p.a.connectionIDs.compactMap { p.a.snapshot($0) }), b \(p.b.connectionIDs.compactMap { p.b.snapshot($0) })")
        #expect(gotAtB.count == payloadA.count, "seed \(seed)")
        #expect(Bool(gotAtB == payloadA), "seed \(seed)")
        #expect(Bool(gotAtA == payloadB), "seed \(seed)")
        #expect(eofB, "seed \(seed)")
        #expect(p.a.connectionIDs.isEmpty && p.b.connectionIDs.isEmpty, "both ends reach CLOSED, seed \(seed)")
    }

    @Test("small lossless transfer")
    func small() throws {
        try transfer(seed: 1, loss: 0, reorder: 0, total: 20_000, maxSteps: 2000)
    }

    @Test("lossless bulk transfer both ways, then close")
    func lossless() throws {
        try transfer(seed: 1, loss: 0, reorder: 0, total: 2_000_000)
    }

    @Test("transfer with 5% loss and reordering arrives intact", arguments: [UInt64(7), 8, 9])
    func lossy(seed: UInt64) throws {
        try transfer(seed: seed, loss: 0.05, reorder: 0.05, total: 3_000_000)
    }

    @Test("10% loss, 5% duplication, reordering and corruption: every byte arrives once, in order",
          arguments: [UInt64(21), 22, 23, 24])
    func harsh(seed: UInt64) throws {
        try transfer(seed: seed, loss: 0.10, reorder: 0.05, duplicate: 0.05, corrupt: 0.02, total: 1_000_000)
    }

    @Test("small buffers and windows under loss (persist, SWS, window updates)", arguments: [UInt64(31), 32])
    func smallBuffers(seed: UInt64) throws {
        try transfer(seed: seed, loss: 0.05, reorder: 0.05, duplicate: 0.02, total: 200_000) {
            $0.receiveBufferSize = 3000; $0.sendBufferSize = 5000; $0.mss = 536
        }
    }

    @Test("delayed ACK off, Nagle off, no window scaling", arguments: [UInt64(41)])
    func optionsOff(seed: UInt64) throws {
        try transfer(seed: seed, loss: 0.05, reorder: 0.05, total: 300_000) {
            $0.delayedAck = false; $0.nagle = false; $0.windowScaling = false
        }
    }

    @Test("transfer with loss, no SACK or timestamps (NewReno only)", arguments: [UInt64(11), 12])
    func lossyNoSACK(seed: UInt64) throws {
        try transfer(seed: seed, loss: 0.03, reorder: 0.02, total: 500_000) { $0.sack = false; $0.timestamps = false }
    }
}
