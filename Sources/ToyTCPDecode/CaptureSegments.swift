/// One TCP conversation found in a capture, for choosing what to draw and listing the choices.
public struct FlowSummary: Sendable {
    /// `a` is the side that sent the first segment (the client when the handshake was captured).
    public var key: FlowKey
    public var packets = 0
    /// Payload bytes from `a` to `b` and from `b` to `a`.
    public var bytesFromA = 0
    public var bytesFromB = 0
    public var firstTime: Int64

    /// The end that sent more payload: the sender a time-sequence graph shows by default.
    public var dataSender: FlowEndpoint { bytesFromB > bytesFromA ? key.b : key.a }
}

/// Streams the IPv4 and IPv6 TCP segments of a pcap or pcapng file as `FlowSegment`s (other packets are skipped),
/// one record at a time through `PcapReader`: memory does not grow with the file.
public enum CaptureSegments {
    /// Calls `body` with each segment in file order; stops early when `body` returns false.
    public static func forEach(path: String, _ body: (FlowSegment) -> Bool) throws(PcapError) {
        let reader = try PcapReader(path: path)
        var link = LinkDecapsulator(linkType: reader.linkType)
        while let record = try reader.next() {
            guard let offset = link.ipOffset(in: record.bytes, prefix: nil) else { continue }
            let time = record.timestamp.seconds &* 1_000_000_000 &+ record.timestamp.nanoseconds
            let ip = UnsafeRawBufferPointer(rebasing: record.bytes[offset...])
            guard let s = FlowSegment(packet: ip, time: time) else { continue }
            if !body(s) { return }
        }
    }

    /// The conversations in the file, in order of first appearance.
    public static func census(path: String) throws(PcapError) -> [FlowSummary] {
        var index: [FlowKey: Int] = [:]
        var flows: [FlowSummary] = []
        try forEach(path: path) { s in
            count(s, into: &flows, index: &index)
            return true
        }
        return flows
    }

    /// Adds one segment to the conversations found so far (`index` maps each to its position).
    public static func count(_ s: FlowSegment, into flows: inout [FlowSummary], index: inout [FlowKey: Int]) {
        let key = FlowKey(a: s.source, b: s.destination)
        let i: Int
        if let known = index[key] {
            i = known
        } else {
            i = flows.count
            index[key] = i
            flows.append(FlowSummary(key: key, firstTime: s.time))
        }
        flows[i].packets += 1
        if s.source == flows[i].key.a { flows[i].bytesFromA += s.payloadLength } else { flows[i].bytesFromB += s.payloadLength }
    }
}
