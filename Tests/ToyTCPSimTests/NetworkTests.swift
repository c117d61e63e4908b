import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

@Suite("Simulated network: topology, injection, observers, pcap, virtual time")
struct NetworkTests {
    @Test("A handshake through the router: TTL decremented once, observers see both directions")
    func handshakeThroughRouter() throws {
        let net = SimulatedNetwork(seed: 1)
        let lab = try net.addLabTopology()
        var seenAtHost2: [PacketRecord] = []
        lab.host2.observePackets { seenAtHost2.append($0) }
        var eventsAtHost1: [StackEvent] = []
        lab.host1.eventObserver = { event, _ in eventsAtHost1.append(event) }
        let listener = try lab.host2.stack.listen(port: 80)
        let c = try lab.host1.stack.connect(to: lab.host2.address, port: 80, at: net.now)
        let established = try net.runUntil(timeout: .seconds(5)) {
            lab.host1.stack.snapshot(c)?.state == .established
        }
        #expect(established)
        try net.run(for: .milliseconds(100))
        #expect(lab.host2.stack.accept(listener) != nil)
        let received = seenAtHost2.filter { $0.direction == .inbound }
        let sent = seenAtHost2.filter { $0.direction == .outbound }
        #expect(received.count >= 2 && sent.count >= 1)
        // SYN from host1 crossed the router: TTL one less than the sender's.
        let syn = try IPv4Packet.parse(try #require(received.first).bytes, verifyChecksum: true)
        #expect(syn.segment.flags.contains(.syn))
        #expect(syn.header.ttl == 63)
        #expect(eventsAtHost1.contains(.connection(c, .connected)))
        #expect(lab.router.packetsForwarded >= 3)
    }

    @Test("inject puts a crafted packet on the wire; a SYN to a closed port is answered with RST (RFC 9293 §3.10.7.1)")
    func injectToClosedPort() throws {
        let net = SimulatedNetwork(seed: 2)
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1)))
        var answers: [IPv4Packet] = []
        a.observePackets { obs in
            if obs.direction == .inbound, let p = try? IPv4Packet.parse(obs.bytes) { answers.append(p) }
        }
        let syn = IPv4Packet(header: IPv4Header(source: a.address, destination: b.address),
                             segment: TCPSegment(sourcePort: 4242, destinationPort: 81, sequenceNumber: 1000,
                                                 flags: [.syn], window: 1000))
        try a.inject(syn)
        try net.run(for: .milliseconds(10))
        let rst = try #require(answers.first)
        #expect(rst.segment.flags.contains(.rst))
        #expect(rst.segment.acknowledgmentNumber == SequenceNumber(rawValue: 1001))
        #expect(a.packetsInjected == 1)
        #expect(throws: SimulationError.notIPv4(length: 3)) { try a.inject([1, 2, 3]) }
    }

    @Test("Corrupted packets are counted and dropped by the receiving stack, never answered")
    func corruptionCounted() throws {
        let net = SimulatedNetwork(seed: 3)
        let (a, b) = try net.addPair()
        try net.links[0].setImpairments(LinkImpairments(corruptionRate: 1), from: a)
        for port: UInt16 in 1...20 {
            let syn = IPv4Packet(header: IPv4Header(source: a.address, destination: b.address),
                                 segment: TCPSegment(sourcePort: 5000, destinationPort: port, sequenceNumber: 7, flags: [.syn]))
            try a.inject(syn)
        }
        try net.run(for: .milliseconds(10))
        let s = b.stack.statistics
        #expect(s.badChecksumDropped + s.malformedDropped == 20)
        #expect(s.resetsSent == 0)
        #expect(net.links[0].statistics(from: a)?.packetsCorrupted == 20)
    }

    @Test("Virtual time: a connection to a black hole times out after its SYN retries, in no wall time")
    func synRetriesInVirtualTime() throws {
        let net = SimulatedNetwork(seed: 4)
        var config = StackConfiguration()
        config.synRetries = 3
        let (a, b) = try net.addPair(impairments: LinkImpairments(lossRate: 1), configuration: config)
        _ = b
        var failure: EngineError?
        a.eventObserver = { event, _ in if case let .connection(_, .failed(e)) = event { failure = e } }
        _ = try a.stack.connect(to: b.address, port: 80, at: net.now)
        let failed = try net.runUntil(timeout: .seconds(600)) { failure != nil }
        #expect(failed)
        #expect(failure == .timedOut)
        // RFC 6298 (2.1), (5.5): 1 s initial RTO doubled each retry: 1 + 2 + 4 + 8 = 15 s.
        #expect(net.now >= .milliseconds(7_000) && net.now <= .milliseconds(31_000), "timed out at \(net.now)")
        #expect(net.links[0].statistics(from: a)?.packetsOffered == 4)
    }

    @Test("A pcap tap writes a readable capture stamped with virtual time")
    func pcapTap() throws {
        let path = NSTemporaryDirectory() + "toytcp-sim-pcap-\(UInt32.random(in: 0...UInt32.max)).pcap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let net = SimulatedNetwork(seed: 5)
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(10)))
        let tap = try PcapTap(path: path)
        net.addTap(tap)
        try b.start(PeerApp.echo())
        try a.start(PeerApp(.source(bytes: 5000), connectingTo: b.address, port: 7))
        try net.run(for: .seconds(5))
        try tap.close()
        let data = try #require(FileManager.default.contents(atPath: path))
        let bytes = [UInt8](data)
        #expect(bytes.count > 24)
        #expect(Array(bytes[0..<4]) == [0x4D, 0x3C, 0xB2, 0xA1])   // nanosecond pcap, little-endian
        #expect(bytes[20] == 101)                                     // LINKTYPE_RAW
        var offset = 24, records = 0
        var lastTime: Int64 = -1
        while offset + 16 <= bytes.count {
            func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24 }
            let t = Int64(u32(offset)) * 1_000_000_000 + Int64(u32(offset + 4))
            let length = Int(u32(offset + 8))
            #expect(t >= lastTime)
            lastTime = t
            let packet = try IPv4Packet.parse(Array(bytes[(offset + 16)..<(offset + 16 + length)]), verifyChecksum: true)
            #expect(packet.header.protocol == 6)
            offset += 16 + length
            records += 1
        }
        #expect(offset == bytes.count)
        #expect(records == tap.packetsWritten && records > 10)
        // The first SYN went out at virtual time 0, its SYN-ACK after one 10 ms delay.
        #expect(lastTime > 10_000_000)
    }

    @Test("Topology errors are reported, and unknown destinations are counted as dropped")
    func topologyErrors() throws {
        let net = SimulatedNetwork(seed: 6)
        let lab = try net.addLabTopology()
        #expect(throws: SimulationError.duplicateAddress(.v4(IPv4Address(10, 0, 0, 1)))) {
            try net.addHost("other", address: IPv4Address(10, 0, 0, 1))
        }
        #expect(throws: SimulationError.duplicateName("router")) {
            try net.addRouter("router", addresses: [IPv4Address(10, 9, 9, 9)])
        }
        // host1 sends to an address nobody owns: out its default route, then dropped at the router.
        let stray = IPv4Packet(header: IPv4Header(source: lab.host1.address, destination: IPv4Address(10, 0, 7, 7)),
                               segment: TCPSegment(sourcePort: 1, destinationPort: 2, flags: [.syn]))
        try lab.host1.inject(stray)
        try net.run(for: .milliseconds(1))
        #expect(net.statistics.noRouteDrops == 1)
        #expect(net.host(for: IPv4Address(10, 0, 1, 1)) === lab.host2)
    }

    @Test("Same seed, same run: two identical lossy transfers take the same steps and time")
    func determinism() throws {
        func run() throws -> (Instant, Int, LinkStatistics?) {
            let net = SimulatedNetwork(seed: 99)
            let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1), jitter: .microseconds(300),
                                                                      lossRate: 0.1, duplicationRate: 0.05, reorderRate: 0.05))
            try b.start(PeerApp.discard())
            let client = PeerApp(.source(bytes: 100_000), connectingTo: b.address, port: 9)
            try a.start(client)
            try net.runUntil(timeout: .seconds(600)) { client.activeConnections.isEmpty }
            return (net.now, net.statistics.steps, net.links[0].statistics(from: a))
        }
        let first = try run(), second = try run()
        #expect(first.0 == second.0 && first.1 == second.1 && first.2 == second.2)
    }

    @Test("Run methods honour their step bound")
    func stepBound() throws {
        let net = SimulatedNetwork(seed: 7)
        let (a, b) = try net.addPair()
        try b.start(PeerApp.discard())
        try a.start(PeerApp(.source(bytes: 10_000_000), connectingTo: b.address, port: 9))
        #expect(throws: SimulationError.self) { try net.run(for: .seconds(100), maxSteps: 50) }
    }
}

