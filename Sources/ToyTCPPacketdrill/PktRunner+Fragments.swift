import ToyTCPWire

/// packetdrill's outbound aggregation: when the system sends a script's `> P. 1:10001(10000)` as
/// several smaller segments (Linux sizes its TSO skbs by the pacing rate and the minimum RTT:
/// `tcp_tso_autosize()`; BBR paces from the handshake RTT, so after a 100 ms handshake the kernel
/// builds 2-MSS skbs), packetdrill reads back-to-back segments of the connection until their payload
/// reaches the script's, and matches the whole (run_packet.c, `do_outbound_script_packet`; off with
/// `--strict_segments`). The original packetdrill passes the EXPECTED-PASS scripts that expect one
/// 10-MSS burst on this kernel this way, not because the kernel sends one.
///
/// A segment continues the run when it is compatible with the one before it, as packetdrill checks
/// them: the same connection, SYN RST ACK URG ECE AE flags, reserved bits, header and option lengths,
/// ACK number, window and urgent pointer; its sequence number right after the previous payload; and,
/// unless it is the last one, the same payload length as the previous (FIN, PSH and CWR may differ).
/// The whole carries the last segment's headers and time, and the first one's sequence number and CWR.
extension PktRunner {
    /// `first` joined with the segments that follow it, up to `length` bytes of payload, waiting for
    /// them until `deadline`. Stops early (leaving the rest queued) at a segment that does not continue
    /// the run; the caller's match then reports the shortfall.
    func aggregate(_ first: IPPacket, at t: Double, toPayload length: Int, deadline: Double, line: Int) throws -> (IPPacket, Double) {
        guard !strictSegments, !first.segment.payload.isEmpty, first.segment.payload.count < length else { return (first, t) }
        var fragments = [first]
        var time = t
        var total = first.segment.payload.count
        while total < length {
            if outboundQueue.isEmpty {
                while outboundQueue.isEmpty && elapsed() < deadline {
                    try finishPending(deadline: 0, line: line)
                    sut.pass(until: deadline, stopEarly: true)
                    collect()
                }
            }
            guard let (next, at) = outboundQueue.first,
                  PktRunner.continues(next, after: fragments[fragments.count - 1], isLast: total + next.segment.payload.count >= length)
            else { break }
            outboundQueue.removeFirst()
            fragments.append(next)
            total += next.segment.payload.count
            time = at
        }
        guard fragments.count > 1 else { return (first, t) }
        var whole = fragments[fragments.count - 1]
        whole.segment.sequenceNumber = first.segment.sequenceNumber
        whole.segment.flags.remove(.cwr)
        whole.segment.flags.formUnion(first.segment.flags.intersection(.cwr))
        whole.segment.payload = fragments.flatMap(\.segment.payload)
        // The lengths come from the joined payload, whatever the last segment's header said.
        switch whole {
        case .v4(var p): p.header.totalLengthOverride = nil; whole = .v4(p)
        case .v6(var p): p.header.payloadLengthOverride = nil; whole = .v6(p)
        }
        remember("> (\(fragments.count) segments read as one, as packetdrill aggregates them)", at: time)
        return (whole, time)
    }

    /// Whether `next` continues a run of segments ending with `previous` (packetdrill's
    /// `verify_packet_fragments`, non-strict header check).
    static func continues(_ next: IPPacket, after previous: IPPacket, isLast: Bool) -> Bool {
        let a = previous.segment, b = next.segment
        let compared: TCPFlags = [.syn, .rst, .ack, .urg, .ece, .ae]
        return previous.source == next.source && previous.destination == next.destination
            && previous.ipHeaderLength == next.ipHeaderLength
            && a.sourcePort == b.sourcePort && a.destinationPort == b.destinationPort
            && a.flags.intersection(compared) == b.flags.intersection(compared)
            && a.reserved == b.reserved && a.headerLength == b.headerLength
            && b.sequenceNumber == a.sequenceNumber + UInt32(a.payload.count)
            && a.acknowledgmentNumber == b.acknowledgmentNumber
            && a.window == b.window && a.urgentPointer == b.urgentPointer
            && !b.payload.isEmpty && (isLast || b.payload.count == a.payload.count)
    }
}
