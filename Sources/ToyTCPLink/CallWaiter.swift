#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// A one-shot rendezvous between the loop thread, which delivers a call's result, and the application
/// thread blocked in that call.
///
/// The waiter can spin (`CallWaiterTuning`) before it sleeps on the semaphore: a connect is answered
/// within tens of microseconds, and a thread that sleeps pays a futex wait, a futex wake on the loop's
/// side and a context switch (bench-lab's profile of the handshake: ~10% of the samples were futex
/// calls). While the waiter spins, the loop's `signal` finds nobody asleep and makes no system call.
final class CallWaiter<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)
    private let isComplete = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func complete(_ value: Result<T, any Error>) {
        result.withLock { $0 = value }
        isComplete.store(true, ordering: .releasing)
        semaphore.signal()
    }

    func wait() throws -> T {
        if !spin() { semaphore.wait() }
        let value = result.withLock { $0 }
        guard let value else { fatalError("CallWaiter woken without a result") }
        return try value.get()
    }

    /// True if the result arrived within the spin limit.
    private func spin() -> Bool {
        let limit = CallWaiterTuning.spinMicroseconds
        guard limit > 0 else { return false }
        let deadline = monotonicNow() + .microseconds(limit)
        while true {
            for _ in 0..<64 {
                if isComplete.load(ordering: .acquiring) { return true }
            }
            if monotonicNow() >= deadline { return false }
        }
    }
}

/// How long the caller waiting for a result (`CallWaiter`) spins before it sleeps (the loop's own
/// spinning is `EventLoop.WaitPolicy`). Spinning only pays while another CPU does the
/// work being waited for. Off by default: on the 2-vCPU guest shared with builds, a 50 µs spin of the
/// caller cut the handshake's fastest connect by ~10 µs but raised its median by 15-90% (the spinning
/// thread takes the CPU the loop and the kernel's softirq need); see README, lab benchmark.
/// Settable for benchmarks, read once at start: `TOYTCP_SPIN_US` (microseconds, 0: never spin).
enum CallWaiterTuning {
    static let spinMicroseconds = microseconds(from: "TOYTCP_SPIN_US", default: 0)

    private static func microseconds(from variable: String, default value: Int) -> Int {
        guard let text = getenv(variable), let parsed = Int(String(cString: text)), parsed >= 0 else { return value }
        return min(parsed, 10_000)
    }
}

/// Mutable state of one call, touched only on the loop thread (each attempt of the call runs there).
final class LoopConfined<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
