import Dispatch
import Synchronization

/// A one-shot rendezvous between the loop thread, which delivers a call's result, and the application
/// thread blocked in that call.
final class CallWaiter<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    func complete(_ value: Result<T, any Error>) {
        result.withLock { $0 = value }
        semaphore.signal()
    }

    func wait() throws -> T {
        semaphore.wait()
        let value = result.withLock { $0 }
        guard let value else { fatalError("CallWaiter woken without a result") }
        return try value.get()
    }
}

/// Mutable state of one call, touched only on the loop thread (each attempt of the call runs there).
final class LoopConfined<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
