import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// A valid IPv4/TCP packet with `payload` bytes, to push through a `LinkChannel`.
func samplePacket(payload: Int = 1000, sequence: UInt32 = 1) -> [UInt8] {
    let header = IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))
    let segment = TCPSegment(sourcePort: 40000, destinationPort: 9, sequenceNumber: SequenceNumber(rawValue: sequence),
                             acknowledgmentNumber: 1, flags: [.ack], window: 65535,
                             payload: (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    return IPv4Packet(header: header, segment: segment).bytes()
}

/// A copy a link will hand to the far node, as the tests look at it.
struct LinkDelivery {
    var time: Instant
    var bytes: [UInt8]
    /// Whether the link changed its bytes (one bit flipped).
    var corrupted: Bool
}

extension LinkChannel {
    /// Offers one packet at `now` to the link's stages; appends each copy the link delays until its
    /// arrival (the network would deliver it then).
    func transmit(_ bytes: [UInt8], at now: Instant, into deliveries: inout [LinkDelivery]) {
        carry(PacketRecord(time: now, direction: .outbound, bytes: bytes), at: now) { outcome in
            if case let .delayed(r, until, _) = outcome {
                deliveries.append(LinkDelivery(time: until, bytes: r.bytes, corrupted: r.bytes != bytes))
            }
        }
    }
}

/// Offers `count` packets one per `spacing` and returns every delivery.
func offer(_ impairments: LinkImpairments, count: Int, seed: UInt64, spacing: Duration = .microseconds(10),
           payload: Int = 1000) -> (deliveries: [(index: Int, delivery: LinkDelivery)], statistics: LinkStatistics) {
    let channel = LinkChannel(impairments: impairments, generator: SeededGenerator(seed: seed))
    var out: [(Int, LinkDelivery)] = []
    var scratch: [LinkDelivery] = []
    let packet = samplePacket(payload: payload)
    for i in 0..<count {
        scratch.removeAll()
        channel.transmit(packet, at: Instant.zero + spacing * i, into: &scratch)
        for d in scratch { out.append((i, d)) }
    }
    return (out, channel.statistics)
}

@Suite("Link impairments (seeded, netem-like)")
struct LinkImpairmentTests {
    @Test("SplitMix64 is deterministic per seed and differs across seeds")
    func generatorDeterminism() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let xa = (0..<100).map { _ in a.next() }
        let xb = (0..<100).map { _ in b.next() }
        let xc = (0..<100).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        // Known first output of SplitMix64 for seed 0 (the reference implementation's value).
        var z = SeededGenerator(seed: 0)
        #expect(z.next() == 0xE220_A839_7B1D_CDAF)
        var u = SeededGenerator(seed: 9)
        for _ in 0..<10_000 {
            let x = u.nextUnit()
            #expect(x >= 0 && x < 1)
        }
    }

    @Test("A perfect link delivers every packet once, in order, after exactly the delay")
    func perfectLinkWithDelay() {
        let (deliveries, stats) = offer(LinkImpairments(delay: .milliseconds(5)), count: 1000, seed: 1)
        #expect(deliveries.count == 1000)
        #expect(stats.packetsLost == 0 && stats.packetsDuplicated == 0 && stats.packetsCorrupted == 0)
        for (i, d) in deliveries {
            #expect(d.time == Instant.zero + .microseconds(10) * i + .milliseconds(5))
            #expect(d.bytes == samplePacket())
        }
    }

    @Test("Loss rate is met within tolerance, and the same seed loses the same packets", arguments: [0.01, 0.1, 0.3])
    func lossRate(rate: Double) {
        let n = 100_000
        let run1 = offer(LinkImpairments(lossRate: rate), count: n, seed: 7)
        let run2 = offer(LinkImpairments(lossRate: rate), count: n, seed: 7)
        let measured = Double(run1.statistics.packetsLost) / Double(n)
        // 5 standard deviations of a binomial proportion.
        let tolerance = 5 * (rate * (1 - rate) / Double(n)).squareRoot()
        #expect(abs(measured - rate) < tolerance, "measured \(measured), wanted \(rate) ± \(tolerance)")
        #expect(run1.deliveries.map(\.index) == run2.deliveries.map(\.index))
        #expect(run1.deliveries.count + run1.statistics.packetsLost == n)
        let run3 = offer(LinkImpairments(lossRate: rate), count: n, seed: 8)
        #expect(run1.deliveries.map(\.index) != run3.deliveries.map(\.index))
    }

    @Test("Duplication delivers identical second copies at the configured rate")
    func duplication() {
        let n = 50_000
        let (deliveries, stats) = offer(LinkImpairments(duplicationRate: 0.05), count: n, seed: 3)
        #expect(deliveries.count == n + stats.packetsDuplicated)
        let measured = Double(stats.packetsDuplicated) / Double(n)
        #expect(abs(measured - 0.05) < 0.005, "measured \(measured)")
        var perIndex = [Int](repeating: 0, count: n)
        for (i, d) in deliveries {
            perIndex[i] += 1
            #expect(d.bytes == samplePacket())
        }
        #expect(perIndex.allSatisfy { $0 == 1 || $0 == 2 })
        #expect(perIndex.filter { $0 == 2 }.count == stats.packetsDuplicated)
    }

    @Test("Reordering holds packets back so later ones overtake them; jitter alone keeps order")
    func reordering() {
        let n = 10_000
        let reordered = offer(LinkImpairments(delay: .milliseconds(1), jitter: .microseconds(500), reorderRate: 0.1,
                                              reorderDelay: .milliseconds(2)), count: n, seed: 5)
        let arrivalOrder = reordered.deliveries.sorted { $0.delivery.time < $1.delivery.time }.map(\.index)
        var inversions = 0
        for k in 1..<arrivalOrder.count where arrivalOrder[k] < arrivalOrder[k - 1] { inversions += 1 }
        #expect(inversions > 0)
        let measured = Double(reordered.statistics.packetsReordered) / Double(n)
        #expect(abs(measured - 0.1) < 0.015, "measured \(measured)")

        let jitterOnly = offer(LinkImpairments(delay: .milliseconds(1), jitter: .milliseconds(5)), count: n, seed: 5)
        var previous = Instant(nanoseconds: .min)
        for (_, d) in jitterOnly.deliveries {
            #expect(previous <= d.time)
            previous = d.time
        }
        // Jitter did spread the delays.
        let delays = jitterOnly.deliveries.map { $0.delivery.time - (Instant.zero + .microseconds(10) * $0.index) }
        #expect(delays.max()! > .milliseconds(2))
    }

    @Test("Corruption flips one bit of the TCP part, which the checksum always catches (RFC 1071)")
    func corruptionIsCaughtByChecksum() throws {
        let n = 20_000
        let (deliveries, stats) = offer(LinkImpairments(corruptionRate: 0.2), count: n, seed: 11, payload: 200)
        let original = samplePacket(payload: 200)
        #expect(stats.packetsCorrupted > 3_000 && stats.packetsCorrupted < 5_000)
        var corrupted = 0
        for (_, d) in deliveries {
            let differingBits = zip(d.bytes, original).map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
            if d.corrupted {
                corrupted += 1
                #expect(differingBits == 1)
                // The IPv4 header is left alone, so the packet still routes; the TCP check rejects it.
                #expect(Array(d.bytes[0..<20]) == Array(original[0..<20]))
                #expect(throws: WireError.self) { try IPv4Packet.parse(d.bytes, verifyChecksum: true) }
            } else {
                #expect(differingBits == 0)
                _ = try IPv4Packet.parse(d.bytes, verifyChecksum: true)
            }
        }
        #expect(corrupted == stats.packetsCorrupted)
    }

    @Test("Bandwidth limit: serialization delay spaces packets; a full queue tail-drops")
    func bandwidth() {
        // 1 Mbit/s, 1040-byte packets: 8.32 ms each. 100 packets offered at once, queue of 20 000 bytes.
        let impairments = LinkImpairments(bandwidth: 1_000_000, queueLimit: 20_000)
        let channel = LinkChannel(impairments: impairments, generator: SeededGenerator(seed: 1))
        var deliveries: [LinkDelivery] = []
        let packet = samplePacket(payload: 1000)
        #expect(packet.count == 1040)
        for _ in 0..<100 { channel.transmit(packet, at: .zero, into: &deliveries) }
        // The queue holds every byte not yet serialized (the packet on the wire included):
        // 19 × 1040 = 19 760 ≤ 20 000 < 20 × 1040, so 19 go and 81 are dropped.
        #expect(deliveries.count == 19)
        #expect(channel.statistics.packetsQueueDropped == 81)
        for (k, d) in deliveries.enumerated() {
            #expect(d.time.nanoseconds == Int64(k + 1) * 8_320_000)
        }
        // Once the queue drains, packets flow again at the line rate.
        var later: [LinkDelivery] = []
        channel.transmit(packet, at: .milliseconds(1000), into: &later)
        #expect(later.first?.time == .milliseconds(1000) + .microseconds(8320))
    }

    @Test("Out-of-range impairments are rejected with a message naming the field")
    func validation() {
        #expect(throws: SimulationError.invalidImpairment("loss must be between 0 and 1 (a probability), got 1.5")) {
            try LinkImpairments(lossRate: 1.5).validate()
        }
        #expect(throws: SimulationError.self) { try LinkImpairments(delay: .milliseconds(-1)).validate() }
        #expect(throws: SimulationError.self) { try LinkImpairments(bandwidth: 0).validate() }
        #expect(throws: SimulationError.self) { try LinkImpairments(duplicationRate: .nan).validate() }
        #expect(LinkImpairments(delay: .milliseconds(1), lossRate: 0.1, duplicationRate: 0.05).description
                == "delay 1ms loss 10% dup 5%")
        #expect(LinkImpairments.none.description == "perfect")
    }
}

