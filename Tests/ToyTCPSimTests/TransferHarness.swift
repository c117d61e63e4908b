import Crypto
import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// A random-access pseudo-random byte stream: byte `i` depends only on (seed, i), so a receiver checks
/// every byte as it arrives and names the first wrong offset, without keeping a copy.
struct PatternStream {
    let seed: UInt64

    @inline(__always)
    static func word(seed: UInt64, block: UInt64) -> UInt64 {
        var z = seed &+ (block &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: Self.word(seed: seed, block: UInt64(offset >> 3)) >> UInt64((offset & 7) * 8))
    }

    /// Replaces `buffer` with `count` bytes from `offset`.
    func fill(_ buffer: inout [UInt8], from offset: Int, count: Int) {
        buffer.removeAll(keepingCapacity: true)
        buffer.reserveCapacity(count)
        var i = offset
        let end = offset + count
        while i < end {
            let w = Self.word(seed: seed, block: UInt64(i >> 3))
            var k = i & 7
            while k < 8 && i < end {
                buffer.append(UInt8(truncatingIfNeeded: w >> UInt64(k * 8)))
                k += 1; i += 1
            }
        }
    }
}

/// One end of a full-duplex transfer: sends `sendTotal` bytes of its pattern, half-closes, reads the
/// peer's pattern to end of stream checking every byte and hashing it (SHA-256), then closes.
final class TransferEndpoint: SimulatedApp {
    enum Role { case client(IPAddress, UInt16), server(UInt16) }
    let role: Role
    let sendTotal: Int
    let sendPattern: PatternStream
    let expectTotal: Int
    let expectPattern: PatternStream

    private(set) var listener: ListenerID?
    private(set) var id: ConnectionID?
    private(set) var sent = 0
    private(set) var received = 0
    private(set) var sendHash = SHA256()
    private(set) var receiveHash = SHA256()
    /// First offset whose byte differs from the pattern (a corrupted, lost or duplicated byte).
    private(set) var firstMismatch: Int?
    private(set) var endOfStream = false
    private(set) var shutDown = false
    private(set) var closeCalled = false
    private(set) var failure: EngineError?
    private(set) var events: [ConnectionEvent] = []
    private var chunk: [UInt8] = []
    private var chunkOffset = 0
    private var expected: [UInt8] = []
    let chunkSize = 64 * 1024

    init(role: Role, sendTotal: Int, sendSeed: UInt64, expectTotal: Int, expectSeed: UInt64) {
        self.role = role
        self.sendTotal = sendTotal; sendPattern = PatternStream(seed: sendSeed)
        self.expectTotal = expectTotal; expectPattern = PatternStream(seed: expectSeed)
    }

    var description: String {
        "transfer \(id.map(\.description) ?? "-"): sent \(sent)/\(sendTotal), received \(received)/\(expectTotal)"
            + (endOfStream ? ", EOF" : "") + (shutDown ? ", shut down" : "") + (closeCalled ? ", closed" : "")
            + (failure.map { ", failed: \($0)" } ?? "") + (firstMismatch.map { ", first bad byte at \($0)" } ?? "")
    }

    /// All data moved both ways and the app has closed, or the connection failed.
    var isDone: Bool { (endOfStream && shutDown && closeCalled) || failure != nil || firstMismatch != nil }
    var isComplete: Bool { endOfStream && sent == sendTotal && received == expectTotal && firstMismatch == nil && failure == nil }

    func start(on host: SimulatedHost, at now: Instant) throws(EngineError) {
        switch role {
        case let .client(address, port):
            id = try host.stack.connect(to: address, port: port, at: now)
        case let .server(port):
            listener = try host.stack.listen(port: port)
        }
    }

    func handle(_ event: StackEvent, on host: SimulatedHost, at now: Instant) {
        switch event {
        case .incoming:
            acceptIfNeeded(host)
        case let .connection(cid, e) where cid == id:
            events.append(e)
            if case let .failed(error) = e, !(endOfStream && shutDown) { failure = error }
        default:
            break
        }
    }

