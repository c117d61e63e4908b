import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// Random impairment schedules (seeded): impairments change over time, including blackouts, high loss,
/// a bandwidth bottleneck, and random stack options (Nagle, delayed ACK, SACK, timestamps, window
/// scaling, small buffers that force zero windows). Property: no crash, no lost or duplicated byte,
/// the connection variables stay sane every 10 ms (SND.UNA =< SND.NXT, queues within their buffers,
/// RTO within its bounds), and both connections end CLOSED or in TIME-WAIT. A clean error (time-out,
/// reset) would be a legal ending, but the schedules keep blackouts far shorter than the retry
/// budget, so any error is reported as a failure.
///
/// Count: `TOYTCP_PROPERTY_SEEDS` (default 40 under CI=true, 12 locally), from `TOYTCP_PROPERTY_SEED`
/// (default 1000).
@Suite("Property: random impairment schedules")
struct PropertyTests {
    static let seeds: [UInt64] = (0..<UInt64(environmentInt("TOYTCP_PROPERTY_SEEDS", default: isCI ? 40 : 12))).map {
        UInt64(environmentInt("TOYTCP_PROPERTY_SEED", default: 1000)) &+ $0
    }

    static func randomImpairments(_ g: inout SeededGenerator) -> LinkImpairments {
        var i = LinkImpairments()
        i.delay = .microseconds(Int(g.below(20_000)))
        i.jitter = .microseconds(Int(g.below(2_000)))
        i.lossRate = g.chance(0.3) ? 0 : g.nextUnit() * 0.25
        i.duplicationRate = g.chance(0.5) ? 0 : g.nextUnit() * 0.1
        i.reorderRate = g.chance(0.5) ? 0 : g.nextUnit() * 0.15
        i.reorderDelay = .microseconds(Int(g.below(10_000)))
        i.corruptionRate = g.chance(0.5) ? 0 : g.nextUnit() * 0.05
        if g.chance(0.3) {
            i.bandwidth = 1_000_000 * Int(1 + g.below(100))
            i.queueLimit = 3000 + Int(g.below(200_000))
        }
        return i
    }

    static func scenario(seed: UInt64) -> DuplexScenario {
        var g = SeededGenerator(seed: seed)
        var config = StackConfiguration()
        config.msl = .seconds(Int(1 + g.below(5)))
        config.nagle = g.chance(0.5)
        config.delayedAck = g.chance(0.5)
        config.sack = g.chance(0.7)
        config.timestamps = g.chance(0.7)
        config.windowScaling = g.chance(0.7)
        if g.chance(0.3) {
            // Small buffers: zero windows and persist probes (RFC 9293 §3.8.6.1).
            config.receiveBufferSize = 2048 + Int(g.below(16_384))
            config.sendBufferSize = 2048 + Int(g.below(16_384))
        }
        if g.chance(0.3) { config.mss = UInt16(200 + g.below(1260)) }
        let first = randomImpairments(&g)
        var changes: [(Duration, LinkImpairments)] = []
        var t = Duration.zero
        for _ in 0..<Int(g.below(6)) {
            t += .milliseconds(Int(50 + g.below(3000)))
            if g.chance(0.25) {
                // A blackout of up to 4 s: everything lost, then the link comes back.
                changes.append((t, LinkImpairments(lossRate: 1)))
                t += .milliseconds(Int(100 + g.below(4000)))
            }
            changes.append((t, randomImpairments(&g)))
        }
        // The schedule always ends on a link that lets data through, so the transfer can finish.
        var last = randomImpairments(&g)
        last.lossRate = min(last.lossRate, 0.1)
        t += .milliseconds(Int(50 + g.below(3000)))
        changes.append((t, last))
        let bytesAToB = g.chance(0.1) ? 0 : Int(g.below(300_000))
        let bytesBToA = g.chance(0.2) ? 0 : Int(g.below(300_000))
        var scenario = DuplexScenario(name: "property", seed: seed, bytesAToB: bytesAToB, bytesBToA: bytesBToA,
                                      impairments: first, throughRouter: g.chance(0.5))
        scenario.configuration = config
        scenario.virtualTimeout = .seconds(3600)
        scenario.maxSteps = 20_000_000
        scenario.checkInvariants = true
        let schedule = changes
        scenario.configure = { network, link in
            for (at, impairments) in schedule {
                network.schedule(at: .zero + at) { _ in try? link.setImpairments(impairments) }
            }
        }
        return scenario
    }

    @Test("No crash, no lost or duplicated byte, legal end states", arguments: seeds)
    func randomSchedule(seed: UInt64) {
        let scenario = Self.scenario(seed: seed)
        let outcome = runDuplex(scenario)
        // A clean error (time-out, reset) is a legal ending if the bytes delivered so far are right and
        // the TCBs are gone; with blackouts shorter than the retry budget we expect none, so report it.
        expectClean(outcome, name: "property")
    }
}