@Suite("Simulated network: bandwidth, schedules, failure artefacts")
struct NetworkBehaviourTests {
    @Test("A 10 Mbit/s bottleneck: the transfer takes at least the serialization time and fills most of the pipe")
    func bandwidthBottleneck() throws {
        let net = SimulatedNetwork(seed: 31)
        let lab = try net.addLabTopology(impairments: LinkImpairments(delay: .milliseconds(5)))
        // The router's link towards host2 is the bottleneck, with a 64 KiB tail-drop queue.
        let bottleneck = try #require(net.link(between: lab.router, and: lab.host2))
        try bottleneck.setImpairments(LinkImpairments(delay: .milliseconds(5), bandwidth: 10_000_000, queueLimit: 65_536),
                                      from: lab.router)
        let server = PeerApp.discard(port: 9)
        try lab.host2.start(server)
        let total = 2_000_000
        let client = PeerApp(.source(bytes: total), connectingTo: lab.host2.address, port: 9)
        try lab.host1.start(client)
        let done = try net.runUntil(timeout: .seconds(120)) { server.totalBytesReceived == total }
        #expect(done)
        let seconds = Double(net.now.nanoseconds) / 1e9
        // Payload alone needs 1.6 s at 10 Mbit/s; headers add ~3%.
        #expect(seconds >= 1.6, "finished at \(net.now): faster than the link")
        #expect(seconds <= 4.0, "finished at \(net.now): less than 40% of the link used")
        let stats = try #require(bottleneck.statistics(from: lab.router))
        #expect(stats.bytesDelivered >= total)
    }