    func poll(on host: SimulatedHost, at now: Instant) {
        acceptIfNeeded(host)
        guard let id, !closeCalled, failure == nil, firstMismatch == nil else { return }
        guard let state = host.stack.state(of: id), state.isSynchronized else { return }
        let stack = host.stack
        do throws(EngineError) {
            try pushData(stack, id, now)
            try pullData(stack, id, now)
            try pushData(stack, id, now)
            if endOfStream && shutDown && !closeCalled {
                closeCalled = true
                do throws(EngineError) { try stack.close(id, at: now) } catch {
                    // Closing a connection whose both FINs are through may be refused (RFC 9293 §3.10.4,
                    // "connection closing"): nothing left to do.
                    if error != .connectionClosing && error != .unknownConnection { failure = error }
                }
            }
        } catch {
            failure = error
        }
    }

    private func acceptIfNeeded(_ host: SimulatedHost) {
        if id == nil, let listener, let c = host.stack.accept(listener) { id = c }
    }

    private func pushData(_ stack: Stack, _ id: ConnectionID, _ now: Instant) throws(EngineError) {
        while sent < sendTotal {
            if chunkOffset == chunk.count {
                sendPattern.fill(&chunk, from: sent, count: min(chunkSize, sendTotal - sent))
                chunk.withUnsafeBytes { sendHash.update(bufferPointer: $0) }
                chunkOffset = 0
            }
            let offset = chunkOffset
            let result = chunk.withUnsafeBytes { all in
                Result { () throws(EngineError) -> Int in
                    try stack.send(id, UnsafeRawBufferPointer(rebasing: all[offset...]), at: now)
                }
            }
            let n = try result.get()
            if n == 0 { break }
            chunkOffset += n
            sent += n
        }
        if sent == sendTotal && !shutDown {
            try stack.shutdown(id, at: now)
            shutDown = true
        }
    }

    private func pullData(_ stack: Stack, _ id: ConnectionID, _ now: Instant) throws(EngineError) {
        while !endOfStream {
            guard let data = try stack.receive(id, maxLength: chunkSize, at: now) else {
                endOfStream = true
                return
            }
            if data.isEmpty { return }
            if received + data.count > expectTotal {
                firstMismatch = min(firstMismatch ?? .max, expectTotal)
            }
            expectPattern.fill(&expected, from: received, count: min(data.count, max(0, expectTotal - received)))
            if data.prefix(expected.count).elementsEqual(expected) == false {
                for k in 0..<expected.count where data[k] != expected[k] {
                    firstMismatch = received + k
                    break
                }
            }
            data.withUnsafeBytes { receiveHash.update(bufferPointer: $0) }
            received += data.count
        }
    }
}

/// A scenario: two hosts, a full-duplex transfer between them, a network shaped by `configure`.
struct DuplexScenario {
    var name: String
    var seed: UInt64
    var bytesAToB: Int
    var bytesBToA: Int
    var impairments = LinkImpairments.none
    /// Through the lab topology (host1 — router — host2, impairments on the host1 link) or one link.
    var throughRouter = false
    /// Run the transfer over IPv6 (the hosts are dual-stack; the client connects to B's IPv6 address).
    var ipv6 = false
    var configuration: StackConfiguration = {
        var c = StackConfiguration()
        c.msl = .seconds(1)
        return c
    }()
    /// Extra set-up: scheduled impairment changes and the like.
    var configure: (SimulatedNetwork, SimulatedLink) -> Void = { _, _ in }
    var virtualTimeout: Duration = .seconds(3600)
    var maxSteps = 200_000_000
    /// Check each live connection's variables every 10 ms of virtual time (`invariantViolations`).
    var checkInvariants = false
}

/// What must hold of a connection's variables at any time (RFC 9293 §3.3.1; RFC 6298 (2.4), (2.5)).
func invariantViolations(_ s: ConnectionSnapshot, _ config: StackConfiguration) -> [String] {
    var v: [String] = []
    if !(s.snd.una <= s.snd.nxt) { v.append("SND.UNA \(s.snd.una) is after SND.NXT \(s.snd.nxt)") }
    if s.sendQueued > config.sendBufferSize { v.append("send queue \(s.sendQueued) exceeds the buffer \(config.sendBufferSize)") }
    if s.receiveQueued + s.outOfOrderQueued > config.receiveBufferSize + Int(config.mss) {
        v.append("receive queue \(s.receiveQueued) + out of order \(s.outOfOrderQueued) exceeds the buffer \(config.receiveBufferSize)")
    }
    if s.state.isSynchronized && s.cwnd <= 0 { v.append("cwnd \(s.cwnd)") }
    if s.rto < config.minimumRTO || s.rto > config.maximumRTO { v.append("RTO \(s.rto) outside [\(config.minimumRTO), \(config.maximumRTO)]") }
    return v
}

