import ToyTCPWire

/// What happened to a connection, for the application and the shell (`pollEvent`).
public enum ConnectionEvent: Hashable, Sendable {
    /// The handshake completed (ESTABLISHED reached).
    case connected
    /// Received data is waiting for `receive`.
    case readable
    /// Space opened in the send buffer.
    case writable
    /// The peer's FIN arrived: after the data already queued, `receive` returns end of stream.
    case peerClosed
    /// The connection failed or was reset; the TCB is gone or going.
    case failed(EngineError)
    /// The TCB was deleted (CLOSED reached after a normal close or TIME-WAIT expiry).
    case closed
    /// A state transition (RFC 9293 §3.3.2), for traces.
    case stateChanged(from: TCPState, to: TCPState)
}

/// An event of the whole stack.
public enum StackEvent: Hashable, Sendable {
    case connection(ConnectionID, ConnectionEvent)
    /// A listener has a connection ready to `accept`.
    case incoming(ListenerID)
}