    @Test("Scheduled actions run at their virtual time; a blackout stalls a transfer that resumes after it")
    func scheduledBlackout() throws {
        let net = SimulatedNetwork(seed: 32)
        let normal = LinkImpairments(delay: .milliseconds(1), bandwidth: 10_000_000)
        let (a, b) = try net.addPair(impairments: normal)
        let link = net.links[0]
        var ranAt: [Instant] = []
        net.schedule(at: .milliseconds(50)) { n in
            ranAt.append(n.now)
            try? link.setImpairments(LinkImpairments(lossRate: 1))
        }
        net.schedule(at: .milliseconds(3050)) { n in
            ranAt.append(n.now)
            try? link.setImpairments(normal)
        }
        let server = PeerApp.discard(port: 9)
        try b.start(server)
        let client = PeerApp(.source(bytes: 3_000_000), connectingTo: b.address, port: 9)
        try a.start(client)
        try net.run(until: .milliseconds(3000))
        // 50 ms at 10 Mbit/s sends ~62 kB; what was already queued on the link (at most the 256 KiB
        // queue) still arrives, as on a real link whose far side goes dark.
        let duringBlackout = server.totalBytesReceived
        #expect(duringBlackout < 62_500 + 262_144)
        let done = try net.runUntil(timeout: .seconds(120)) { server.totalBytesReceived == 3_000_000 }
        #expect(done)
        #expect(ranAt == [.milliseconds(50), .milliseconds(3050)])
        #expect((link.statistics(from: a)?.packetsLost ?? 0) > 0)
    }

