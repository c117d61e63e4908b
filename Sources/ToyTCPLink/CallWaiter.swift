#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// A one-shot rendezvous between the loop thread, which delivers a call's result, and the application
/// thread blocked in that call.
///
/// By default the waiter sleeps on the semaphore at once (`EventLoop.CallerWait.sleep`). With
/// `.adaptive` it spins while the loop works on its call and sleeps only once the loop has gone to
/// sleep: a blocking `connect` on the lab is usually
/// answered while the loop is still awake (the SYN-ACK comes back inside the SYN's `sendto` on veth),
/// and a caller asleep there pays a futex wait, a futex wake on the loop's side and a context switch
/// (~10% of the samples of a handshake's profile). A caller never spins against a sleeping loop that
/// has its call: it would take a CPU for a result that needs a packet to arrive first. Before the
/// loop has taken the call (it is being woken) the caller spins too, at most `spinLimit`. Measured
/// on the shared 2-vCPU machine it made the median connect 1.4-1.7× slower (the fastest ones faster),
/// so it is not the default (README, lab benchmark).
final class CallWaiter<T: Sendable>: @unchecked Sendable {
    /// Written once, by `complete`, before `isComplete` is set with release ordering; read only after
    /// `isComplete` was seen set with acquire ordering (or after the semaphore, signalled after it).
    /// No lock: a generic `Mutex` here instantiated three generic types' metadata at run time on each
    /// call (about 2,000 instructions a blocking call, measured with callgrind).
    private var result: Result<T, any Error>?
    private let isComplete = Atomic<Bool>(false)
    /// The thread that delivered the result: the caller itself when the call ran inline.
    private let completer = Atomic<UInt>(0)
    /// Set by the loop when it first runs the call.
    private let isStarted = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)
    /// Bounds a spin whatever the loop does (a loop busy with a long batch, a starved CPU).
    static var spinLimit: Duration { .milliseconds(1) }

    func complete(_ value: Result<T, any Error>) {
        result = value
        completer.store(pthread_self(), ordering: .relaxed)
        isComplete.store(true, ordering: .releasing)
        semaphore.signal()
    }

    /// Called on the loop each time it runs the call.
    func markStarted() {
        isStarted.store(true, ordering: .releasing)
    }

    /// Waits for the result: spinning while `loop` works on the call (when `adaptive`), then asleep.
    func wait(on loop: EventLoop, adaptive: Bool) throws -> T {
        // Done on this very thread: the call ran inline (`EventLoop.runInline`), nothing to wait for.
        if isComplete.load(ordering: .acquiring) && completer.load(ordering: .relaxed) == pthread_self() {
        } else if !adaptive || !spinWhileLoopWorks(loop) {
            loop.callerSleeps.add(1, ordering: .relaxed)
            semaphore.wait()
            // The semaphore orders this after `complete`; the acquiring load says so to the memory model.
            _ = isComplete.load(ordering: .acquiring)
        }
        guard let value = result else { fatalError("CallWaiter woken without a result") }
        return try value.get()
    }

    /// True if the result arrived while spinning; false once the loop sleeps with the call in hand (or
    /// the spin limit passed): then the caller must sleep.
    private func spinWhileLoopWorks(_ loop: EventLoop) -> Bool {
        let deadline = monotonicNow() + Self.spinLimit
        while true {
            for _ in 0..<64 {
                if isComplete.load(ordering: .acquiring) { return true }
                if isStarted.load(ordering: .acquiring) && loop.loopSleeping.load(ordering: .acquiring) {
                    return isComplete.load(ordering: .acquiring)
                }
            }
            if monotonicNow() >= deadline { return false }
            // Let the loop (or the kernel's softirq) have this CPU if they are waiting for one: on
            // a machine with fewer free CPUs than runnable threads a pure spin delays the very work
            // it waits for. Returns at once when nobody else wants the CPU.
            sched_yield()
        }
    }
}

/// Mutable state of one call, touched only with the loop held (each attempt of the call runs so).
final class LoopConfined<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
