import ToyTCPWire

/// Follows both ends of one conversation through RFC 9293's state diagram (§3.3.2, Figure 5), segment by
/// segment, and says where each side's state changes: the labels of a ladder diagram.
///
/// A sender changes state when its segment passes (SYN → SYN-SENT, FIN → FIN-WAIT-1 or LAST-ACK); a
/// receiver when the segment arrives, as RFC 9293's figures draw it (Figure 6 line 2: SYN-SENT on the
/// left, SYN-RECEIVED on the right). Crossing segments are the exception a single capture point cannot
/// see directly: if the receiver's own next segment is a SYN or FIN that does not yet acknowledge the
/// peer's (simultaneous open, §3.5 Figure 8; simultaneous close, §3.6 Figure 13), the receiver had not
/// processed the peer's SYN or FIN when it sent its own, so the arrival is applied just after that send
/// (giving SYN-RECEIVED, or CLOSING, as the figures do). Lost segments change only their sender.
public struct LadderStateInference {
    struct Side {
        var state: TCPState?
        var initialSequence: SequenceNumber?
        /// The sequence number just past this side's FIN, once it sent one.
        var finEnd: SequenceNumber?
        /// A SYN or FIN from the peer whose arrival is applied after this side's next send.
        var pending: FlowSegment?
    }

    /// The state changes one segment causes (nil: unchanged).
    public struct Change: Equatable, Sendable {
        public var left: TCPState?
        public var right: TCPState?
    }

    /// The states to print before the first segment, and the change each segment causes.
    public static func infer(_ segments: [(segment: FlowSegment, leftToRight: Bool, lost: Bool)])
        -> (initialLeft: TCPState?, initialRight: TCPState?, changes: [Change]) {
        var sides = [Side(), Side()]   // 0: left, 1: right
        if let first = segments.first, first.segment.flags.contains(.syn), !first.segment.flags.contains(.ack) {
            let x = first.leftToRight ? 0 : 1
            sides[x].state = .closed
            // The peer either listens, or opens simultaneously (its own first segment a bare SYN too).
            // A peer that answers with a RST had nothing listening.
            let peerFirst = segments.dropFirst().first { $0.leftToRight != first.leftToRight }?.segment.flags
            let peerOpensToo = peerFirst.map { $0.contains(.syn) && !$0.contains(.ack) } ?? false
            let peerRefuses = peerFirst?.contains(.rst) ?? false
            sides[1 - x].state = peerOpensToo || peerRefuses ? .closed : .listen
        }
        let initial = (sides[0].state, sides[1].state)
        var changes: [Change] = []
        changes.reserveCapacity(segments.count)
        for (i, entry) in segments.enumerated() {
            let before = (sides[0].state, sides[1].state)
            let x = entry.leftToRight ? 0 : 1
            let y = 1 - x
            let s = entry.segment
            send(s, by: &sides[x])
            if let pending = sides[x].pending {
                sides[x].pending = nil
                arrive(pending, at: &sides[x])
            }
            if !entry.lost {
                if crossesOwnSegment(s, receiverIndex: y, after: i, in: segments) {
                    acknowledge(s, at: &sides[y])
                    sides[y].pending = s
                } else {
                    acknowledge(s, at: &sides[y])
                    arrive(s, at: &sides[y])
                }
            }
            changes.append(Change(left: sides[0].state != before.0 ? sides[0].state : nil,
                                  right: sides[1].state != before.1 ? sides[1].state : nil))
        }
        return (initial.0, initial.1, changes)
    }

    /// Whether `s` (a SYN or FIN) crossed a SYN or FIN of the receiver's that does not acknowledge it.
    static func crossesOwnSegment(_ s: FlowSegment, receiverIndex y: Int, after i: Int,
                                  in segments: [(segment: FlowSegment, leftToRight: Bool, lost: Bool)]) -> Bool {
        let isSYN = s.flags.contains(.syn) && !s.flags.contains(.ack)
        let isFIN = s.flags.contains(.fin)
        guard isSYN || isFIN else { return false }
        let receiverIsLeft = y == 0
        guard let next = segments[(i + 1)...].first(where: { $0.leftToRight == receiverIsLeft })?.segment else {
            return false
        }
        if isSYN { return next.flags.contains(.syn) && !next.flags.contains(.ack) }
        let end = s.sequence + s.sequenceLength
        return next.flags.contains(.fin) && (!next.flags.contains(.ack) || next.acknowledgment < end)
    }

    /// The sender's side of RFC 9293 §3.3.2: what sending this segment means for its own state.
    static func send(_ s: FlowSegment, by side: inout Side) {
        let f = s.flags
        if f.contains(.rst) { side.state = .closed; return }
        if f.contains(.syn) {
            if side.initialSequence == nil { side.initialSequence = s.sequence }
            if f.contains(.ack) {
                if side.state != .established { side.state = .synReceived }
            } else if side.state == nil || side.state == .closed {
                side.state = .synSent
            }
        }
        if f.contains(.fin) {
            side.finEnd = s.sequence + s.sequenceLength
            switch side.state {
            case nil, .established, .synReceived: side.state = .finWait1
            case .closeWait: side.state = .lastAck
            default: break
            }
        }
    }

    /// The receiver's side for the ACK field: the peer acknowledged our SYN or FIN.
    static func acknowledge(_ s: FlowSegment, at side: inout Side) {
        let f = s.flags
        guard f.contains(.ack), !f.contains(.rst) else { return }
        if let isn = side.initialSequence, s.acknowledgment >= isn + 1 {
            // §3.5: SYN-SENT needs the peer's SYN too; SYN-RECEIVED needs only the ACK.
            if side.state == .synReceived || (side.state == .synSent && f.contains(.syn)) {
                side.state = .established
            }
        }
        if let end = side.finEnd, s.acknowledgment >= end {
            switch side.state {
            case .finWait1: side.state = .finWait2
            case .closing: side.state = .timeWait
            case .lastAck: side.state = .closed
            default: break
            }
        }
    }

    /// The receiver's side for SYN, FIN and RST (§3.10.7).
    static func arrive(_ s: FlowSegment, at side: inout Side) {
        let f = s.flags
        if f.contains(.rst) {
            if side.state != .listen { side.state = .closed }
            return
        }
        if f.contains(.syn) && !f.contains(.ack) {
            switch side.state {
            // A CLOSED end answers with a RST instead (§3.10.7.1).
            case nil, .listen, .synSent: side.state = .synReceived
            default: break
            }
        }
        if f.contains(.fin) {
            switch side.state {
            case nil, .established, .synReceived: side.state = .closeWait
            case .finWait1: side.state = .closing
            case .finWait2: side.state = .timeWait
            default: break
            }
        }
    }
}
