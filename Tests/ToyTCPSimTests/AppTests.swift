import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

@Suite("Built-in peer apps: echo (RFC 862), discard (RFC 863), chargen source (RFC 864)")
struct AppTests {
    static let lossy = LinkImpairments(delay: .milliseconds(2), lossRate: 0.05, duplicationRate: 0.02, reorderRate: 0.02)

    @Test("echo sends back exactly what it receives, then closes after the client does")
    func echo() throws {
        let net = SimulatedNetwork(seed: 21)
        let (a, b) = try net.addPair(impairments: Self.lossy)
        let server = PeerApp.echo(port: 7)
        try b.start(server)
        let n = 300_000
        let client = PeerApp(.source(bytes: n), connectingTo: b.address, port: 7)
        var echoed: [UInt8] = []
        client.onReceive = { _, data in echoed += data }
        try a.start(client)
        let done = try net.runUntil(timeout: .seconds(600)) {
            client.activeConnections.isEmpty && server.activeConnections.isEmpty && server.connectionsOpened == 1
        }
        #expect(done, "client \(client.connections), server \(server.connections)")
        #expect(echoed.count == n)
        #expect(echoed.indices.allSatisfy { echoed[$0] == ChargenPattern.byte(at: $0) })
        #expect(server.totalBytesReceived == n && server.totalBytesSent == n)
        #expect(client.connections.first?.error == nil && server.connections.first?.error == nil)
    }

    @Test("discard reads everything and sends nothing back")
    func discard() throws {
        let net = SimulatedNetwork(seed: 22)
        let (a, b) = try net.addPair(impairments: Self.lossy)
        let server = PeerApp.discard(port: 9)
        var sink = 0
        var inOrder = true
        server.onReceive = { _, data in
            for (k, byte) in data.enumerated() where byte != ChargenPattern.byte(at: sink + k) { inOrder = false }
            sink += data.count
        }
        try b.start(server)
        let client = PeerApp(.source(bytes: 200_000), connectingTo: b.address, port: 9)
        try a.start(client)
        let done = try net.runUntil(timeout: .seconds(600)) {
            client.activeConnections.isEmpty && server.activeConnections.isEmpty && server.connectionsOpened == 1
        }
        #expect(done)
        #expect(sink == 200_000 && inOrder)
        #expect(server.totalBytesSent == 0 && client.totalBytesReceived == 0)
    }

    @Test("source sends N bytes of the chargen pattern to each client, then closes")
    func source() throws {
        let net = SimulatedNetwork(seed: 23)
        let lab = try net.addLabTopology(impairments: Self.lossy)
        let server = PeerApp.source(port: 19, bytes: 123_457)
        try lab.host2.start(server)
        var clients: [PeerApp] = []
        var streams: [ConnectionID: [UInt8]] = [:]
        for _ in 0..<3 {
            let c = PeerApp(.discard, connectingTo: lab.host2.address, port: 19)
            c.onReceive = { id, data in streams[id, default: []] += data }
            try lab.host1.start(c)
            clients.append(c)
        }
        let done = try net.runUntil(timeout: .seconds(600)) {
            clients.allSatisfy { $0.activeConnections.isEmpty } && server.connectionsOpened == 3
                && server.activeConnections.isEmpty
        }
        #expect(done)
        #expect(streams.count == 3)
        for (_, bytes) in streams {
            #expect(bytes.count == 123_457)
            #expect(bytes.indices.allSatisfy { bytes[$0] == ChargenPattern.byte(at: $0) })
        }
        #expect(lab.router.packetsForwarded > 0)
    }

    @Test("An app that cannot listen reports why")
    func appFailure() throws {
        let net = SimulatedNetwork(seed: 24)
        let (_, b) = try net.addPair()
        try b.start(PeerApp.echo(port: 7))
        #expect(throws: SimulationError.appFailed("echo on port 7", .addressInUse)) {
            try b.start(PeerApp.echo(port: 7))
        }
    }
}
