import ToyTCPEngine
import ToyTCPWire

struct MemoryResult {
    var connections: Int
    var established: Int
    var rssDelta: Int
    /// Per connection means per client/server pair: two TCBs.
    var rssPerConnection: Double { Double(rssDelta) / Double(max(1, connections)) }
}

/// Opens `count` connections between two stacks (handshakes delivered directly), leaves them idle,
/// and measures the memory they hold: resident set size before and after (`/proc/self/statm`).
func benchmarkIdleConnections(count: Int) -> MemoryResult {
    var config = StackConfiguration()
    config.backlog = count + 16
    config.ephemeralPorts = 1024...65535
    let client = Stack(addresses: [IPv4Address(10, 0, 0, 1)], configuration: config)
    let server = Stack(addresses: [IPv4Address(10, 0, 1, 1)], configuration: config)
    let now = Instant.zero
    guard let listener = try? server.listen(port: 80, backlog: count + 16) else { fatalError("bench: listen") }
    let rss0 = residentBytes()
    var ids: [ConnectionID] = []
    ids.reserveCapacity(count)
    var accepted: [ConnectionID] = []
    accepted.reserveCapacity(count)
    for _ in 0..<count {
        guard let c = try? client.connect(to: IPv4Address(10, 0, 1, 1), port: 80, at: now) else { break }
        ids.append(c)
        // Deliver the handshake at once.
        for _ in 0..<4 {
            var moved = false
            while let p = client.pollTransmit(at: now) { server.handle(p, at: now); moved = true }
            while let p = server.pollTransmit(at: now) { client.handle(p, at: now); moved = true }
            if !moved { break }
        }
        while client.pollEvent() != nil {}
        while server.pollEvent() != nil {}
        while let s = server.accept(listener) { accepted.append(s) }
    }
    let established = ids.filter { client.snapshot($0)?.state == .established }.count
    let rss1 = residentBytes()
    withExtendedLifetime((client, server, ids, accepted)) {}
    return MemoryResult(connections: ids.count, established: established, rssDelta: rss1 - rss0)
}
