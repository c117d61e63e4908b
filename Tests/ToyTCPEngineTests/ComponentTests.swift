// Unit tests of the engine's parts: reassembly, RTT estimation, SACK scoreboard, ISNs and ports, timers.
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("ReassemblyQueue (RFC 9293 §3.10.7.4 seventh, RFC 2018 §4)")
struct ReassemblyQueueTests {
    func insert(_ q: inout ReassemblyQueue, _ start: UInt32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { q.insert($0, at: SequenceNumber(start)) }
    }

    @Test("overlaps and duplicates are trimmed; the first copy of a byte wins")
    func overlap() {
        var q = ReassemblyQueue()
        insert(&q, 110, [10, 11, 12])
        insert(&q, 105, [5, 6, 7])
        insert(&q, 106, [60, 70, 80, 90, 100, 110, 120, 130])   // fills 108...109, 113
        #expect(q.count == 9)
        #expect(q.blocks.count == 1)
        #expect(q.blocks[0].start == 105)
        #expect(q.blocks[0].bytes == [5, 6, 7, 80, 90, 10, 11, 12, 130])
        insert(&q, 105, [1, 1, 1])
        #expect(q.count == 9)
        #expect(q.takeInOrder(at: 100) == nil)
        #expect(q.takeInOrder(at: 107) == [7, 80, 90, 10, 11, 12, 130])
        #expect(q.isEmpty && q.count == 0)
    }

    @Test("touching blocks merge; SACK blocks list the most recent first")
    func sackOrder() {
        var q = ReassemblyQueue()
        insert(&q, 200, [1])
        insert(&q, 300, [1])
        insert(&q, 400, [1])
        #expect(q.sackBlocks(limit: 4).array.map(\.left) == [400, 300, 200])
        insert(&q, 201, [2])
        #expect(q.sackBlocks(limit: 4).array == [SACKBlock(left: 200, right: 202), SACKBlock(left: 400, right: 401), SACKBlock(left: 300, right: 301)])
        #expect(q.sackBlocks(limit: 2).count == 2)
    }

    @Test("sequence numbers wrap around 2^32")
    func wrap() {
        var q = ReassemblyQueue()
        insert(&q, UInt32.max - 1, [1, 2, 3, 4])
        insert(&q, 2, [5])
        #expect(q.blocks.count == 1)
        #expect(q.takeInOrder(at: SequenceNumber(UInt32.max)) == [2, 3, 4, 5])
    }
}

@Suite("RTTEstimator (RFC 6298)")
struct RTTEstimatorTests {
    @Test("first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR (RFC 6298 (2.2))")
    func firstSample() {
        var e = RTTEstimator(initial: .seconds(1), minimum: .milliseconds(200), maximum: .seconds(60))
        #expect(e.rto == .seconds(1))
        e.addSample(.milliseconds(100))
        #expect(e.srtt == .milliseconds(100))
        #expect(e.rttvar == .milliseconds(50))
        #expect(e.rto == .milliseconds(300))
    }

    @Test("later samples smooth with α = 1/8 and β = 1/4 (RFC 6298 (2.3))")
    func smoothing() {
        var e = RTTEstimator(initial: .seconds(1), minimum: .milliseconds(1), maximum: .seconds(60))
        e.addSample(.milliseconds(100))
        e.addSample(.milliseconds(200))
        #expect(e.rttvar == .microseconds(62_500))      // 3/4·50 + 1/4·100
        #expect(e.srtt == .microseconds(112_500))       // 7/8·100 + 1/8·200
        #expect(e.rto == .microseconds(362_500))
    }

    @Test("backoff doubles up to the maximum; the minimum bounds the RTO (RFC 6298 (2.4), (2.5), (5.5))")
    func backoff() {
        var e = RTTEstimator(initial: .seconds(1), minimum: .milliseconds(200), maximum: .seconds(5))
        e.addSample(.milliseconds(1))
        #expect(e.rto == .milliseconds(200))
        e.backOff(); #expect(e.rto == .milliseconds(400))
        for _ in 0..<10 { e.backOff() }
        #expect(e.rto == .seconds(5))
        e.resetBackoff()
        #expect(e.rto == .milliseconds(200))
    }

