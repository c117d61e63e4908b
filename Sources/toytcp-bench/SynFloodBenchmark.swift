import ToyTCPEngine
import ToyTCPSim
import ToyTCPWire

/// How fast a listener absorbs a SYN flood: `count` SYNs from distinct ports (as wire bytes, parsed and
/// checksummed like the raw-socket path) at a listener with the default backlog, each reply drained.
/// Returns SYNs per CPU-second and the replies sent (SYN-ACKs: 128 without cookies, one per SYN with).
func benchmarkSynAbsorption(count: Int, defense: SynFloodDefense) -> (synsPerCPUSecond: Double, replies: Int) {
    var config = StackConfiguration()
    config.synFloodDefense = defense
    let server = Stack(addresses: [IPv4Address(10, 0, 1, 1)], configuration: config)
    guard (try? server.listen(port: 80)) != nil else { fatalError("bench: listen failed") }
    let packets: [[UInt8]] = (0..<count).map { n in
        let seg = TCPSegment(sourcePort: UInt16(1024 + n % 60_000), destinationPort: 80,
                             sequenceNumber: SequenceNumber(UInt32(truncatingIfNeeded: n &* 2_654_435_761)),
                             acknowledgmentNumber: 0, flags: .syn, window: 64240,
                             options: [.mss(1460), .sackPermitted, .timestamps(value: UInt32(n), echoReply: 0), .windowScale(7)])
        return IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, UInt8(n / 60_000 % 250), 77),
                                             destination: IPv4Address(10, 0, 1, 1)), segment: seg).bytes()
    }
    var writer = ByteWriter(capacity: 2048)
    var replies = 0
    let now = Instant.milliseconds(1000)
    let cpu0 = processCPUSeconds()
    for p in packets {
        p.withUnsafeBytes { server.handle(packet: $0, at: now) }
        while true {
            writer.bytes.removeAll(keepingCapacity: true)
            guard server.pollTransmit(into: &writer, at: now) else { break }
            replies += 1
        }
    }
    let cpu = processCPUSeconds() - cpu0
    return (Double(count) / cpu, replies)
}

/// The scenario on the simulated network (host1 — router — host2, 0.5 ms per link): 20,000
/// spoofed SYNs over 1.2 s, and a legitimate client connecting in the middle of the flood. Returns its
/// connect time in virtual time, `nil` if it did not connect within 10 s.
func benchmarkConnectDuringFlood(defense: SynFloodDefense) -> Duration? {
    let network = SimulatedNetwork(seed: 14)
    var config = StackConfiguration()
    config.synFloodDefense = defense
    guard let (host1, _, host2) = try? network.addLabTopology(impairments: LinkImpairments(delay: .microseconds(500)),
                                                              configuration: config),
          (try? host2.start(PeerApp.discard(port: 80))) != nil else { fatalError("bench: topology") }
    for batch in 0..<200 {
        network.schedule(at: .milliseconds(Int64(batch) * 6)) { _ in
            for i in 0..<100 {
                let n = batch * 100 + i
                let seg = TCPSegment(sourcePort: UInt16(1024 + n), destinationPort: 80,
                                     sequenceNumber: SequenceNumber(UInt32(n) &* 2_654_435_761), acknowledgmentNumber: 0,
                                     flags: .syn, window: 64240, options: [.mss(1460)], payload: [])
                try? host1.inject(IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, 0, 77), destination: host2.address),
                                             segment: seg))
            }
        }
    }
    guard (try? network.run(until: .milliseconds(600))) != nil,
          let c = try? host1.stack.connect(to: host2.address, port: 80, at: network.now) else { return nil }
    let started = network.now
    let connected = (try? network.runUntil(timeout: .seconds(10)) { host1.stack.snapshot(c)?.state == .established }) ?? false
    return connected ? network.now - started : nil
}
