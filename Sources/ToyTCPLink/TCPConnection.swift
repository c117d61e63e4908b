#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine
import ToyTCPWire

/// A connection of a toytcp stack, for applications: a handle (`Sendable`, cheap to copy) whose calls
/// run on the event loop that owns the stack. Each call comes blocking and async.
///
/// Errors are `EngineError`: `.connectionReset` once the peer reset the connection, `.timedOut` when
/// retransmissions ran out (or the call's own `timeout` passed), `.connectionClosing` after `shutdown`.
public struct TCPConnection: Sendable, Hashable, CustomStringConvertible {
    public let loop: EventLoop
    public let id: ConnectionID
    /// Local and remote address and port.
    public let tuple: FourTuple

    init(loop: EventLoop, id: ConnectionID, tuple: FourTuple) {
        self.loop = loop
        self.id = id
        self.tuple = tuple
    }

    public static func == (a: TCPConnection, b: TCPConnection) -> Bool { a.loop === b.loop && a.id == b.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
    public var description: String { "\(id) \(tuple)" }

    // MARK: Sending

    /// Queues all of `bytes` for sending, waiting for send-buffer space as needed (RFC 9293 §3.10.2).
    /// Returns when the last byte is queued, not when it is acknowledged.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) throws {
        let id = id
        let sent = LoopConfined(0)
        try loop.blockingCall(timeout: timeout) { loop, now in try loop.sendStep(id, bytes, sent, at: now) }
    }

    /// `send`, async.
    public func send(_ bytes: [UInt8], timeout: Duration? = nil) async throws {
        let id = id
        let sent = LoopConfined(0)
        try await loop.asyncCall(timeout: timeout) { loop, now in try loop.sendStep(id, bytes, sent, at: now) }
    }

    /// Sends the UTF-8 bytes of `text`.
    public func send(_ text: String, timeout: Duration? = nil) throws { try send(Array(text.utf8), timeout: timeout) }

    // MARK: Receiving

    /// Waits for received data and returns up to `maxLength` bytes of it; `nil` at end of stream
    /// (the peer's FIN arrived and everything before it was read).
    public func receive(maxLength: Int = 65_536, timeout: Duration? = nil) throws -> [UInt8]? {
        let id = id
        return try loop.blockingCall(timeout: timeout) { loop, now in try loop.receiveStep(id, maxLength, at: now) }
    }

    /// `receive`, async.
    public func receive(maxLength: Int = 65_536, timeout: Duration? = nil) async throws -> [UInt8]? {
        let id = id
        return try await loop.asyncCall(timeout: timeout) { loop, now in try loop.receiveStep(id, maxLength, at: now) }
    }

    /// Reads until end of stream (or `limit` bytes, whichever first).
    public func receiveAll(limit: Int = .max, timeout: Duration? = nil) throws -> [UInt8] {
        var all: [UInt8] = []
        while all.count < limit, let chunk = try receive(maxLength: min(1 << 20, limit - all.count), timeout: timeout) {
            all += chunk
        }
        return all
    }

    // MARK: Closing

    /// Half-close (RFC 9293 §3.10.4): a FIN follows the queued data; receiving goes on.
    public func shutdown() throws {
        let id = id
        try loop.blockingCall { loop, now -> Step<Void> in
            do throws(EngineError) { try loop.stack.shutdown(id, at: now) } catch { throw loop.explain(error, for: id) }
            return .done(())
        }
    }

    /// `shutdown`, async.
    public func shutdown() async throws {
        let id = id
        try await loop.asyncCall { loop, now -> Step<Void> in
            do throws(EngineError) { try loop.stack.shutdown(id, at: now) } catch { throw loop.explain(error, for: id) }
            return .done(())
        }
    }

    /// Closes both directions (RFC 9293 §3.10.4): the queued data, then a FIN, go out; returns at once.
    /// A connection that already ended (reset, closed by both sides) closes without error.
    public func close() throws {
        let id = id
        try loop.blockingCall { loop, now in try loop.closeStep(id, at: now) }
    }

    /// `close`, async.
    public func close() async throws {
        let id = id
        try await loop.asyncCall { loop, now in try loop.closeStep(id, at: now) }
    }

    /// ABORT (RFC 9293 §3.10.5): a RST, and the connection is gone at once.
    public func abort() {
        let id = id
        _ = try? loop.blockingCall { loop, now in
            loop.stack.abort(id, at: now)
            return .done(())
        }
    }

    /// ABORT from code the loop runs (a completion of `EventLoop.connect(…onLoop:)`): the
    /// RST goes out in the loop's next flush, right after that code returns.
    public func abortOnLoop() {
        precondition(loop.isHeldByCallingThread, "abortOnLoop() from code the event loop does not run")
        loop.stack.abort(id, at: monotonicNow())
    }

    /// The connection's variables now (`nil` once the TCB is deleted).
    public func snapshot() throws -> ConnectionSnapshot? {
        let id = id
        return try loop.blockingCall { loop, _ in .done(loop.stack.snapshot(id)) }
    }
}

extension EventLoop {
    func sendStep(_ id: ConnectionID, _ bytes: [UInt8], _ sent: LoopConfined<Int>, at now: Instant) throws -> Step<Void> {
        while sent.value < bytes.count {
            let result = bytes.withUnsafeBytes { all in
                Result { () throws(EngineError) -> Int in
                    try stack.send(id, UnsafeRawBufferPointer(rebasing: all[sent.value...]), at: now)
                }
            }
            let accepted: Int
            switch result {
            case .success(let count): accepted = count
            case .failure(let error): throw explain(error, for: id)
            }
            if accepted == 0 { return .wait(.connection(id)) }
            sent.value += accepted
        }
        return .done(())
    }

    func receiveStep(_ id: ConnectionID, _ maxLength: Int, at now: Instant) throws -> Step<[UInt8]?> {
        let bytes: [UInt8]?
        do throws(EngineError) {
            bytes = try stack.receive(id, maxLength: max(1, maxLength), at: now)
        } catch {
            // A TCB deleted after an orderly close on both sides: everything was read, so end of stream.
            if error == .unknownConnection, endings[id] == .closed { return .done(nil) }
            throw explain(error, for: id)
        }
        guard let bytes else { return .done(nil) }
        return bytes.isEmpty ? .wait(.connection(id)) : .done(bytes)
    }

    func closeStep(_ id: ConnectionID, at now: Instant) throws -> Step<Void> {
        do throws(EngineError) {
            try stack.close(id, at: now)
        } catch {
            // Closing what already ended is not an error for the application; a reset was reported
            // by the call that saw it.
            if error != .unknownConnection && error != .connectionClosing { throw explain(error, for: id) }
        }
        return .done(())
    }
}
