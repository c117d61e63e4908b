import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// Engine bugs the simulated network found, each pinned to the seed that shows it. The engine is the
/// `engine` branch's; these tests stay here as regressions once it is fixed.
@Suite("Engine regressions found by the simulated network")
struct EngineRegressionTests {
    /// Found 2026-11-25 on engine e58f3d7. After an RTO, `Connection+Timers.swift` rewinds SND.NXT to
    /// SND.UNA (go-back-N) and later pure ACKs are stamped with that rewound SND.NXT. The peer has
    /// already received past it (its RCV.NXT is higher), so the pure ACK fails the acceptability test
    /// (RFC 9293 §3.10.7.4 case 2: RCV.NXT =< SEG.SEQ), is dropped before its ACK field is looked at,
    /// and is answered with an ACK. When both ends are in that state they answer each other's ACKs
    /// forever, one per RTT, and neither ever learns its data was acknowledged: the transfer stalls
    /// until the data retries run out ("connection timed out", ~520 s virtual). Seed 32346 (no SACK,
    /// no timestamps) shows it 0.22 s in: host1 sends `seq 39421 ack 62781` while host2's RCV.NXT is
    /// 42341; host2 answers `seq 61321 ack 42341` while host1's RCV.NXT is 62781; and so on.
    /// With SACK and timestamps the same happens less often (integrity seeds 32343-32345 at 100 MB).
    /// Fix: stamp ACKs with the highest sequence sent (SND.MAX), as Linux's never-rewound snd_nxt
    /// does, or keep a separate retransmission pointer; and rate-limit ACKs sent in reply to
    /// unacceptable segments (Linux `tcp_invalid_ratelimit`) so an ACK war cannot run unbounded.
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
