#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import ToyTCPEngine

extension EventLoop {
    /// How the loop waits for its next packet, timer or call when it has nothing to do.
    ///
    /// Why it matters: on this project's lab machine (a KVM guest whose idle vCPUs halt) a thread asleep
    /// in `epoll_wait` is woken by an inter-processor interrupt and a VM entry, which costs tens to
    /// hundreds of microseconds before the loop even reads the segment; the kernel's own TCP answers
    /// in the softirq of the CPU the segment arrived on and never pays it (README, "The live REPL on
    /// the lab"). A loop that polls instead is already running when the segment arrives, at the price
    /// of a CPU.
    public enum WaitPolicy: Hashable, Sendable, CustomStringConvertible {
        /// Block in `epoll_wait` at once (the default: no CPU used while idle).
        case sleep
        /// Poll (`epoll_wait` with a zero timeout) for up to this long after the last work, then block.
        /// A burst of traffic is answered by a running loop; an idle loop still sleeps. At most 1 s.
        case spinThenSleep(Duration)
        /// Never block: poll in a loop for as long as the loop lives, one CPU at 100% even when idle.
        /// Calls (`submit`, `stop`) and timers are seen at the next poll, so it still reacts and stops.
        case busyPoll

        /// What `set loop` shows: `sleep`, `spin 200us`, `busy-poll`.
        public var description: String {
            switch self {
            case .sleep: return "sleep"
            case .busyPoll: return "busy-poll"
            case .spinThenSleep(let d):
                let ns = d.nanosecondsClamped
                if ns % 1_000_000 == 0 { return "spin \(ns / 1_000_000)ms" }
                if ns % 1_000 == 0 { return "spin \(ns / 1_000)us" }
                return "spin \(ns)ns"
            }
        }

        /// Parses what `description` prints (`sleep`, `busy-poll`, `spin` with a duration such as
        /// `200us`, `1ms`); nil for anything else.
        public init?(_ words: [String]) {
            switch words.first {
            case "sleep"? where words.count == 1: self = .sleep
            case "busy-poll"? where words.count == 1: self = .busyPoll
            case "spin"? where words.count == 2:
                guard let d = DurationLiteral.parse(words[1], bareUnit: nil), d > .zero, d <= Self.longestSpin else { return nil }
                self = .spinThenSleep(d)
            default: return nil
            }
        }

        /// The longest spin `spinThenSleep` takes.
        public static let longestSpin = Duration.seconds(1)
    }

    /// How a thread blocked in a call (`connect`, `send`, `execute`, …) waits for the loop's answer.
    public enum CallerWait: String, Hashable, Sendable, CaseIterable {
        /// Asleep on a semaphore at once (the default): the loop's answer costs a futex wake and a
        /// context switch.
        case sleep
        /// Spins while the loop is awake working on the call, sleeps once the loop sleeps
        /// (`BlockingCall`). A result that comes while the loop is still awake (a SYN-ACK inside the
        /// SYN's `sendto` on veth) reaches the caller with no system call on either side. Measured
        /// slower on a machine with fewer free CPUs than runnable threads (README, lab benchmark).
        case adaptive
    }

    /// Changes how blocked callers wait for the loop (see `CallerWait`); for calls made from now on.
    public func setCallerWait(_ wait: CallerWait) {
        adaptiveCallerWait.store(wait == .adaptive, ordering: .relaxed)
    }

    /// Changes how the loop waits (see `WaitPolicy`); takes effect before the loop waits again.
    /// - Throws: `LinkError.loopStopped`; `.invalidLoopSetting` for a spin longer than 1 s, or
    ///   busy-polling on a real-time thread (it would starve every other thread of its CPU).
    public func setWaitPolicy(_ policy: WaitPolicy) throws {
        if case .spinThenSleep(let d) = policy, d <= .zero || d > WaitPolicy.longestSpin {
            throw LinkError.invalidLoopSetting("a spin of \(d) is out of range: give 1ns to 1s")
        }
        // On the loop's thread: it reads the new policy before it waits again (a call run inline would
        // leave a sleeping loop asleep under the old one).
        try blockingCall(onLoopThread: true) { loop, _ in
            if policy == .busyPoll && loop.realTimePriority != nil {
                throw LinkError.invalidLoopSetting("busy-polling on a real-time loop thread would starve every other thread of its CPU: turn real-time off first")
            }
            loop.waitPolicy = policy
            return .done(())
        }
    }

    /// How the loop waits now.
    public func currentWaitPolicy() throws -> WaitPolicy {
        try blockingCall { loop, _ in .done(loop.waitPolicy) }
    }

    /// Waits for events as `policy` says; returns what `epoll_wait` returned (< 0 only for an error
    /// other than EINTR). Counts blocking waits and empty polls in `counts` (the loop adds them to
    /// `linkStatistics` once it holds itself again: it waits without `ownership`).
    func waitForEvents(_ epoll: CInt, into buffer: UnsafeMutableBufferPointer<epoll_event>, policy: WaitPolicy,
                       counts: inout WaitCounts) -> Int32 {
        // One poll first whatever the policy: what the last round caused (the SYN-ACK a SYN's sendto
        // brought back on veth) is handled without the loop ever looking asleep to a waiting caller.
        let deadline: Instant?
        switch policy {
        case .sleep: deadline = nil
        case .spinThenSleep(let spin): deadline = monotonicNow() + spin
        case .busyPoll: deadline = .init(nanoseconds: .max)
        }
        repeat {
            let n = epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), 0)
            if n > 0 || (n < 0 && errno != EINTR) { return n }
            // Commands queued while the loop was awake come without an eventfd write.
            if commandsWaiting.load(ordering: .acquiring) { return 0 }
            if deadline != nil { counts.emptyPolls += 1 }
        } while deadline.map { monotonicNow() < $0 } ?? false
        guard prepareToSleep() else { return 0 }
        defer { wake() }
        while true {
            counts.blockingWaits += 1
            let n = epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), -1)
            if n >= 0 || errno != EINTR { return n }
        }
    }

    /// What one `waitForEvents` did, for `linkStatistics`.
    struct WaitCounts {
        var emptyPolls = 0
        var blockingWaits = 0
        var deferredWakeups = 0
    }

    /// Marks the loop asleep unless commands wait (then it runs them instead): from here on a new
    /// command writes the eventfd. Under the inbox's lock, so a command is either seen here or wakes
    /// the loop.
    private func prepareToSleep() -> Bool {
        let asleep = inbox.withLock { inbox -> Bool in
            guard inbox.commands.isEmpty else { return false }
            inbox.sleeping = true
            return true
        }
        if asleep { loopSleeping.store(true, ordering: .releasing) }
        return asleep
    }

    private func wake() {
        loopSleeping.store(false, ordering: .releasing)
        inbox.withLock { $0.sleeping = false }
    }
}
