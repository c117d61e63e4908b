#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ToyTCPEngine

extension EventLoop {
    /// Runs `body` with the loop in hand (on its thread, or on this one when the loop is idle) with the packet port (the stack and its stages) and the loop's
    /// clock, waits for it, and returns its result; what `body` makes the stack send goes out right
    /// after. This is how a front end acts on a live stack (the shell's interpreter): it asks the loop
    /// and waits, it never touches the stack or the socket from its own thread.
    ///
    /// `body` need not be `Sendable`: the caller is blocked until it has run, so nothing it captures is
    /// used by two threads at once (the same contract as `DispatchQueue.sync`). Once the loop has
    /// stopped nobody else uses the port, and `body` runs on the calling thread.
    public func withPort<T, E: Error>(_ body: (PacketPort, Instant) throws(E) -> T) throws(E) -> T {
        precondition(!isHeldByCallingThread, "withPort from code the event loop runs would wait for itself")
        let outcome: Result<T, E> = withoutActuallyEscaping(body) { body in
            let call = ConfinedCall(body)
            let runCall: @Sendable (EventLoop, Instant) -> Void = { loop, now in
                call.run(loop.port, now)
                loop.admitListenerPorts()
            }
            // An idle loop lets this thread run the call itself (`runInline`).
            if runInline(runCall) { return call.result! }
            let done = DispatchSemaphore(value: 0)
            let submitted = submit { loop in
                runCall(loop, monotonicNow())
                done.signal()
            }
            if submitted {
                done.wait()
            } else {
                call.run(port, monotonicNow())
            }
            return call.result!
        }
        return try outcome.get()
    }
}

/// A call made on the loop thread for a caller that waits for it (see `EventLoop.withPort`).
/// The body is released as soon as it has run, before the caller wakes: `withoutActuallyEscaping`
/// checks that nothing still holds it when `withPort` returns (the loop may still hold this object).
private final class ConfinedCall<T, E: Error>: @unchecked Sendable {
    var body: ((PacketPort, Instant) throws(E) -> T)?
    var result: Result<T, E>?
    init(_ body: @escaping (PacketPort, Instant) throws(E) -> T) { self.body = body }
    func run(_ port: PacketPort, _ now: Instant) {
        guard let body else { return }
        self.body = nil
        do throws(E) { result = .success(try body(port, now)) } catch { result = .failure(error) }
    }
}