struct DuplexOutcome: CustomStringConvertible {
    var a: TransferEndpoint
    var b: TransferEndpoint
    var network: SimulatedNetwork
    var hostA: SimulatedHost
    var hostB: SimulatedHost
    var finishedInTime: Bool
    var error: SimulationError?
    var pcapPath: String?
    /// The last packets on the wire, written to a pcap if the run failed.
    var recent: RecentPacketsTap
    var invariantViolations: [String] = []
    var finalStates: (TCPState?, TCPState?)

    var description: String {
        var s = "a: \(a)\nb: \(b)\nvirtual time \(network.now), steps \(network.statistics.steps)"
        s += "\nfinal states: \(finalStates.0.map(\.description) ?? "deleted") / \(finalStates.1.map(\.description) ?? "deleted")"
        for link in network.links {
            s += "\n\(link)"
            if let st = link.statistics(from: link.a) { s += "\n  \(link.a.name)->: \(st)" }
            if let st = link.statistics(from: link.b) { s += "\n  \(link.b.name)->: \(st)" }
        }
        s += "\n\(hostA.name) stack: \(hostA.stack.statistics)\n\(hostB.name) stack: \(hostB.stack.statistics)"
        if let error { s += "\nsimulation error: \(error)" }
        if let pcapPath { s += "\npcap of the last packets: \(pcapPath)" }
        return s
    }
}

/// Runs the scenario to the end; on any failure the caller records the outcome (seed, counters, pcap).
func runDuplex(_ scenario: DuplexScenario) -> DuplexOutcome {
    let network = SimulatedNetwork(seed: scenario.seed)
    let hostA: SimulatedHost, hostB: SimulatedHost, link: SimulatedLink
    do {
        if scenario.throughRouter {
            let lab = try network.addLabTopology(configuration: scenario.configuration)
            hostA = lab.host1; hostB = lab.host2
            link = network.link(between: lab.host1, and: lab.router)!
        } else {
            (hostA, hostB) = try network.addPair(configuration: scenario.configuration)
            link = network.links[0]
        }
        try link.setImpairments(scenario.impairments)
    } catch {
        fatalError("scenario set-up: \(error)")
    }
    let recent = RecentPacketsTap(capacity: 20_000)
    network.addTap(recent)
    scenario.configure(network, link)
    var violations: [String] = []
    let port: UInt16 = 5001
    let server = TransferEndpoint(role: .server(port), sendTotal: scenario.bytesBToA, sendSeed: scenario.seed &+ 2,
                                  expectTotal: scenario.bytesAToB, expectSeed: scenario.seed &+ 1)
    let serverAddress: IPAddress = scenario.ipv6 ? .v6(hostB.ipv6Address!) : .v4(hostB.address)
    let client = TransferEndpoint(role: .client(serverAddress, port), sendTotal: scenario.bytesAToB,
                                  sendSeed: scenario.seed &+ 1, expectTotal: scenario.bytesBToA, expectSeed: scenario.seed &+ 2)
    if scenario.checkInvariants {
        func check(_ net: SimulatedNetwork) {
            for host in [hostA, hostB] {
                for id in host.stack.connectionIDs {
                    guard let snap = host.stack.snapshot(id) else { continue }
                    for v in invariantViolations(snap, host.stack.configuration) where violations.count < 10 {
                        violations.append("\(net.now) \(host.name) \(snap.state): \(v)")
                    }
                }
            }
            if !(client.isDone && server.isDone) { net.schedule(after: .milliseconds(10), check) }
        }
        network.schedule(after: .milliseconds(10), check)
    }
    var outcome = DuplexOutcome(a: client, b: server, network: network, hostA: hostA, hostB: hostB,
                                finishedInTime: false, error: nil, pcapPath: nil, recent: recent,
                                finalStates: (nil, nil))
    do throws(SimulationError) {
        try hostB.start(server)
        try hostA.start(client)
        outcome.finishedInTime = try network.runUntil(timeout: scenario.virtualTimeout, maxSteps: scenario.maxSteps) {
            client.isDone && server.isDone
        }
        // Let the closing handshake and TIME-WAIT run out (2 × MSL, plus retransmissions of a lost FIN).
        if outcome.finishedInTime {
            try network.runUntil(timeout: .seconds(600), maxSteps: 10_000_000) {
                let ca = client.id.flatMap { hostA.stack.snapshot($0) }
                let cb = server.id.flatMap { hostB.stack.snapshot($0) }
                return ca == nil && cb == nil
            }
        }
    } catch {
        outcome.error = error
    }
    outcome.invariantViolations = violations
    outcome.finalStates = (client.id.flatMap { hostA.stack.snapshot($0)?.state },
                           server.id.flatMap { hostB.stack.snapshot($0)?.state })
    return outcome
}