@Suite("Simulation plumbing")
struct SimulationPlumbingTests {
    @Test("The event queue pops by time, and in insertion order at equal times")
    func eventQueueOrder() {
        var q = EventQueue<Int>()
        var g = SeededGenerator(seed: 1)
        var expected: [(Int64, Int)] = []
        for i in 0..<2000 {
            let t = Int64(g.below(50))
            q.insert(i, at: Instant(nanoseconds: t))
            expected.append((t, i))
        }
        expected.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var popped: [(Int64, Int)] = []
        while let (t, i) = q.popFirst() { popped.append((t.nanoseconds, i)) }
        #expect(popped.map(\.1) == expected.map(\.1))
    }

    @Test("The virtual clock only moves forward")
    func virtualClock() {
        var c = VirtualClock()
        c.advance(by: .seconds(60))
        #expect(c.now == .milliseconds(60_000))
        c.advance(to: .milliseconds(5))
        #expect(c.now == .milliseconds(60_000))
    }

    @Test("A router's TTL decrement keeps the IPv4 header checksum valid (RFC 1624, RFC 1812 §5.3.1)")
    func routerTTL() throws {
        for ttl: UInt8 in [2, 3, 64, 128, 255] {
            let header = IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 1, 1), ttl: ttl,
                                    identification: UInt16(ttl) &* 977)
            var bytes = IPv4Packet(header: header, segment: TCPSegment(sourcePort: 1, destinationPort: 2, flags: [.syn])).bytes()
            #expect(SimulatedRouter.decrementTTL(&bytes))
            #expect(bytes[8] == ttl - 1)
            var c = InternetChecksum()
            bytes.withUnsafeBytes { c.add(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
            #expect(c.value == 0, "header checksum wrong after TTL \(ttl) → \(ttl - 1)")
        }
        var last = IPv4Packet(header: IPv4Header(source: .loopback, destination: .loopback, ttl: 1),
                              segment: TCPSegment()).bytes()
        #expect(!SimulatedRouter.decrementTTL(&last))
    }

