import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// Engine bugs the simulated network found, each pinned to the seed that shows it. The engine is the
/// `engine` branch's; these tests stay here as regressions once it is fixed.
@Suite("Engine regressions found by the simulated network")
struct EngineRegressionTests {
    /// Found 2026-11-25 on engine e58f3d7: without SACK and timestamps, after a few losses both ends
    /// stop sending data and instead answer each other's pure ACKs with pure ACKs, one per RTT, until the
    /// data retries run out ("connection timed out" after ~520 s of virtual time). Seed 32346 shows it
    /// 0.22 s in: A acks 62781 (all of B's data), B acks 42341, and neither sends its queued data.
    /// RFC 9293 §3.10.7.4 (an acceptable pure ACK is processed, not answered) and RFC 5681 §3.2 (only
    /// out-of-order data triggers an immediate ACK); RFC 6298 (5.4)-(5.6) (the RTO must resend).
    @Test("No ACK war and no stall after losses, without SACK or timestamps (RFC 9293 §3.10.7.4, RFC 5681)",
          arguments: [32346, 32347, 32344] as [UInt64])
    func noAckWarWithoutSACK(seed: UInt64) {
        var scenario = DuplexScenario(name: "regression-ackwar", seed: seed, bytesAToB: 400_000, bytesBToA: 400_000,
                                      impairments: LinkImpairments(delay: .milliseconds(1), jitter: .microseconds(200),
                                                                   lossRate: 0.10, reorderRate: 0.05,
                                                                   reorderDelay: .milliseconds(2), corruptionRate: 0.01))
        scenario.configuration.sack = false
        scenario.configuration.timestamps = false
        scenario.virtualTimeout = .seconds(300)
        let outcome = runDuplex(scenario)
        expectClean(outcome, name: "regression-ackwar")
    }
}
