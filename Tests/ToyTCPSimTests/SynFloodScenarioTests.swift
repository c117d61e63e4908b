// RFC 4987 on the simulated network: a listener under a SYN flood from spoofed addresses keeps
// accepting a legitimate client (the issue measured two minutes of lock-out without a defence).
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

@Suite("SYN flood on the simulated network (RFC 4987)")
struct SynFloodScenarioTests {
    /// 20,000 SYNs from distinct ports of a spoofed address, 100 every 6 ms (1.2 s, as in the issue).
    static func flood(_ net: SimulatedNetwork, from attacker: SimulatedHost, to server: IPv4Address, port: UInt16,
                      count: Int = 20_000, start: Instant = .zero) {
        let spoofed = IPv4Address(10, 0, 0, 77)
        for batch in 0..<(count / 100) {
            net.schedule(at: start + .milliseconds(Int64(batch) * 6)) { _ in
                for i in 0..<100 {
                    let n = batch * 100 + i
                    let seg = TCPSegment(sourcePort: UInt16(1024 + n % 60_000), destinationPort: port,
                                         sequenceNumber: SequenceNumber(UInt32(n) &* 2_654_435_761),
                                         acknowledgmentNumber: 0, flags: .syn, window: 64240,
                                         options: [.mss(1460)], payload: [])
                    let p = IPv4Packet(header: IPv4Header(source: spoofed, destination: server), segment: seg)
                    try? attacker.inject(p)
                }
            }
        }
    }

    @Test("20,000 spoofed SYNs, then a legitimate client connects within one RTT",
          arguments: [SynFloodDefense.cookies, .recycleOldest])
    func legitimateClientGetsIn(defense: SynFloodDefense) throws {
        let net = SimulatedNetwork(seed: 14)
        var config = StackConfiguration()
        config.synFloodDefense = defense
        let (host1, _, host2) = try net.addLabTopology(impairments: LinkImpairments(delay: .milliseconds(1)),
                                                       configuration: config)
        let server = PeerApp.discard(port: 80)
        try host2.start(server)
        Self.flood(net, from: host1, to: host2.address, port: 80)
        // The flood runs 0–1.2 s; the client tries in its last stretch, while the backlog is full.
        try net.run(until: .milliseconds(1_150))
        let listener = try #require(host2.stack.listenerIDs.first)
        let during = try #require(host2.stack.listenerSnapshot(listener))
        #expect(during.halfOpen + during.acceptQueued <= during.backlog)
        let started = net.now
        let client = try host1.stack.connect(to: host2.address, port: 80, at: started)
        let rtt = Duration.milliseconds(4)
        try net.run(until: started + rtt + .microseconds(500))
        #expect(host1.stack.snapshot(client)?.state == .established)
        try net.run(until: .milliseconds(1_300))
        #expect(server.connections.count == 1, "the server accepted \(server.connections.count) connections")
        let stats = host2.stack.statistics
        switch defense {
        case .cookies: #expect(stats.synCookiesSent >= 19_000 && stats.synCookiesValidated == 1)
        case .recycleOldest: #expect(stats.halfOpenRecycled >= 19_000)
        case .drop: break
        }
        #expect(host2.stack.connectionIDs.count <= during.backlog + 1)
    }
}