    @Test("The chargen pattern follows RFC 864: 72 printable characters per line, rotating, CR LF")
    func chargen() {
        var buffer: [UInt8] = []
        ChargenPattern.fill(&buffer, from: 0, count: 148)
        #expect(buffer[0] == 32 && buffer[71] == 32 + 71)
        #expect(buffer[72] == 13 && buffer[73] == 10)
        #expect(buffer[74] == 33)
        for k in 0..<148 { #expect(ChargenPattern.byte(at: k) == buffer[k]) }
        ChargenPattern.fill(&buffer, from: 1000, count: 500)
        for k in 0..<500 { #expect(ChargenPattern.byte(at: 1000 + k) == buffer[k]) }
    }
}

@Suite("Link impairments from text (the shell's words)")
struct LinkImpairmentParsingTests {
    @Test("Parsing reads what description prints", arguments: [
        LinkImpairments(delay: .milliseconds(5)),
        LinkImpairments(delay: .milliseconds(1), jitter: .microseconds(200), lossRate: 0.1, duplicationRate: 0.05,
                        reorderRate: 0.05, reorderDelay: .milliseconds(2), corruptionRate: 0.01),
        LinkImpairments(bandwidth: 10_000_000, queueLimit: 65_536),
        LinkImpairments.none,
    ])
    func roundTrip(value: LinkImpairments) throws {
        #expect(try LinkImpairments(parsing: value.description) == value)
    }

    @Test("Units, partial updates and errors")
    func unitsAndErrors() throws {
        let i = try LinkImpairments(parsing: "delay 1.5s jitter 200us loss 0.25 rate 100kbit queue 64KiB")
        #expect(i.delay == .milliseconds(1500) && i.jitter == .microseconds(200))
        #expect(i.lossRate == 0.25 && i.bandwidth == 100_000 && i.queueLimit == 65_536)
        var j = i
        try j.apply(parsing: "loss 5% rate off")
        #expect(j.lossRate == 0.05 && j.bandwidth == nil && j.delay == .milliseconds(1500))
        #expect(try LinkImpairments(parsing: "delay 7").delay == .milliseconds(7))
        #expect(throws: SimulationError.invalidImpairment("loss must be between 0 and 1 (a probability), got 1.5")) {
            try LinkImpairments(parsing: "loss 150%")
        }
        #expect(throws: SimulationError.invalidImpairment("'loss' needs a value (e.g. loss 10%)")) {
            try LinkImpairments(parsing: "loss")
        }
        #expect(throws: SimulationError.self) { try LinkImpairments(parsing: "delay soon") }
        #expect(throws: SimulationError.self) { try LinkImpairments(parsing: "wobble 3") }
        // A failed update leaves the value as it was.
        var k = i
        #expect(throws: SimulationError.self) { try k.apply(parsing: "loss 5% rate fast") }
        #expect(k == i)
    }

    @Test("A link's impairments are updated from text, per direction or both")
    func linkUpdate() throws {
        let net = SimulatedNetwork(seed: 1)
        let lab = try net.addLabTopology(impairments: LinkImpairments(delay: .milliseconds(5)))
        let link = try #require(net.link(named: "host1-router"))
        try link.updateImpairments(parsing: "loss 10%", from: lab.host1)
        #expect(link.impairments(from: lab.host1) == LinkImpairments(delay: .milliseconds(5), lossRate: 0.1))
        #expect(link.impairments(from: lab.router) == LinkImpairments(delay: .milliseconds(5)))
        try link.updateImpairments(parsing: "perfect rate 1Mbit/s")
        #expect(link.impairments(from: lab.router) == LinkImpairments(bandwidth: 1_000_000))
        #expect(throws: SimulationError.noLink("host2", "host1-router")) {
            try link.updateImpairments(parsing: "loss 1%", from: lab.host2)
        }
    }
}
