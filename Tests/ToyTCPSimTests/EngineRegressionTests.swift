import Foundation
import Testing
import ToyTCPEngine
import ToyTCPWire
@testable import ToyTCPSim

/// Engine bugs the simulated network found, each pinned to the seed that shows it. The engine is the
/// `engine` branch's; all three were fixed in engine dbe1365 and these tests stay as regressions.
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

    /// RFC 1122 §4.2.3.2 and RFC 5681 §4.2: a receiver should ACK at least every second full-sized
    /// segment. Found 2026-11-25 on engine 3482de2: with timestamps (12 option bytes, so full segments
    /// carry 1448 bytes) the receiver ACKs only every third segment. `Connection+Input.swift` calls
    /// `scheduleAck(fullSized: seg.payload.count >= sendMSS)`: a 1448-byte segment is never "full
    /// sized" against 1460, so only the window update (every 2 × MSS = 2920 bytes read, i.e. every
    /// third segment) acknowledges. Fix: compare with the effective MSS (or the largest segment
    /// received so far, as Linux's rcv_mss estimate does).
    @Test("Delayed ACK: at least one ACK per two full-sized segments (RFC 1122 §4.2.3.2, RFC 5681 §4.2)",
          arguments: [true, false])
    func delayedAckEverySecondSegment(timestamps: Bool) throws {
        let net = SimulatedNetwork(seed: 41)
        var config = StackConfiguration()
        config.timestamps = timestamps
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1)), configuration: config)
        var dataSegments = 0, acks = 0
        a.observePackets { o in
            guard o.direction == .outbound, let p = try? IPv4Packet.parse(o.bytes) else { return }
            if p.segment.payload.count >= 1400 { dataSegments += 1 }
        }
        b.observePackets { o in
            guard o.direction == .outbound, let p = try? IPv4Packet.parse(o.bytes) else { return }
            if p.segment.payload.isEmpty && p.segment.flags == [.ack] { acks += 1 }
        }
        let server = PeerApp.discard(port: 9)
        try b.start(server)
        try a.start(PeerApp(.source(bytes: 2_000_000), connectingTo: b.address, port: 9))
        let done = try net.runUntil(timeout: .seconds(60)) { server.totalBytesReceived == 2_000_000 }
        #expect(done)
        // Every second full-sized segment, less a little for the last odd one and window updates.
        #expect(acks * 2 + 4 >= dataSegments,
                "timestamps \(timestamps): \(acks) ACKs for \(dataSegments) full-sized segments")
    }

    /// Sender silly-window avoidance (RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4): with data queued, a
    /// sender sends full-sized segments. Found 2026-11-25 on engine 3482de2: with timestamps, after an
    /// RTO cwnd is one SMSS counted as `sendMSS` = 1460 bytes (`onRetransmitTimeout(mss: sendMSS)` in
    /// `Connection+Timers.swift`), the head retransmission carries `effectiveMSS` = 1448 bytes, and the
    /// 12 bytes of cwnd left go out at once as a 12-byte segment, after every RTO. RFC 5681 §2 defines
    /// SMSS without options (so 1448 here); and the sender SWS rule should hold a cwnd-limited sliver.
    @Test("No tiny segments split off full ones while data is queued (RFC 9293 §3.8.6.2.1)")
    func noTinyRetransmissionFragments() throws {
        let net = SimulatedNetwork(seed: 42)
        let (a, b) = try net.addPair(impairments: LinkImpairments(delay: .milliseconds(1), lossRate: 0.05))
        let total = 2_000_000
        var tiny: [String] = []
        a.observePackets { o in
            guard o.direction == .outbound, let p = try? IPv4Packet.parse(o.bytes) else { return }
            let n = p.segment.payload.count
            // The very last bytes of the stream may form a short segment; nothing else should be tiny.
            if n > 0 && n < 100 && tiny.count < 5 { tiny.append("\(o.time): \(n) bytes at seq \(p.segment.sequenceNumber)") }
        }
        let server = PeerApp.discard(port: 9)
        try b.start(server)
        // 2 000 000 = 1381 × 1448 + 312: the natural tail is 312 bytes, never under 100.
        try a.start(PeerApp(.source(bytes: total), connectingTo: b.address, port: 9))
        let done = try net.runUntil(timeout: .seconds(300)) { server.totalBytesReceived == total }
        #expect(done)
        #expect(tiny.isEmpty, "tiny segments: \(tiny.joined(separator: "; "))")
    }
}