    @Test("A failed run writes a readable pcap of its last packets")
    func failureArtefact() throws {
        // A link that loses everything: the transfer cannot finish, so the harness writes its pcap.
        var scenario = DuplexScenario(name: "artefact", seed: 33, bytesAToB: 1000, bytesBToA: 0,
                                      impairments: LinkImpairments(lossRate: 1))
        scenario.configuration.synRetries = 2
        scenario.virtualTimeout = .seconds(60)
        var outcome = runDuplex(scenario)
        #expect(!outcome.a.isComplete)
        #expect(outcome.a.failure == .timedOut)
        writeFailurePcap(&outcome, name: "artefact")
        let path = try #require(outcome.pcapPath)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        // Header + the SYN and its two retransmissions (20-byte IP + TCP with options each).
        #expect(bytes.count > 24 + 3 * (16 + 40))
        #expect(outcome.recent.packets.count == 3)
        for (_, packet) in outcome.recent.packets {
            let p = try IPv4Packet.parse(packet, verifyChecksum: true)
            #expect(p.segment.flags == [.syn])
        }
    }

    @Test("A raw host (deliversToStack off) sees the answers to its crafted SYN, and its stack sends no RST")
    func rawHostCraftsHandshake() throws {
        let net = SimulatedNetwork(seed: 34)
        let (raw, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1)))
        raw.deliversToStack = false
        var seen: [IPv4Packet] = []
        raw.observePackets { o in
            if o.direction == .inbound, let p = try? IPv4Packet.parse(o.bytes, verifyChecksum: true) { seen.append(p) }
        }
        _ = try b.stack.listen(port: 80)
        let syn = IPv4Packet(header: IPv4Header(source: raw.address, destination: b.address),
                             segment: TCPSegment(sourcePort: 5555, destinationPort: 80, sequenceNumber: 100,
                                                 flags: [.syn], window: 8192, options: [.mss(1000)]))
        try raw.inject(syn)
        try net.run(for: .milliseconds(10))
        let synAck = try #require(seen.first)
        #expect(synAck.segment.flags == [.syn, .ack])
        #expect(synAck.segment.acknowledgmentNumber == SequenceNumber(rawValue: 101))
        // Complete the handshake by hand.
        let ack = IPv4Packet(header: IPv4Header(source: raw.address, destination: b.address),
                             segment: TCPSegment(sourcePort: 5555, destinationPort: 80, sequenceNumber: 101,
                                                 acknowledgmentNumber: synAck.segment.sequenceNumber + 1,
                                                 flags: [.ack], window: 8192))
        try raw.inject(ack)
        try net.run(for: .milliseconds(10))
        #expect(b.stack.connectionIDs.contains { b.stack.state(of: $0) == .established })
        #expect(raw.stack.statistics.resetsSent == 0 && raw.stack.statistics.packetsReceived == 0)
        #expect(raw.packetsInjected == 2)
    }

    @Test("After a closed connection and its TIME-WAIT, the network goes idle; the summary names everything")
    func idleAndSummary() throws {
        let net = SimulatedNetwork(seed: 35)
        var config = StackConfiguration()
        config.msl = .seconds(2)
        let lab = try net.addLabTopology(impairments: LinkImpairments(delay: .milliseconds(2), lossRate: 0.02),
                                         configuration: config)
        try lab.host2.start(PeerApp.echo())
        let client = PeerApp(.source(bytes: 10_000), connectingTo: lab.host2.address, port: 7)
        try lab.host1.start(client)
        let idle = try net.runUntilIdle(timeout: .seconds(300))
        #expect(idle, "still pending at \(net.now): \(net.packetsInFlight) in flight")
        #expect(lab.host1.stack.connectionIDs.isEmpty && lab.host2.stack.connectionIDs.isEmpty)
        #expect(client.connections.first?.bytesReceived == 10_000)
        let summary = net.summary
        for word in ["host1 (10.0.0.1, fd00:0:0:1::1)", "router (10.0.0.254, 10.0.1.254, fd00:0:0:1::fe, fd00:0:0:2::fe)",
                     "host2 (10.0.1.1, fd00:0:0:2::1)",
                     "link host1-router", "link router-host2", "loss 2%", "offered"] {
            #expect(summary.contains(word), "summary lacks '\(word)':\n\(summary)")
        }
    }
}

