#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPEngine
import ToyTCPWire

/// What the loop could not send yet (EAGAIN): a packet for the raw IP socket, or a GSO frame for the
/// AF_PACKET socket with the number of segments it carries.
enum BlockedSend {
    case packet([UInt8])
    case frame([UInt8], interfaceIndex: CInt, segments: Int)

    var segments: Int {
        switch self {
        case .packet: return 1
        case .frame(_, _, let segments): return segments
        }
    }
}

/// `TOYTCP_GSO=0` turns the segmentation-offload path off for every loop of the process (a benchmark
/// runs the same binary both ways).
enum SegmentOffloadSwitch {
    static let enabled: Bool = {
        guard let value = getenv("TOYTCP_GSO") else { return true }
        return String(cString: value) != "0"
    }()
}

extension EventLoop {
    /// Sends one packet the stack emitted: it joins the current run when it continues it; otherwise the
    /// run goes out and the packet starts a new one (if it may, and the next hop's Ethernet address is
    /// known) or is written to the raw IP socket as before.
    func transmit(packet: UnsafeRawBufferPointer, at now: Instant) {
        guard segmentLink != nil, let nextHops else { return write(packet: packet, at: now) }
        if segmentRun.count > 0, segmentRun.append(packet) { return }
        sendSegmentRun(at: now)
        guard SegmentRun.isEligible(packet), let ip = try? IPv4HeaderView(validating: packet),
              let hop = nextHops.nextHop(toward: ip.destination, at: now) else {
            return write(packet: packet, at: now)
        }
        segmentRun.start(packet, ethernetHeader: hop.ethernetHeader)
        currentHop = hop
    }

    /// Sends the pending run: a single segment through the raw IP socket unchanged, two or more as one
    /// GSO frame through the AF_PACKET socket.
    func sendSegmentRun(at now: Instant) {
        guard segmentRun.count > 0 else { return }
        defer { segmentRun.reset() }
        guard segmentRun.count > 1, let segmentLink, let hop = currentHop else {
            segmentRun.withFirstPacket { write(packet: $0, at: now) }
            return
        }
        segmentRun.withFirstPacket { admitSourcePort(of: $0) }
        segmentRun.finishFrame()
        let segments = segmentRun.count
        guard blockedSends.isEmpty else {
            blockedSends.append(.frame(segmentRun.frame, interfaceIndex: hop.interfaceIndex, segments: segments))
            return
        }
        do {
            let result = try segmentRun.frame.withUnsafeBytes { frame throws(LinkError) in
                try segmentLink.send(frame, interfaceIndex: hop.interfaceIndex)
            }
            switch result {
            case .done:
                linkStatistics.packetsWritten += segments
                linkStatistics.segmentRuns += 1
                linkStatistics.segmentsInRuns += segments
            case .wouldBlock:
                linkStatistics.sendBlocked += 1
                blockedSends.append(.frame(segmentRun.frame, interfaceIndex: hop.interfaceIndex, segments: segments))
                setWatchingWritable(true)
            }
        } catch {
            // A full device queue or a link gone down: the segments are lost, TCP recovers.
            linkStatistics.sendDrops += segments
        }
    }
}
