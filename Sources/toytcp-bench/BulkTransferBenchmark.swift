import ToyTCPEngine
import ToyTCPSim
import ToyTCPWire

/// What a bulk-transfer run measured.
struct BulkResult {
    var name: String
    var bytes: Int
    var segments: Int
    /// Segments the receiver sent (ACKs, window updates, its FIN).
    var reverseSegments: Int
    var cpuSeconds: Double
    var wallSeconds: Double
    /// Virtual time the transfer took (simulated network runs only).
    var virtualSeconds: Double? = nil
    var bytesPerCPUSecond: Double { Double(bytes) / cpuSeconds }
    var segmentsPerCPUSecond: Double { Double(segments) / cpuSeconds }
}

/// How segments travel between the two stacks in the direct benchmark.
enum PairPath: Equatable {
    /// `pollTransmit` → `handle(_ packet: IPv4Packet)`: the engine's logic alone (no bytes, no checksum).
    case parsedPackets
    /// `pollTransmit(into:)` (bytes with checksums) → `handle(packet: bytes)` (parse, verify): what the
    /// raw-socket path costs the engine, minus the syscalls.
    case wireBytes
    /// `wireBytes` through each stack's `PacketPort` (the one packet path every driver uses), with this
    /// many pass-through stages: 0 is the path with nothing installed, 1 an observer that looks at
    /// every packet (what `trace` or a disabled intercept costs).
    case port(stages: Int)
}

/// Bulk transfer between two stacks joined directly (no simulated network): a client sends `total`
/// bytes, a server reads and discards them. Time only moves when both stacks are idle (to the next
/// timer), as on a lossless, zero-delay link.
func benchmarkPair(total: Int, path: PairPath) -> BulkResult {
    var config = StackConfiguration()
    config.receiveBufferSize = 4 << 20
    config.sendBufferSize = 4 << 20
    let client = Stack(addresses: [IPv4Address(10, 0, 0, 1)], configuration: config)
    let server = Stack(addresses: [IPv4Address(10, 0, 1, 1)], configuration: config)
    var now = Instant.zero
    guard let listener = try? server.listen(port: 5001),
          let c = try? client.connect(to: IPv4Address(10, 0, 1, 1), port: 5001, at: now) else {
        fatalError("bench: listen/connect failed")
    }
    var serverConnection: ConnectionID?
    let chunk = [UInt8](repeating: 0x61, count: 256 * 1024)
    var sent = 0, received = 0, segments = 0, reverseSegments = 0
    var shutDown = false
    var writer = ByteWriter(capacity: 2048)
    var ports: [ObjectIdentifier: PacketPort] = [:]
    if case .port(let stages) = path {
        for s in [client, server] {
            let port = PacketPort(stack: s)
            for _ in 0..<stages { port.addStage(PacketObserverStage { _ in }) }
            ports[ObjectIdentifier(s)] = port
        }
    }

    func move(from a: Stack, to b: Stack) -> Int {
        var n = 0
        if let pa = ports[ObjectIdentifier(a)], let pb = ports[ObjectIdentifier(b)] {
            while true {
                writer.bytes.removeAll(keepingCapacity: true)
                guard pa.pollTransmit(into: &writer, at: now) else { break }
                writer.bytes.withUnsafeBytes { pb.receive($0, at: now) }
                n += 1
            }
            while pa.pollEvent() != nil {}
            return n
        }
        if path == .wireBytes {
            // The raw-socket path: bytes with checksums into one reused buffer, parsed and verified.
            while true {
                writer.bytes.removeAll(keepingCapacity: true)
                guard a.pollTransmit(into: &writer, at: now) else { break }
                writer.bytes.withUnsafeBytes { b.handle(packet: $0, at: now) }
                n += 1
            }
            while a.pollEvent() != nil {}
            return n
        }
        while let p = a.pollTransmit(at: now) {
            switch path {
            case .parsedPackets:
                b.handle(p, at: now)
            case .wireBytes, .port:
                preconditionFailure("wire bytes use pollTransmit(into:)")
            }
            n += 1
        }
        while a.pollEvent() != nil {}
        return n
    }

    let cpu0 = processCPUSeconds(), wall0 = monotonicSeconds()
    var idleRounds = 0
    while idleRounds < 1_000_000 {
        // Application: the client writes while it can, the server reads everything.
        if sent < total {
            let want = min(chunk.count, total - sent)
            let n = chunk.withUnsafeBytes { (try? client.send(c, UnsafeRawBufferPointer(rebasing: $0[0..<want]), at: now)) ?? 0 }
            sent += n
        } else if !shutDown {
            try? client.shutdown(c, at: now)
            shutDown = true
        }
        if serverConnection == nil { serverConnection = server.accept(listener) }
        if let s = serverConnection {
            while let data = try? server.receive(s, maxLength: 1 << 20, at: now), !data.isEmpty {
                received += data.count
            }
        }
        let forward = move(from: client, to: server)
        let backward = move(from: server, to: client)
        let moved = forward + backward
        segments += moved
        reverseSegments += backward
        if received >= total { break }
        if moved == 0 {
            // Nothing to send: jump to the next timer (delayed ACK, persist), as virtual time would.
            let deadlines = [client.nextDeadline, server.nextDeadline].compactMap { $0 }
            guard let next = deadlines.min() else { idleRounds += 1; continue }
            if now < next { now = next }
            client.handleTimeout(at: now)
            server.handleTimeout(at: now)
            idleRounds += 1
        }
    }
    let cpu = processCPUSeconds() - cpu0, wall = monotonicSeconds() - wall0
    let name: String
    switch path {
    case .parsedPackets: name = "engine pair, parsed packets"
    case .wireBytes: name = "engine pair, wire bytes (emit + parse + checksum)"
    case .port(let stages): name = "engine pair, wire bytes through PacketPort, \(stages) stage\(stages == 1 ? "" : "s")"
    }
    return BulkResult(name: name, bytes: received, segments: segments, reverseSegments: reverseSegments,
                      cpuSeconds: cpu, wallSeconds: wall)
}