/// Writes the last packets of a failed run to a pcap named after the test and seed; returns its path.
func writeFailurePcap(_ outcome: inout DuplexOutcome, name: String) {
    let tap = outcome.recent
    let directory = ProcessInfo.processInfo.environment["TOYTCP_FAILURE_DIR"] ?? NSTemporaryDirectory()
    let path = (directory as NSString).appendingPathComponent("toytcp-sim-\(name)-seed\(outcome.network.seed).pcap")
    do {
        try tap.writePcap(path: path)
        outcome.pcapPath = path
    } catch {
        outcome.pcapPath = "(could not write: \(error))"
    }
}

/// Checks a finished duplex run: every byte delivered once and in order (SHA-256 and per-byte pattern),
/// both TCBs gone or in TIME-WAIT. On failure, records the seed, counters and a pcap path.
func expectClean(_ outcome: DuplexOutcome, name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    var o = outcome
    var problems: [String] = []
    if let e = o.error { problems.append("simulation error: \(e)") }
    problems += o.invariantViolations.map { "invariant broken at \($0)" }
    if !o.finishedInTime { problems.append("transfer did not finish within the virtual timeout") }
    for (label, end, peer) in [("a", o.a, o.b), ("b", o.b, o.a)] {
        if let f = end.failure { problems.append("\(label) failed: \(f)") }
        if let m = end.firstMismatch { problems.append("\(label) received a wrong byte at offset \(m)") }
        if end.received != end.expectTotal { problems.append("\(label) received \(end.received) of \(end.expectTotal) bytes") }
        if !end.endOfStream { problems.append("\(label) never saw end of stream") }
        if end.sent == end.sendTotal && peer.received == end.sendTotal
            && Array(end.sendHash.finalize()) != Array(peer.receiveHash.finalize()) {
            problems.append("SHA-256 of \(label)'s bytes differs at the far end")
        }
    }
    for (label, state) in [("a", o.finalStates.0), ("b", o.finalStates.1)] {
        if let state, state != .timeWait { problems.append("\(label)'s connection ended in \(state), not CLOSED or TIME-WAIT") }
    }
    if !problems.isEmpty {
        let seed = o.network.seed
        switch name {
        case "integrity":
            problems.append("reproduce: TOYTCP_INTEGRITY_SEED=\(seed) TOYTCP_INTEGRITY_SEEDS=1 swift test --filter DataIntegrity")
        case "property":
            problems.append("reproduce: TOYTCP_PROPERTY_SEED=\(seed) TOYTCP_PROPERTY_SEEDS=1 swift test --filter PropertyTests")
        default:
            problems.append("reproduce: the test's seed \(seed) is fixed; rerun the test")
        }
    }
    guard !problems.isEmpty else { return }
    writeFailurePcap(&o, name: name)
    Issue.record("\(name) seed \(o.network.seed): \(problems.joined(separator: "; "))\n\(o)", sourceLocation: sourceLocation)
}

/// An integer from the environment, or `fallback`.
func environmentInt(_ name: String, default fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
}

var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
