// RFC 9438 (CUBIC): after a congestion event the window follows W_cubic(t) = C·(t − K)^3 + W_max,
// with C = 0.4, β_cubic = 0.7, K = cbrt(W_max·(1 − β)/C); selectable, NewReno staying the default.
import Foundation
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("CUBIC (RFC 9438)")
struct CubicTests {
    /// A CUBIC controller that grew to `segments` segments of 1000 bytes in slow start and then saw a
    /// congestion event handled by SACK recovery, at virtual time `at`.
    private func afterLoss(segments: Int, at now: Instant) -> Cubic {
        var c = Cubic(initialWindowSegments: 10, mss: 1000)
        while c.cwnd < segments * 1000 { c.onAck(bytes: 1000, mss: 1000, now: now, rtt: .milliseconds(100)) }
        c.onEnterRecovery(flightSize: c.cwnd, mss: 1000)
        c.onEnterSACKRecovery()
        c.onExitSACKRecovery()
        return c
    }

    @Test("multiplicative decrease: ssthresh = cwnd·0.7, W_max = cwnd before the event (§4.6)")
    func decrease() {
        let c = afterLoss(segments: 100, at: .zero)
        #expect(c.ssthresh == 70_000)
        #expect(c.cwnd == 70_000)
        #expect(c.wMax == 100)
    }

    @Test("with a fixed 100 ms RTT, cwnd follows W_cubic(t) through the concave and convex regions (§4.2, §4.4, §4.5)")
    func followsTheCurve() {
        var c = afterLoss(segments: 100, at: .zero)
        let rtt = Int64(100)
        let k = cbrt(100 * 0.3 / 0.4)
        var samples: [(t: Double, cwnd: Double)] = []
        var now: Int64 = 0
        for _ in 0..<90 {
            // One RTT: a full window acknowledged in one-segment ACKs spread over the round.
            let acks = c.cwnd / 1000
            for i in 0..<acks {
                c.onAck(bytes: 1000, mss: 1000, now: .ms(now + rtt * Int64(i) / Int64(acks)), rtt: .milliseconds(rtt))
            }
            now += rtt
            samples.append((Double(now) / 1000, Double(c.cwnd) / 1000))
        }
        #expect(abs(c.k - k) < 0.001, "K = \(c.k), expected \(k)")
        for s in samples where s.t >= 0.5 {
            let expected = Cubic.window(at: s.t, k: k, wMax: 100)
            #expect(abs(s.cwnd - expected) / expected < 0.05, "t = \(s.t) s: cwnd \(s.cwnd), W_cubic \(expected)")
        }
        // Plateau around W_max near t = K, then convex growth beyond it.
        let atK = samples.first { $0.t >= k }!
        #expect(abs(atK.cwnd - 100) < 3)
        #expect(samples.last!.cwnd > 115)
    }

    @Test("fast convergence: a second event below W_max lowers W_max to cwnd·(1 + β)/2 (§4.7)")
    func fastConvergence() {
        var c = afterLoss(segments: 100, at: .zero)
        c.onEnterRecovery(flightSize: c.cwnd, mss: 1000)
        #expect(abs(c.wMax - 70 * 1.7 / 2) < 0.01)
    }

    @Test("a spurious event restores cwnd, ssthresh and W_max (§4.9)")
    func spuriousRestores() {
        var c = afterLoss(segments: 100, at: .zero)
        c.onEnterRecovery(flightSize: c.cwnd, mss: 1000)
        c.onSpuriousReduction(priorCwnd: 70_000, priorSsthresh: 70_000)
        #expect(c.cwnd >= 70_000 && c.ssthresh == 70_000 && c.wMax == 100)
    }

    @Test("selected per stack: a fast retransmit sets ssthresh to 0.7·cwnd (11 segments after one ACK) instead of NewReno's FlightSize/2")
    func selectable() throws {
        for (algorithm, ssthresh) in [(CongestionControlAlgorithm.newReno, 4500), (.cubic, 7700)] {
            let h = Harness(testConfiguration { $0.congestionControl = algorithm })
            let (id, iss) = h.establishedPassive(peerOptions: [.mss(1000)])
            #expect(h.stack.snapshot(id)?.congestionControl == algorithm)
            _ = h.send(id, bytes(10_000))
            for _ in 0..<10 { _ = h.transmit() }
            h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(10))
            for _ in 0..<3 { h.deliver(.ack, seq: 1001, ack: rel(iss, 1000), at: .ms(11)) }
            h.expectTransmit(.ack, seq: rel(iss, 1000), length: 1000)
            #expect(h.stack.snapshot(id)?.ssthresh == ssthresh, "\(algorithm)")
        }
        #expect(StackConfiguration().congestionControl == .newReno)
    }
}