/// A tap stage that keeps what it sees, and what the network told it was dropped.
final class RecordingTap: PacketStage {
    var seen: [(time: Instant, record: PacketRecord)] = []
    var dropped: [PacketRecord] = []
    func process(_ packet: PacketRecord, at now: Instant) -> PacketVerdict {
        seen.append((now, packet))
        return .pass
    }
    func dropped(_ packet: PacketRecord, at now: Instant) { dropped.append(packet) }
}

@Suite("One packet path on the simulated links: impairments and taps are stages")
struct LinkStageTests {
    @Test("A link's impairments are verdicts: drop (loss), duplicate, replace (corruption), delay until the arrival")
    func impairmentVerdicts() {
        let packet = samplePacket(payload: 100)
        func verdicts(_ i: LinkImpairments) -> [String] {
            let channel = LinkChannel(impairments: i, generator: SeededGenerator(seed: 1))
            var out: [String] = []
            channel.carry(PacketRecord(time: .milliseconds(1), direction: .outbound, bytes: packet), at: .milliseconds(1)) { o in
                switch o {
                case .arrived: out.append("arrived")
                case let .delayed(r, until, next):
                    out.append("delay \(until) next \(next) \(r.fate)\(r.bytes == packet ? "" : " replaced")")
                case .dropped(let r): out.append("dropped \(r.fate)")
                }
            }
            return out
        }
        #expect(verdicts(LinkImpairments(delay: .milliseconds(5))) == ["delay \(Instant.milliseconds(6)) next 5 passed"])
        #expect(verdicts(LinkImpairments(lossRate: 1)) == ["dropped lost"])
        #expect(verdicts(LinkImpairments(duplicationRate: 1)).count == 2)
        #expect(verdicts(LinkImpairments(duplicationRate: 1)).last?.contains("duplicate") == true)
        #expect(verdicts(LinkImpairments(corruptionRate: 1)).first?.hasSuffix("replaced") == true)
    }

    @Test("Taps sit on the links' path: as transmitted before the impairments, as delivered after the delay; drops reach them as lost")
    func tapsAreStages() throws {
        let net = SimulatedNetwork(seed: 9)
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(10)))
        let sent = RecordingTap(), arrived = RecordingTap()
        net.addTap(sent)
        net.addTap(arrived, at: .delivered)
        try net.links[0].setImpairments(LinkImpairments(delay: .milliseconds(10), lossRate: 1), from: b)
        _ = try a.stack.connect(to: b.address, port: 80, at: net.now)
        try net.run(for: .milliseconds(500))
        // a's SYN crossed (10 ms); b's answer (a RST: nothing listens) was lost on b's direction.
        #expect(sent.seen.count == 2)
        #expect(sent.seen.first?.time == .zero)
        #expect(arrived.seen.count == 1)
        #expect(arrived.seen.first?.time == .milliseconds(10))
        #expect(arrived.seen.first?.record.bytes == sent.seen.first?.record.bytes)
        #expect(sent.dropped.count == 1)
        #expect(sent.dropped.first?.fate == .lost)
        #expect(sent.dropped.first?.bytes == sent.seen.last?.record.bytes)
        net.removeTap(sent)
        _ = try a.stack.connect(to: b.address, port: 81, at: net.now)
        try net.run(for: .milliseconds(100))
        #expect(sent.seen.count == 2)
        #expect(arrived.seen.count == 2)
    }
}

