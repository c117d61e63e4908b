/// Why a user call on the engine failed, or why a connection ended.
public enum EngineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No connection or listener with that id.
    case unknownConnection
    /// Another connection or listener already uses that address and port.
    case addressInUse
    /// The peer answered our SYN with a RST (RFC 9293 §3.10.7.3).
    case connectionRefused
    /// The peer reset the connection.
    case connectionReset
    /// Retransmissions ran out (SYN retries or data retries).
    case timedOut
    /// The call needs a synchronized connection.
    case notConnected
    /// Sending after `shutdown`/`close` (RFC 9293 §3.10.2: "connection closing").
    case connectionClosing
    /// No free ephemeral port for that destination.
    case noEphemeralPort
    /// The local address is not one of the stack's addresses.
    case addressNotAvailable
    /// The connection was aborted by the user.
    case aborted

    public var description: String {
        switch self {
        case .unknownConnection: return "no such connection"
        case .addressInUse: return "address already in use"
        case .connectionRefused: return "connection refused"
        case .connectionReset: return "connection reset by peer"
        case .timedOut: return "connection timed out"
        case .notConnected: return "not connected"
        case .connectionClosing: return "connection closing"
        case .noEphemeralPort: return "no free ephemeral port"
        case .addressNotAvailable: return "address not available on this stack"
        case .aborted: return "connection aborted"
        }
    }
}
