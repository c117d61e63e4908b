import ToyTCPWire

/// `show`: a captured packet as a one-line summary and the RFC 9293 §3.1 header diagram.
enum SegmentView {
    static func render(_ bytes: [UInt8]) -> String {
        guard let p = try? IPv4Packet.parse(bytes) else { return "malformed packet (\(bytes.count) bytes)" }
        return SegmentLine.render(p) + "\n" + HeaderDiagramText.render(p)
    }
}

/// A plain header diagram used until the decoder's is merged.
enum HeaderDiagramText {
    static func render(_ p: IPv4Packet) -> String {
        let s = p.segment
        return """
        source port \(s.sourcePort) | destination port \(s.destinationPort)
        sequence number \(s.sequenceNumber)
        acknowledgment number \(s.acknowledgmentNumber)
        data offset \(s.dataOffset) | flags [\(s.flags)] | window \(s.window)
        checksum 0x\(String(s.checksum, radix: 16)) | urgent pointer \(s.urgentPointer)
        options [\(SegmentLine.options(s.options))]
        payload \(s.payload.count) bytes
        """
    }
}