/// The simulated network dual-stack, as the lab (scripts/lab-up.sh): IPv6 beside IPv4 on every node.
@Suite("Simulated network over IPv6 (RFC 8200 §3)")
struct SimulatedIPv6Tests {
    @Test("RFC 8200 §3: the router forwards IPv6 and decrements the hop limit; an echo round trip over IPv6")
    func echoThroughRouter() throws {
        let net = SimulatedNetwork(seed: 3)
        let lab = try net.addLabTopology(impairments: LinkImpairments(delay: .milliseconds(1)))
        var hopLimits: [UInt8] = []
        lab.host2.observePackets { r in
            if r.direction == .inbound, r.bytes.first.map({ $0 >> 4 }) == 6 { hopLimits.append(r.bytes[7]) }
        }
        try lab.host2.start(PeerApp.echo())
        let host2 = try #require(lab.host2.ipv6Address)
        #expect(host2.description == "fd00:0:0:2::1")
        let id = try lab.host1.stack.connect(to: .v6(host2), port: 7, at: net.now)
        #expect(try net.runUntil(timeout: .seconds(5)) { lab.host1.stack.state(of: id) == .established })
        #expect(lab.host1.stack.snapshot(id)?.tuple.description == "[fd00:0:0:1::1]:\(lab.host1.stack.snapshot(id)!.tuple.localPort) <-> [fd00:0:0:2::1]:7")
        let sent = try [UInt8]("over six".utf8).withUnsafeBytes { try lab.host1.stack.send(id, $0, at: net.now) }
        #expect(sent == 8)
        var echoed: [UInt8] = []
        #expect(try net.runUntil(timeout: .seconds(5)) {
            if let r = try? lab.host1.stack.receive(id, maxLength: 100, at: net.now) { echoed += r }
            return echoed.count == 8
        })
        #expect(echoed == Array("over six".utf8))
        #expect(!hopLimits.isEmpty && hopLimits.allSatisfy { $0 == 63 }, "hop limits at host2: \(hopLimits)")
        #expect(lab.router.packetsForwarded > 0)
    }

    @Test("RFC 8200 §3: a packet whose hop limit reaches zero at the router is dropped")
    func hopLimitExpires() throws {
        let net = SimulatedNetwork(seed: 4)
        let lab = try net.addLabTopology()
        var arrivedAtHost2: [UInt8] = []
        lab.host2.observePackets { r in if r.direction == .inbound { arrivedAtHost2.append(r.bytes[7]) } }
        let seg = TCPSegment(sourcePort: 1, destinationPort: 7, sequenceNumber: SequenceNumber(1),
                             acknowledgmentNumber: SequenceNumber(0), flags: .syn, window: 1000)
        for hopLimit: UInt8 in [1, 2] {
            let header = IPv6Header(source: lab.host1.ipv6Address!, destination: lab.host2.ipv6Address!, hopLimit: hopLimit)
            try lab.host1.inject(IPv6Packet(header: header, segment: seg))
        }
        try net.run(for: .seconds(1))
        #expect(lab.router.packetsTTLExpired == 1)
        #expect(lab.router.packetsForwarded >= 1)
        #expect(arrivedAtHost2 == [1], "only the hop-limit-2 packet reached host2, with hop limit 1")
    }

    @Test("addresses of either family are unique across the network")
    func duplicateIPv6Address() throws {
        let net = SimulatedNetwork()
        _ = try net.addLabTopology()
        #expect(throws: SimulationError.duplicateAddress(.v6(IPv6Address("fd00:0:0:2::1")!))) {
            try net.addHost("other", addresses: [.v6(IPv6Address("fd00:0:0:2::1")!)])
        }
    }
}
