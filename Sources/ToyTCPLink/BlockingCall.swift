#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// A blocking call: the operation the loop runs (`ParkedOperation`) and the rendezvous between whoever
/// delivers its result (the loop's thread, or the caller itself when the call runs inline) and the
/// application thread blocked in it, in one object.
///
/// Made on the calling thread (it takes that thread's semaphore). By default the caller sleeps on the
/// semaphore at once unless the result is already there (`EventLoop.CallerWait.sleep`). With
/// `.adaptive` it spins while the loop works on its call and sleeps only once the loop has gone to
/// sleep: a blocking `connect` on the lab is usually
/// answered while the loop is still awake (the SYN-ACK comes back inside the SYN's `sendto` on veth),
/// and a caller asleep there pays a futex wait, a futex wake on the loop's side and a context switch
/// (~10% of the samples of a handshake's profile). A caller never spins against a sleeping loop that
/// has its call: it would take a CPU for a result that needs a packet to arrive first. Before the
/// loop has taken the call (it is being woken) the caller spins too, at most `spinLimit`. Measured
/// on the shared 2-vCPU machine it made the median connect 1.4-1.7× slower (the fastest ones faster),
/// so it is not the default (README, lab benchmark).
final class BlockingCall<T: Sendable>: ParkedOperation, @unchecked Sendable {
    /// Written once, by `deliver`, before `state` becomes `complete` (release ordering); read only
    /// after `state` was seen `complete` (acquire ordering). No lock: a generic `Mutex` here
    /// instantiated three generic types' metadata at run time on each call (about 2,000 instructions a
    /// blocking call, measured with callgrind).
    /// (No run-time exclusivity check either: the check is per thread, and `state` orders the two
    /// accesses.)
    @exclusivity(unchecked) private var result: Result<T, any Error>?
    /// `pending`, then `complete`; or `pending`, `sleeping` (the caller is about to sleep on the
    /// semaphore, so `deliver` must signal it), `complete`. Exactly one signal per sleep, which is what
    /// lets the semaphore be the calling thread's, reused by all its calls.
    private let state = Atomic<UInt8>(0)  // pending
    private static var pending: UInt8 { 0 }
    private static var complete: UInt8 { 1 }
    private static var sleeping: UInt8 { 2 }
    /// Set by the loop when it runs the call (`adaptive` only).
    private let isStarted = Atomic<Bool>(false)
    /// The calling thread's (`ThreadSemaphore`): made once per thread, not once per call.
    private let semaphore = ThreadSemaphore.current
    /// The caller spins while the loop works on the call (`EventLoop.CallerWait.adaptive`).
    private let adaptive: Bool
    private let body: @Sendable (EventLoop, Instant) throws -> Step<T>
    private let onAbandon: (@Sendable (EventLoop) -> Void)?
    /// Bounds a spin whatever the loop does (a loop busy with a long batch, a starved CPU).
    static var spinLimit: Duration { .milliseconds(1) }

    init(timeout: Duration?, onAbandon: (@Sendable (EventLoop) -> Void)?, adaptive: Bool,
         body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>) {
        self.adaptive = adaptive
        self.body = body
        self.onAbandon = onAbandon
        super.init(timeout: timeout) { operation, loop, now, input in
            let call = unsafeDowncast(operation, to: BlockingCall<T>.self)
            // Tells a spinning caller the loop has the call in hand.
            if call.adaptive { call.isStarted.store(true, ordering: .releasing) }
            return callStep(input, loop, now, body: call.body, onAbandon: call.onAbandon) { call.deliver($0) }
        }
    }

    private func deliver(_ value: Result<T, any Error>) {
        result = value
        if state.exchange(Self.complete, ordering: .acquiringAndReleasing) == Self.sleeping { semaphore.signal() }
    }

    /// Waits for the result: spinning while `loop` works on the call (when `adaptive`), then asleep.
    func wait(on loop: EventLoop) throws -> T {
        // Already done (the call ran inline, `EventLoop.runInline`, or the loop was quicker): nothing to
        // wait for. Otherwise spin if `adaptive`, then sleep unless the result came meanwhile.
        if state.load(ordering: .acquiring) != Self.complete && !(adaptive && spinWhileLoopWorks(loop)),
           state.compareExchange(expected: Self.pending, desired: Self.sleeping, ordering: .acquiringAndReleasing).exchanged {
            loop.callerSleeps.add(1, ordering: .relaxed)
            semaphore.wait()
            // The semaphore orders this after `complete`; the acquiring load says so to the memory model.
            _ = state.load(ordering: .acquiring)
        }
        guard let value = result else { fatalError("BlockingCall woken without a result") }
        return try value.get()
    }

    /// True if the result arrived while spinning; false once the loop sleeps with the call in hand (or
    /// the spin limit passed): then the caller must sleep.
    private func spinWhileLoopWorks(_ loop: EventLoop) -> Bool {
        let deadline = monotonicNow() + Self.spinLimit
        while true {
            for _ in 0..<64 {
                if state.load(ordering: .acquiring) == Self.complete { return true }
                if isStarted.load(ordering: .acquiring) && loop.loopSleeping.load(ordering: .acquiring) {
                    return state.load(ordering: .acquiring) == Self.complete
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

/// Each thread's semaphore for sleeping in a blocking call (`BlockingCall`): a `pthread` key holds it,
/// and its destructor releases it when the thread ends. Creating and destroying a `DispatchSemaphore`
/// for each call cost about 1,500 instructions a call (callgrind).
enum ThreadSemaphore {
    static var current: DispatchSemaphore {
        if let known = pthread_getspecific(threadSemaphoreKey) {
            return Unmanaged<DispatchSemaphore>.fromOpaque(known).takeUnretainedValue()
        }
        let semaphore = DispatchSemaphore(value: 0)
        pthread_setspecific(threadSemaphoreKey, Unmanaged.passRetained(semaphore).toOpaque())
        return semaphore
    }
}

private let threadSemaphoreKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, { value in
        if let value { Unmanaged<DispatchSemaphore>.fromOpaque(value).release() }
    }) == 0, "pthread_key_create")
    return key
}()

/// Mutable state of one call, touched only with the loop held (each attempt of the call runs so).
final class LoopConfined<Value>: @unchecked Sendable {
    /// Touched by one holder of the loop at a time, never while another access is under way.
    @exclusivity(unchecked) var value: Value
    init(_ value: Value) { self.value = value }
}
