import ToyTCPEngine
import ToyTCPWire

/// The small built-in programs a simulated peer runs, the ones RFC 862/863/864 describe:
/// - `echo`: sends back every byte it receives (RFC 862), closes after the peer closes;
/// - `discard`: reads and throws away everything (RFC 863), closes after the peer closes;
/// - `source(bytes:)`: sends N bytes of the RFC 864 chargen pattern, then half-closes, reading and
///   discarding whatever comes, and closes when the peer closes.
///
/// Each either listens on a port (a server, `PeerApp.echo(port: 7)`) or connects out (a client,
/// `PeerApp(.source(bytes: 1_000_000), connectingTo: addr, port: 9)`). It serves any number of
/// connections and keeps counters the shell can show.
public final class PeerApp: SimulatedApp {
    public enum Behavior: Hashable, Sendable, CustomStringConvertible {
        case echo
        case discard
        case source(bytes: Int)
        public var description: String {
            switch self {
            case .echo: return "echo"
            case .discard: return "discard"
            case let .source(n): return "send \(n) bytes"
            }
        }
    }

    public enum Role: Hashable, Sendable {
        case listen(port: UInt16)
        case connect(address: IPAddress, port: UInt16)
    }

    /// One connection the app serves.
    public struct SessionInfo: Hashable, Sendable {
        public var id: ConnectionID
        public var bytesReceived: Int
        public var bytesSent: Int
        public var finished: Bool
        public var error: EngineError?
    }

    private final class Session {
        let id: ConnectionID
        var output = ByteQueue()          // echo: received bytes not yet accepted by `send`
        var sourceOffset = 0              // source: bytes of the pattern accepted by `send`
        var sourceChunk: [UInt8] = []     // source: pattern bytes from `sourceChunkStart`, made once
        var sourceChunkStart = 0
        var bytesReceived = 0
        var bytesSent = 0
        var peerClosed = false
        var shutDown = false
        var closed = false
        var error: EngineError?
        init(id: ConnectionID) { self.id = id }
    }

    public let behavior: Behavior
    public let role: Role
    public private(set) var listener: ListenerID?
    private var sessions: [Session] = []
    private var finished: [SessionInfo] = []

    /// Totals over all connections, finished ones included.
    public private(set) var connectionsOpened = 0
    public private(set) var totalBytesReceived = 0
    public private(set) var totalBytesSent = 0
    /// Called with each chunk the app reads (the shell shows it; tests hash it).
    public var onReceive: ((ConnectionID, [UInt8]) -> Void)?

    private var readBuffer: [UInt8] = []

    /// The largest echo backlog before the app stops reading (back-pressure to the peer).
    public var echoBacklogLimit = 256 * 1024
    /// Bytes read or written per call.
    public var chunkSize = 64 * 1024

    public init(_ behavior: Behavior, role: Role) {
        self.behavior = behavior
        self.role = role
    }

    public convenience init(_ behavior: Behavior, connectingTo address: IPv4Address, port: UInt16) {
        self.init(behavior, connectingTo: .v4(address), port: port)
    }

    /// A peer that connects to `address:port` (either family) and then behaves as `behavior`.
    public convenience init(_ behavior: Behavior, connectingTo address: IPAddress, port: UInt16) {
        self.init(behavior, role: .connect(address: address, port: port))
    }

    public static func echo(port: UInt16 = 7) -> PeerApp { PeerApp(.echo, role: .listen(port: port)) }
    public static func discard(port: UInt16 = 9) -> PeerApp { PeerApp(.discard, role: .listen(port: port)) }
    public static func source(port: UInt16 = 19, bytes: Int) -> PeerApp {
        PeerApp(.source(bytes: max(0, bytes)), role: .listen(port: port))
    }

    public var description: String {
        switch role {
        case let .listen(port): return "\(behavior) on port \(port)"
        case let .connect(address, port): return "\(behavior) to \(address):\(port)"
        }
    }

    /// Every connection, live and finished, oldest first.
    public var connections: [SessionInfo] {
        finished + sessions.map {
            SessionInfo(id: $0.id, bytesReceived: $0.bytesReceived, bytesSent: $0.bytesSent, finished: false, error: $0.error)
        }
    }

    /// The connections still being served.
    public var activeConnections: [ConnectionID] { sessions.map(\.id) }

    public func start(on host: SimulatedHost, at now: Instant) throws(EngineError) {
        switch role {
        case let .listen(port):
            listener = try host.stack.listen(port: port)
        case let .connect(address, port):
            let id = try host.stack.connect(to: address, port: port, at: now)
            sessions.append(Session(id: id))
            connectionsOpened += 1
        }
    }

    public func stop(on host: SimulatedHost, at now: Instant) {
        if let listener { host.stack.closeListener(listener, at: now) }
        listener = nil
        for s in sessions where !s.closed { try? host.stack.close(s.id, at: now) }
    }

