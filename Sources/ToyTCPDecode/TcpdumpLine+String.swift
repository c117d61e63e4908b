import ToyTCPWire

/// One-off lines as `String`s, for tools that print a segment now and then (the script shell's `trace`,
/// `sent`/`got` and `expect` diagnostics) rather than stream a capture through an `OutputBuffer`.
extension TcpdumpLine {
    /// One IPv4/TCP or IPv6/TCP packet (`bytes` from the IP header on, all of it captured) as `tcpdump -nn -S`
    /// prints it: absolute sequence numbers, no time, no newline. Absolute because scripts write
    /// absolute numbers, so a diagnostic compares like with like.
    public static func absoluteText(_ packet: UnsafeRawBufferPointer) -> String {
        var line = TcpdumpLine(absolute: true)
        let out = OutputBuffer(flushThreshold: 4096)
        line.renderIP(packet, wireLength: packet.count, into: out)
        return out.string
    }

    /// `absoluteText` of a packet held in an array.
    public static func absoluteText(_ packet: [UInt8]) -> String {
        packet.withUnsafeBytes { absoluteText($0) }
    }

    /// A TCP options area (the bytes after the fixed 20-byte header) as tcpdump lists it inside
    /// `options [...]`: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7` (SACK edges absolute).
    public static func optionsText(_ options: UnsafeRawBufferPointer) -> String {
        let line = TcpdumpLine(absolute: true)
        let out = OutputBuffer(flushThreshold: 4096)
        out.reserve(1024)
        var afterMPTCP = false
        _ = line.renderOptions(options, from: 0, optionBytes: options.count, captured: options.count,
                               payloadEnd: options.count, sackBase: 0, flags: 0, afterMPTCP: &afterMPTCP,
                               into: out)
        return out.string
    }

    /// `optionsText` of options held as values, laid out as `TCPOption.emit` writes them.
    public static func optionsText(_ options: [TCPOption]) -> String {
        var w = ByteWriter()
        for o in options { o.emit(into: &w) }
        return w.bytes.withUnsafeBytes { optionsText($0) }
    }
}
