/// The connection states of RFC 9293 §3.3.2: the vocabulary the engine keeps in its TCBs and the decoder
/// infers from a capture for its ladder diagrams, printed with the RFC's names (`SYN-SENT`).
public enum TCPState: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case closed = "CLOSED"
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"

    public var description: String { rawValue }

    /// States in which both ends have exchanged SYNs (RFC 9293 §3.5 "synchronized states").
    public var isSynchronized: Bool {
        switch self {
        case .closed, .listen, .synSent, .synReceived: return false
        default: return true
        }
    }
}
