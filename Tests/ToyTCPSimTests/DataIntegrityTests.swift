import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// The issue's data-integrity requirement: bulk data each way through a hostile link (10% loss, 5%
/// duplication, reordering, corruption), checked byte by byte and by SHA-256 at the far end.
///
/// Size: `TOYTCP_INTEGRITY_MB` (default 100 under CI=true, 4 locally); seeds: `TOYTCP_INTEGRITY_SEEDS`
/// (default 3), starting at `TOYTCP_INTEGRITY_SEED` (default 32343; odd seeds go through the router).
/// The wall time of each seed is printed (it is reported, never asserted).
@Suite("Data integrity through an impaired network (RFC 9293 §3.4, §3.10.7.4)")
struct DataIntegrityTests {
    static let megabytes = environmentInt("TOYTCP_INTEGRITY_MB", default: isCI ? 100 : 4)
    static let seeds: [UInt64] = (0..<UInt64(max(1, environmentInt("TOYTCP_INTEGRITY_SEEDS", default: 3)))).map {
        UInt64(environmentInt("TOYTCP_INTEGRITY_SEED", default: 0x7E57)) &+ $0
    }

    /// Copies the links corrupted, and packets the stacks dropped for a bad checksum or a malformed header.
    static func corruption(_ outcome: DuplexOutcome) -> (corrupted: Int, dropped: Int) {
        let corrupted = outcome.network.links.reduce(0) {
            $0 + ($1.statistics(from: $1.a)?.packetsCorrupted ?? 0) + ($1.statistics(from: $1.b)?.packetsCorrupted ?? 0)
        }
        let dropped = [outcome.hostA, outcome.hostB].reduce(0) {
            $0 + $1.stack.statistics.badChecksumDropped + $1.stack.statistics.malformedDropped
        }
        return (corrupted, dropped)
    }

    static let hostile = LinkImpairments(delay: .milliseconds(1), jitter: .microseconds(200), lossRate: 0.10,
                                         duplicationRate: 0.05, reorderRate: 0.05, reorderDelay: .milliseconds(2),
                                         corruptionRate: 0.01)

    @Test("Bulk data each way, 10% loss, 5% duplication, 5% reordering, 1% corruption: SHA-256 matches",
          arguments: seeds)
    func bulkBothWays(seed: UInt64) {
        let bytes = Self.megabytes * 1_000_000
        let scenario = DuplexScenario(name: "integrity", seed: seed, bytesAToB: bytes, bytesBToA: bytes,
                                      impairments: Self.hostile, throughRouter: seed % 2 == 1)
        let clock = ContinuousClock()
        var outcome: DuplexOutcome!
        let elapsed = clock.measure { outcome = runDuplex(scenario) }
        expectClean(outcome, name: "integrity")
        // The receivers' checksums caught every corrupted copy: counted, dropped, never delivered as data.
        // (Through the router a copy corrupted on the first link is forwarded, so compare totals.)
        let (corrupted, dropped) = Self.corruption(outcome)
        #expect(corrupted > 0 && dropped == corrupted,
                "seed \(seed): the stacks dropped \(dropped) bad-checksum or malformed packets; the links corrupted \(corrupted)")
        let lost = outcome.network.links.reduce(0) { $0 + ($1.statistics(from: $1.a)?.packetsLost ?? 0) + ($1.statistics(from: $1.b)?.packetsLost ?? 0) }
        print("integrity seed \(seed): \(Self.megabytes) MB each way\(scenario.throughRouter ? " via router" : ""), wall \(elapsed), virtual \(outcome.network.now), steps \(outcome.network.statistics.steps), lost \(lost), retransmissions \(outcome.hostA.stack.statistics.retransmissions)+\(outcome.hostB.stack.statistics.retransmissions)")
    }

    /// The same over IPv6 (RFC 8200): the hosts' IPv6 addresses, the TCP checksum over the IPv6
    /// pseudo-header catching every corrupted bit of the segment, the router decrementing the hop limit. Same seeds, sizes and hostile link as the IPv4 test.
    @Test("Bulk data each way over IPv6, 10% loss, 5% duplication, 5% reordering, 1% corruption: SHA-256 matches",
          arguments: seeds)
    func bulkBothWaysIPv6(seed: UInt64) throws {
        let bytes = Self.megabytes * 1_000_000
        var scenario = DuplexScenario(name: "integrity-ipv6", seed: seed, bytesAToB: bytes, bytesBToA: bytes,
                                      impairments: Self.hostile, throughRouter: seed % 2 == 1)
        scenario.ipv6 = true
        let outcome = runDuplex(scenario)
        expectClean(outcome, name: "integrity-ipv6")
        // Every packet on the wire (the tap keeps the last 20,000 transmitted) was IPv6 from or to host A.
        let last = outcome.recent.packets
        let hostA = try #require(outcome.hostA.ipv6Address)
        #expect(!last.isEmpty && last.allSatisfy { p in
            p.bytes.withUnsafeBytes { IPAddress.source(ofPacket: $0) == .v6(hostA) || IPAddress.destination(ofPacket: $0) == .v6(hostA) }
        }, "the transfer ran over IPv6")
        let (corrupted, dropped) = Self.corruption(outcome)
        #expect(corrupted > 0 && dropped == corrupted,
                "seed \(seed): the stacks dropped \(dropped) bad-checksum or malformed packets; the links corrupted \(corrupted)")
        print("integrity-ipv6 seed \(seed): \(Self.megabytes) MB each way\(scenario.throughRouter ? " via router" : ""), virtual \(outcome.network.now), steps \(outcome.network.statistics.steps), corrupted \(corrupted), dropped \(dropped)")
    }

    /// The same with CUBIC (RFC 9438) and RACK (RFC 8985 §6); D-SACK (RFC 2883) is on by default in
    /// both, and its undo must never cost data: the receivers report duplicates (5% of packets are
    /// duplicated).
    @Test("Bulk data each way with CUBIC, D-SACK and RACK-TLP, same hostile link: SHA-256 matches", arguments: seeds)
    func bulkBothWaysCubic(seed: UInt64) {
        let bytes = Self.megabytes * 1_000_000
        var scenario = DuplexScenario(name: "integrity-cubic", seed: seed, bytesAToB: bytes, bytesBToA: bytes,
                                      impairments: Self.hostile, throughRouter: seed % 2 == 1)
        scenario.configuration.congestionControl = .cubic
        scenario.configuration.dsack = true
        scenario.configuration.rack = true
        let outcome = runDuplex(scenario)
        expectClean(outcome, name: "integrity-cubic")
        let a = outcome.hostA.stack.statistics, b = outcome.hostB.stack.statistics
        #expect(a.dsacksSent + b.dsacksSent > 0 && a.dsacksReceived + b.dsacksReceived > 0,
                "seed \(seed): D-SACKs sent \(a.dsacksSent)+\(b.dsacksSent), received \(a.dsacksReceived)+\(b.dsacksReceived)")
        print("integrity-cubic seed \(seed): virtual \(outcome.network.now), D-SACKs \(a.dsacksReceived + b.dsacksReceived), undos \(a.spuriousUndos + b.spuriousUndos)")
    }
}
