/// An IPv6 header (RFC 8200 §3) and its extension headers (§4) as an owned value: every field.
///
/// Lossless: `parse` then `emit` gives back the bytes parsed (extension headers are kept raw, the
/// payload length can be overridden to any value). For crafting, `init` links the chain of Next Header
/// fields from `extensionHeaders` to `upperLayerProtocol`, and `emit` computes the payload length.
public struct IPv6Header: Hashable, Sendable {
    /// Traffic class (RFC 8200 §7): DSCP (high six bits, RFC 2474) and ECN (low two bits, RFC 3168).
    public var trafficClass: UInt8
    /// The 20-bit flow label (RFC 6437); bits above 20 are dropped on emit.
    public var flowLabel: UInt32
    /// A payload length to write instead of the computed one; `nil` on parse.
    public var payloadLengthOverride: UInt16?
    /// The fixed header's Next Header field.
    public var nextHeader: UInt8
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address
    /// The extension headers in order, raw.
    public var extensionHeaders: [IPv6ExtensionHeader]

    /// A header whose chain runs through `extensionHeaders` (their Next Header bytes are rewritten) to
    /// `upperLayerProtocol`.
    public init(source: IPv6Address, destination: IPv6Address, upperLayerProtocol: UInt8 = IPv6NextHeader.tcp,
                hopLimit: UInt8 = 64, trafficClass: UInt8 = 0, flowLabel: UInt32 = 0,
                extensionHeaders: [IPv6ExtensionHeader] = [], payloadLengthOverride: UInt16? = nil) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
        self.payloadLengthOverride = payloadLengthOverride
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
        var chain = extensionHeaders
        for i in chain.indices {
            chain[i].nextHeader = i + 1 < chain.count ? chain[i + 1].type : upperLayerProtocol
        }
        self.extensionHeaders = chain
        self.nextHeader = chain.first?.type ?? upperLayerProtocol
    }

    /// DSCP, the high six bits of the traffic class (RFC 2474).
    public var dscp: UInt8 {
        get { trafficClass >> 2 }
        set { trafficClass = trafficClass & 0x03 | newValue << 2 }
    }

    /// ECN, the low two bits of the traffic class (RFC 3168 §5).
    public var ecn: UInt8 {
        get { trafficClass & 0x03 }
        set { trafficClass = trafficClass & 0xFC | newValue & 0x03 }
    }

    /// The fixed header plus the extension headers, in bytes.
    public var headerLength: Int { extensionHeaders.reduce(40) { $0 + $1.bytes.count } }

    /// The protocol the chain ends in: the last extension header's Next Header, or the fixed header's.
    public var upperLayerProtocol: UInt8 { extensionHeaders.last?.nextHeader ?? nextHeader }

    /// The destination of the pseudo-header (RFC 8200 §8.1): a Routing header's final address while
    /// segments remain, else `destination`.
    public var finalDestination: IPv6Address {
        for e in extensionHeaders where e.type == IPv6NextHeader.routing && e.bytes.count >= 8 {
            let found = e.bytes.withUnsafeBytes { b -> IPv6Address? in
                IPv6RoutingHeader.finalDestinationOffset(b, at: 0, length: b.count).map { IPv6Address(bytes: b, at: $0) }
            }
            if let found { return found }
        }
        return destination
    }

    /// Appends the fixed header and the extension headers for an upper-layer payload of `payloadLength` bytes.
    public func emit(into w: inout ByteWriter, payloadLength: Int) {
        let extensions = headerLength - 40
        w.write(UInt32(6) << 28 | UInt32(trafficClass) << 20 | flowLabel & IPv6Field.flowLabelMask)
        w.write(payloadLengthOverride ?? UInt16(truncatingIfNeeded: extensions + payloadLength))
        w.write(nextHeader)
        w.write(hopLimit)
        w.write(source.high); w.write(source.low)
        w.write(destination.high); w.write(destination.low)
        for e in extensionHeaders { w.write(contentsOf: e.bytes) }
    }

    /// Validates and parses the IPv6 header and extension headers at the start of `bytes`.
    ///
    /// The checks are `IPv6HeaderView`'s gate. Returns the header and the range of the upper-layer
    /// payload. Does not check the upper layer or fragmentation: see `IPv6Packet.parse`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, baseOffset: Int = 0) throws(WireError)
        -> (header: IPv6Header, payload: Range<Int>)
    {
        let view = try IPv6HeaderView(validating: bytes, baseOffset: baseOffset)
        return (IPv6Header(view), view.payloadRange)
    }
}

extension IPv6Header {
    /// The owned header read from a validated view (extension headers copied raw). As for IPv4, the
    /// payload length is recomputed on emit, which gives the carried one back for a whole packet.
    public init(_ view: IPv6HeaderView) {
        var extensions: [IPv6ExtensionHeader] = []
        var type = view.nextHeader
        var offset = 40
        while offset < view.upperLayerOffset {
            let length: Int
            if type == IPv6NextHeader.fragment {
                length = 8
            } else if type == IPv6NextHeader.authentication {
                length = (Int(view.bytes[offset + 1]) + 2) * 4
            } else {
                length = (Int(view.bytes[offset + 1]) + 1) * 8
            }
            extensions.append(IPv6ExtensionHeader(type: type, bytes: Array(view.bytes[offset..<(offset + length)])))
            type = view.bytes[offset]
            offset += length
        }
        self.trafficClass = view.trafficClass
        self.flowLabel = view.flowLabel
        self.nextHeader = view.nextHeader
        self.hopLimit = view.hopLimit
        self.source = view.source
        self.destination = view.destination
        self.extensionHeaders = extensions
        self.payloadLengthOverride = nil
    }
}
