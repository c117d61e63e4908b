import ToyTCPWire

/// One end of a TCP conversation: Wire's address-and-port value (`10.0.0.1:80`, `[fd00::1]:80`).
public typealias FlowEndpoint = IPEndpoint

/// A TCP conversation named by its two ends, `a` being the side that spoke first (the client when the
/// handshake was captured). Equality ignores direction.
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    public var a: FlowEndpoint
    public var b: FlowEndpoint

    public init(a: FlowEndpoint, b: FlowEndpoint) {
        self.a = a
        self.b = b
    }

    /// Parses `A:P-B:P` (the form `--flow` takes and `description` prints).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let a = FlowEndpoint(parts[0]), let b = FlowEndpoint(parts[1]) else { return nil }
        self.init(a: a, b: b)
    }

    public var description: String { "\(a)-\(b)" }

    public static func == (x: FlowKey, y: FlowKey) -> Bool {
        (x.a == y.a && x.b == y.b) || (x.a == y.b && x.b == y.a)
    }

    public func hash(into hasher: inout Hasher) {
        let (lo, hi) = a < b ? (a, b) : (b, a)
        hasher.combine(lo)
        hasher.combine(hi)
    }

    /// Whether a segment from `source` to `destination` belongs to this conversation.
    public func contains(source: FlowEndpoint, destination: FlowEndpoint) -> Bool {
        (source == a && destination == b) || (source == b && destination == a)
    }
}

/// The fields of one TCP segment the pictures need (ladder and time-sequence graph), decoded once from
/// the packet's bytes: a small value, so a picture never keeps the packet itself.
public struct FlowSegment: Sendable {
    /// Nanoseconds since the Unix epoch (captures) or since the simulation's start.
    public var time: Int64
    public var source: FlowEndpoint
    public var destination: FlowEndpoint
    public var flags: TCPFlags
    public var sequence: SequenceNumber
    public var acknowledgment: SequenceNumber
    /// The window field as carried, before scaling (RFC 7323 §2.3).
    public var window: UInt16
    public var payloadLength: Int
    /// The window scale option's shift, on a SYN that carries one (RFC 7323 §2.2).
    public var windowScale: UInt8?
    public var mss: UInt16?
    /// SACK blocks (RFC 2018 §3), at most four.
    public var sackBlocks: [SACKBlock]

    public init(time: Int64, source: FlowEndpoint, destination: FlowEndpoint, flags: TCPFlags,
                sequence: SequenceNumber, acknowledgment: SequenceNumber, window: UInt16, payloadLength: Int,
                windowScale: UInt8? = nil, mss: UInt16? = nil, sackBlocks: [SACKBlock] = []) {
        self.time = time
        self.source = source
        self.destination = destination
        self.flags = flags
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.window = window
        self.payloadLength = payloadLength
        self.windowScale = windowScale
        self.mss = mss
        self.sackBlocks = sackBlocks
    }

    /// Decodes an IPv4 or IPv6 packet carrying TCP; nil for anything else (not IP, not TCP, a fragment,
    /// a bad header). A capture cut short (snaplen) still yields the segment: the payload length comes
    /// from the IP header's length, as tcpdump reports it.
    public init?(ipv4 bytes: UnsafeRawBufferPointer, time: Int64) {
        self.init(packet: bytes, time: time)
    }

    /// Decodes an IPv4 or IPv6 packet carrying TCP (see `init(ipv4:time:)`); IPv6 extension headers are
    /// walked by Wire's view.
    public init?(packet bytes: UnsafeRawBufferPointer, time: Int64) {
        let source: IPAddress, destination: IPAddress, range: Range<Int>, declared: Int
        if bytes.first.map({ $0 >> 4 }) == 6 {
            guard let ip = try? IPv6HeaderView(validating: bytes, allowTruncatedPayload: true),
                  (try? ip.checkCarriesTCP()) != nil else { return nil }
            source = .v6(ip.source); destination = .v6(ip.destination)
            range = ip.payloadRange
            declared = 40 + ip.payloadLength - ip.upperLayerOffset
        } else {
            guard let ip = try? IPv4HeaderView(validating: bytes, allowTruncatedPayload: true),
                  (try? ip.checkCarriesTCP()) != nil else { return nil }
            source = .v4(ip.source); destination = .v4(ip.destination)
            range = ip.payloadRange
            declared = ip.totalLength - ip.headerLength
        }
        guard let tcp = try? TCPHeaderView(validating: UnsafeRawBufferPointer(rebasing: bytes[range]),
                                           baseOffset: range.lowerBound) else { return nil }
        self.time = time
        self.source = FlowEndpoint(address: source, port: tcp.sourcePort)
        self.destination = FlowEndpoint(address: destination, port: tcp.destinationPort)
        flags = tcp.flags
        sequence = tcp.sequenceNumber
        acknowledgment = tcp.acknowledgmentNumber
        window = tcp.window
        payloadLength = max(0, declared - tcp.headerLength)
        sackBlocks = []
        for option in tcp.options {
            switch option {
            case .windowScale(let s): windowScale = s
            case .mss(let m): mss = m
            case .sack(let blocks): sackBlocks = Array(blocks.prefix(4))
            default: break
            }
        }
    }

    /// Decodes an IPv4 packet held in an array.
    public init?(ipv4 bytes: [UInt8], time: Int64) {
        guard let s = bytes.withUnsafeBytes({ FlowSegment(ipv4: $0, time: time) }) else { return nil }
        self = s
    }

    /// The sequence space the segment occupies: payload plus one for SYN and one for FIN (RFC 9293 §3.4).
    public var sequenceLength: Int {
        payloadLength + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}