/// Bulk transfer through a lossless `SimulatedNetwork` link (discard server, chargen source client):
/// the engine plus the simulation's event queue, routing and pcap-ready byte copies.
///
/// With `lossRate` > 0 the link also has 1 ms of delay, so congestion control (`congestionControl`)
/// shapes the run: the result's `virtualSeconds` gives the goodput in virtual time.
func benchmarkSimulatedNetwork(total: Int, congestionControl: CongestionControlAlgorithm = .newReno,
                               lossRate: Double = 0) -> BulkResult {
    let network = SimulatedNetwork(seed: 1)
    var config = StackConfiguration()
    config.receiveBufferSize = 4 << 20
    config.sendBufferSize = 4 << 20
    config.congestionControl = congestionControl
    let impairments = lossRate > 0 ? LinkImpairments(delay: .milliseconds(1), lossRate: lossRate) : LinkImpairments.none
    guard let (a, b) = try? network.addPair(impairments: impairments, configuration: config) else { fatalError("bench: topology") }
    let server = PeerApp.discard(port: 9)
    let client = PeerApp(.source(bytes: total), connectingTo: b.address, port: 9)
    do {
        try b.start(server)
        try a.start(client)
    } catch {
        fatalError("bench: \(error)")
    }
    let cpu0 = processCPUSeconds(), wall0 = monotonicSeconds()
    _ = try? network.runUntil(timeout: .seconds(100_000), maxSteps: 500_000_000) {
        server.totalBytesReceived >= total
    }
    let cpu = processCPUSeconds() - cpu0, wall = monotonicSeconds() - wall0
    let segments = a.stack.statistics.packetsSent + b.stack.statistics.packetsSent
    let name = lossRate > 0 ? "simulated network, \(congestionControl.rawValue), \(Int(lossRate * 100))% loss, 1 ms"
                            : "simulated network, lossless link"
    var r = BulkResult(name: name, bytes: server.totalBytesReceived, segments: segments,
                       reverseSegments: b.stack.statistics.packetsSent, cpuSeconds: cpu, wallSeconds: wall)
    r.virtualSeconds = Double(network.now.nanoseconds) / 1e9
    return r
}

/// The floor under any TCP on this path, run beside the engine: per 1448-byte segment, copy the
/// payload into a packet buffer and checksum it (the sender's share, `FloorChecksum`), then verify the checksum and copy
/// the payload out (the receiver's share), with no TCP logic at all. The engine's ratio to it says how
/// much its own work adds to the unavoidable byte handling.
func benchmarkCopyAndChecksumFloor(total: Int) -> BulkResult {
    let payloadSize = 1448
    let source = [UInt8](repeating: 0x61, count: 256 * 1024)
    var packet = [UInt8](repeating: 0, count: 20 + 32 + payloadSize)
    var sink = [UInt8](repeating: 0, count: 256 * 1024)
    let a = IPv4Address(10, 0, 0, 1), b = IPv4Address(10, 0, 1, 1)
    var moved = 0, segments = 0
    var check: UInt32 = 0
    let cpu0 = processCPUSeconds(), wall0 = monotonicSeconds()
    while moved < total {
        let n = min(payloadSize, total - moved)
        let offset = moved % (source.count - payloadSize)
        packet.withUnsafeMutableBytes { p in
            source.withUnsafeBytes { s in
                p.baseAddress!.advanced(by: 52).copyMemory(from: s.baseAddress!.advanced(by: offset), byteCount: n)
            }
            p[36] = 0; p[37] = 0   // the checksum field is zero while the checksum is computed
            let tcp = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[20..<(52 + n)])
            let sum = FloorChecksum.tcp(tcp, source: a.rawValue, destination: b.rawValue)
            p[36] = UInt8(sum >> 8); p[37] = UInt8(truncatingIfNeeded: sum)
            let verify = FloorChecksum.tcp(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[20..<(52 + n)]),
                                          source: a.rawValue, destination: b.rawValue)
            check &+= UInt32(verify)
            sink.withUnsafeMutableBytes { d in
                d.baseAddress!.advanced(by: offset).copyMemory(from: p.baseAddress!.advanced(by: 52), byteCount: n)
            }
        }
        moved += n
        segments += 1
    }
    let cpu = processCPUSeconds() - cpu0, wall = monotonicSeconds() - wall0
    // Every verify must be 0 (the checksum just written is right): proves the floor's checksum correct.
    if check != 0 { print("  !! floor checksum verification failed (\(check))") }
    withExtendedLifetime(sink) {}
    return BulkResult(name: "floor: copy + checksum both ends, no TCP", bytes: moved, segments: segments,
                      reverseSegments: 0, cpuSeconds: cpu, wallSeconds: wall)
}
