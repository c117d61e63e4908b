/// Why a capture file could not be read (or written), in words a user can act on.
public struct PcapError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or is not a pcap/pcapng file.
        case open
        /// A link-layer type the decoder does not read.
        case unsupportedLinkType(Int32)
        /// A record is truncated or corrupt; `record` is its 1-based number.
        case corruptRecord(record: Int)
        /// Writing failed.
        case write
        /// A filter expression libpcap would not compile; the detail is libpcap's message.
        case filter
        /// A live capture could not start (no such interface, no permission).
        case capture
    }

    public var kind: Kind
    /// libpcap's or the system's explanation.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .open: return detail
        case .unsupportedLinkType(let dlt):
            return "link-layer type \(dlt) (\(detail)) is not supported; supported: raw IP (101, 228), Ethernet (1), Linux cooked (113, 276)"
        case .corruptRecord(let record): return "record \(record): \(detail)"
        case .write, .filter, .capture: return detail
        }
    }
}