    public func handle(_ event: StackEvent, on host: SimulatedHost, at now: Instant) {
        switch event {
        case let .incoming(l) where l == listener:
            acceptAll(on: host)
        case let .connection(id, .failed(error)):
            if let s = sessions.first(where: { $0.id == id }) { s.error = error; retire(s) }
        case let .connection(id, .closed):
            if let s = sessions.first(where: { $0.id == id }) { retire(s) }
        case let .connection(id, _):
            if let s = sessions.first(where: { $0.id == id }) { service(s, on: host, at: now) }
        default:
            break
        }
    }

    public func poll(on host: SimulatedHost, at now: Instant) {
        acceptAll(on: host)
        for s in sessions { service(s, on: host, at: now) }
    }

    private func acceptAll(on host: SimulatedHost) {
        guard let listener else { return }
        while let id = host.stack.accept(listener) {
            sessions.append(Session(id: id))
            connectionsOpened += 1
        }
    }

    private func retire(_ s: Session) {
        sessions.removeAll { $0 === s }
        finished.append(SessionInfo(id: s.id, bytesReceived: s.bytesReceived, bytesSent: s.bytesSent,
                                    finished: true, error: s.error))
        if finished.count > 1000 { finished.removeFirst(finished.count - 1000) }
    }

    /// Moves bytes both ways as far as the stack allows, then closes when the behaviour says so.
    private func service(_ s: Session, on host: SimulatedHost, at now: Instant) {
        guard !s.closed else { return }
        let stack = host.stack
        // Connections still in the handshake have nothing to do yet.
        guard let state = stack.state(of: s.id) else { retire(s); return }
        guard state.isSynchronized else { return }
        do {
            try write(s, stack: stack, at: now)
            try read(s, stack: stack, at: now)
            try write(s, stack: stack, at: now)
            switch behavior {
            case .echo, .discard:
                if s.peerClosed && s.output.isEmpty {
                    try stack.close(s.id, at: now)
                    s.closed = true
                }
            case let .source(total):
                if s.sourceOffset >= total && !s.shutDown {
                    try stack.shutdown(s.id, at: now)
                    s.shutDown = true
                }
                if s.shutDown && s.peerClosed {
                    try stack.close(s.id, at: now)
                    s.closed = true
                }
            }
        } catch {
            s.error = error
            if error != .connectionClosing { retire(s) }
        }
    }

    private func write(_ s: Session, stack: Stack, at now: Instant) throws(EngineError) {
        switch behavior {
        case .discard:
            return
        case .echo:
            var failure: EngineError?
            while !s.output.isEmpty && failure == nil {
                var accepted = 0
                s.output.consume { buf in
                    do throws(EngineError) { accepted = try stack.send(s.id, buf, at: now) } catch { failure = error }
                    return accepted
                }
                s.bytesSent += accepted
                totalBytesSent += accepted
                if accepted == 0 { break }
            }
            if let failure { throw failure }
        case let .source(total):
            while s.sourceOffset < total && !s.shutDown {
                // Make the next chunk of the pattern only when the previous one has been taken.
                if s.sourceOffset >= s.sourceChunkStart + s.sourceChunk.count {
                    s.sourceChunkStart = s.sourceOffset
                    ChargenPattern.fill(&s.sourceChunk, from: s.sourceOffset, count: min(chunkSize, total - s.sourceOffset))
                }
                let skip = s.sourceOffset - s.sourceChunkStart
                let n = s.sourceChunk.count - skip
                let result = s.sourceChunk.withUnsafeBytes { buf in
                    Result { () throws(EngineError) -> Int in
                        try stack.send(s.id, UnsafeRawBufferPointer(rebasing: buf[skip...]), at: now)
                    }
                }
                let accepted = try result.get()
                s.sourceOffset += accepted
                s.bytesSent += accepted
                totalBytesSent += accepted
                if accepted < n { break }
            }
        }
    }

    private func read(_ s: Session, stack: Stack, at now: Instant) throws(EngineError) {
        if readBuffer.count != chunkSize { readBuffer = [UInt8](repeating: 0, count: chunkSize) }
        while !s.peerClosed {
            if behavior == .echo && s.output.count >= echoBacklogLimit { return }
            // Into one reusable buffer: no allocation per read.
            let result = readBuffer.withUnsafeMutableBytes { buf in
                Result { () throws(EngineError) -> Int? in try stack.receive(s.id, into: buf, at: now) }
            }
            guard let n = try result.get() else {
                s.peerClosed = true
                return
            }
            if n == 0 { return }
            s.bytesReceived += n
            totalBytesReceived += n
            if onReceive != nil || behavior == .echo {
                let data = Array(readBuffer[0..<n])
                onReceive?(s.id, data)
                if behavior == .echo { s.output.append(data) }
            }
        }
    }
}