    @Test("the estimator's arithmetic on attoseconds gives exactly what Duration's own operators give, odd nanoseconds and sub-nanosecond remainders included")
    func exactArithmetic() {
        var e = RTTEstimator(initial: .seconds(1), minimum: .nanoseconds(1), maximum: .seconds(60))
        // Reference: RFC 6298 (2.2), (2.3) written with Duration's generic operators.
        var srtt: Duration? = nil, rttvar: Duration? = nil
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = Duration.nanoseconds(Int64(x >> 44)) + .nanoseconds(Int64(x & 7))   // up to ~1 s, odd
            e.addSample(r)
            if let s = srtt, let v = rttvar {
                rttvar = (v * 3 + (s > r ? s - r : r - s)) / 4
                srtt = (s * 7 + r) / 8
            } else {
                srtt = r
                rttvar = r / 2
            }
            #expect(e.srtt == srtt && e.rttvar == rttvar)
            #expect(e.rto == max(min(srtt! + max(.milliseconds(1), rttvar! * 4), .seconds(60)), .nanoseconds(1)))
        }
        for d: Duration in [.nanoseconds(-1_500), .zero, .nanoseconds(7), .seconds(3) / 7, .seconds(-2) / 3,
                            .seconds(Int64.max / 1_000_000_000 + 1), .seconds(-(Int64.max / 1_000_000_000) - 1)] {
            let (seconds, attoseconds) = d.components
            let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let reference = overflow ? (seconds < 0 ? Int64.min : .max) : ns &+ attoseconds / 1_000_000_000
            #expect(d.nanosecondsClamped == reference, "\(d)")
        }
    }
}

@Suite("SACKScoreboard (RFC 6675 §4)")
struct SACKScoreboardTests {
    @Test("blocks merge, clip to (SND.UNA, SND.MAX], and drop as SND.UNA advances")
    func scoreboard() {
        var s = SACKScoreboard()
        s.add(SACKBlock(left: 200, right: 300), una: 100, max: 1000)
        s.add(SACKBlock(left: 300, right: 400), una: 100, max: 1000)
        s.add(SACKBlock(left: 50, right: 120), una: 100, max: 1000)
        s.add(SACKBlock(left: 900, right: 2000), una: 100, max: 1000)
        #expect(s.ranges == [SACKBlock(left: 100, right: 120), SACKBlock(left: 200, right: 400), SACKBlock(left: 900, right: 1000)])
        #expect(s.sackedBytes == 320)
        #expect(s.firstHole(from: 100, below: 1000)! == (120, 80))
        s.acknowledge(upTo: 250)
        #expect(s.ranges.first == SACKBlock(left: 250, right: 400))
        #expect(s.sackedBytes == 250)
    }

    @Test("IsLost: a byte is lost when more than (DupThresh − 1)·SMSS bytes above it are SACKed")
    func lostBoundary() {
        var s = SACKScoreboard()
        s.add(SACKBlock(left: 2000, right: 3000), una: 0, max: 10_000)
        #expect(s.lostBoundary(mss: 1000) == nil)
        s.add(SACKBlock(left: 4000, right: 5001), una: 0, max: 10_000)
        // 2001 bytes SACKed above 1999 → lost; above 2000 only 2000 bytes.
        #expect(s.lostBoundary(mss: 1000) == 1999)
    }
}

@Suite("ISNs and ephemeral ports (RFC 6528, RFC 6056)")
struct ISNTests {
    @Test("ISNs depend on the 4-tuple and the key, and advance with the 4 µs clock (RFC 6528 §3)")
    func isn() {
        let g = ISNGenerator(secret: 1)
        let t1 = FourTuple(localAddress: localAddress, localPort: 1, remoteAddress: peerAddress, remotePort: 2)
        let t2 = FourTuple(localAddress: localAddress, localPort: 1, remoteAddress: peerAddress, remotePort: 3)
        #expect(g.isn(for: t1, at: .zero) != g.isn(for: t2, at: .zero))
        #expect(g.isn(for: t1, at: .zero) != ISNGenerator(secret: 2).isn(for: t1, at: .zero))
        #expect(g.isn(for: t1, at: .milliseconds(4)) - g.isn(for: t1, at: .zero) == 1000)
    }

    @Test("ephemeral ports are spread by destination and never reuse a live 4-tuple (RFC 6056 §3.3.3)")
    func ephemeralPorts() throws {
        var c = testConfiguration()
        c.ephemeralPorts = 50000...50003
        let stack = Stack(addresses: [localAddress], configuration: c)
        var ports = Set<UInt16>()
        for _ in 0..<4 {
            let id = try stack.connect(to: peerAddress, port: 80, at: .zero)
            ports.insert(stack.snapshot(id)!.tuple.localPort)
        }
        #expect(ports == [50000, 50001, 50002, 50003])
        #expect(throws: EngineError.noEphemeralPort) { try stack.connect(to: peerAddress, port: 80, at: .zero) }
        // Another destination may reuse the same local ports.
        _ = try stack.connect(to: peerAddress, port: 81, at: .zero)
    }
}
