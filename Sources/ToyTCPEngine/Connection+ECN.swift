// Read first: RFC 3168 §6.1.1 (negotiation: SYN with ECE and CWR, SYN-ACK with ECE), §6.1.2 (the sender
// reacts to ECE at most once per window, as to a loss but without retransmitting, and sets CWR), §6.1.3
// (the receiver sets ECE on every ACK from a CE mark until it sees CWR), §6.1.5 (only new data is ECT:
// not SYNs, pure ACKs or retransmissions), §5 (ECT(0) = 0b10, CE = 0b11 in the IP header).
import ToyTCPWire

/// The IP header's ECN codepoints (RFC 3168 §5).
enum ECNCodepoint {
    static let notECT: UInt8 = 0
    static let ect0: UInt8 = 2
    static let ce: UInt8 = 3
}

extension Connection {
    /// Flags our SYN or SYN-ACK carries for ECN (RFC 3168 §6.1.1): an ECN-setup SYN is SYN+ECE+CWR; the
    /// SYN-ACK answers one with ECE alone.
    func ecnSetupFlags(passive: Bool) -> TCPFlags {
        guard configuration.ecn else { return [] }
        if passive { return ecnEnabled ? .ece : [] }
        return [.ece, .cwr]
    }

    /// The peer's SYN (passive) or SYN-ACK (active) decides whether ECN is on (RFC 3168 §6.1.1).
    func negotiateECN(_ seg: IncomingSegment, passive: Bool) {
        guard configuration.ecn else { ecnEnabled = false; return }
        if passive {
            ecnEnabled = seg.flags.contains([.ece, .cwr])
        } else {
            // "a SYN-ACK with ECE set and CWR not set" (a SYN-ACK with both is not an ECN-setup one).
            ecnEnabled = seg.flags.contains(.ece) && !seg.flags.contains(.cwr)
        }
    }

    /// Receiver side of an acceptable segment: CWR ends the echo, a CE mark starts it (RFC 3168 §6.1.3).
    func receiveECN(_ seg: IncomingSegment) {
        guard ecnEnabled else { return }
        if seg.flags.contains(.cwr) { ecnEchoPending = false }
        if seg.ipECN == ECNCodepoint.ce {
            context.statistics.ecnCEReceived += 1
            ecnEchoPending = true
            ackNow = true
        }
    }

    /// Sender side: an ACK with ECE reduces the window once per window of data (RFC 3168 §6.1.2), and
    /// the next new data segment carries CWR.
    func processECE(_ seg: IncomingSegment, at now: Instant) {
        guard ecnEnabled, seg.flags.contains(.ece), !seg.flags.contains(.syn) else { return }
        context.statistics.ecnEceReceived += 1
        guard !inRecovery, ecnRecover <= snd.una || ecnRecover == snd.iss else { return }
        ecnRecover = snd.max
        congestion.onCongestionExperienced(flightSize: snd.max - snd.una, mss: effectiveMSS)
        context.statistics.ecnReductions += 1
        cwrPending = true
    }

    /// Marks an outgoing data segment: ECT(0) on new data, CWR on the first new data after a reduction.
    func markECN(_ s: inout OutgoingSegment, isRetransmission: Bool) {
        guard ecnEnabled, s.payloadLength > 0, !isRetransmission else { return }
        s.ipECN = ECNCodepoint.ect0
        if cwrPending {
            cwrPending = false
            s.flags.insert(.cwr)
            context.statistics.ecnCwrSent += 1
        }
    }
}
