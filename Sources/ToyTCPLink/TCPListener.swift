import ToyTCPEngine
import ToyTCPWire

/// A listening port of a toytcp stack (RFC 9293 §3.10.1 passive OPEN), for applications.
public struct TCPListener: Sendable, Hashable, CustomStringConvertible {
    public let loop: EventLoop
    public let id: ListenerID
    /// The address listened on (`nil`: all of the stack's, both families; `::` all its IPv6 ones).
    public let address: IPAddress?
    public let port: UInt16

    public static func == (a: TCPListener, b: TCPListener) -> Bool { a.loop === b.loop && a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id.rawValue) }
    public var description: String {
        "\(id) \(address.map { IPEndpoint(address: $0, port: port).description } ?? "*:\(port)")"
    }

    /// Waits for a connection that completed its handshake and returns it.
    public func accept(timeout: Duration? = nil) throws -> TCPConnection {
        let id = id
        return try loop.blockingCall(timeout: timeout) { loop, _ in loop.acceptStep(id) }
    }

    /// `accept`, async.
    public func accept(timeout: Duration? = nil) async throws -> TCPConnection {
        let id = id
        return try await loop.asyncCall(timeout: timeout) { loop, _ in loop.acceptStep(id) }
    }

    /// Stops listening; connections not yet accepted are reset. Frees the port.
    public func close() {
        let id = id
        _ = try? loop.blockingCall { loop, now in
            loop.stack.closeListener(id, at: now)
            loop.reservations.removeValue(forKey: id)?.release()
            return .done(())
        }
    }
}

extension EventLoop {
    func acceptStep(_ id: ListenerID) -> Step<TCPConnection> {
        // Bounded by the backlog: each round takes one connection off it.
        while let connection = stack.accept(id) {
            if let snapshot = stack.snapshot(connection) {
                return .done(TCPConnection(loop: self, id: connection, tuple: snapshot.tuple))
            }
        }
        return .wait(.listener(id))
    }
}
