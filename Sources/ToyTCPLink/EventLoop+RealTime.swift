#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import SystemPackage

extension EventLoop {
    /// Runs the loop thread under the real-time scheduler (`SCHED_FIFO` at `priority`, 1-99), or with
    /// `nil` back under the normal one.
    ///
    /// Why: a woken real-time thread preempts normal threads at once instead of waiting for its turn,
    /// so on a loaded machine the loop answers a segment sooner (README, "The live REPL on the lab":
    /// under `chrt -f 10` the idle shell answered a SYN in 77 µs against 120 µs). It does not make the
    /// wake-up of an idle CPU itself cheaper; `WaitPolicy.busyPoll` avoids that one.
    /// - Throws: `LinkError.notRoot` without CAP_SYS_NICE; `.invalidLoopSetting` for a priority out of
    ///   1...99, or while busy-polling (a real-time thread that never sleeps starves its CPU's other
    ///   threads); `.loopStopped`.
    public func setRealTime(priority: Int32?) throws {
        if let priority, !(1...99).contains(priority) {
            throw LinkError.invalidLoopSetting("real-time priority \(priority) is out of range: give 1 to 99")
        }
        try blockingCall(onLoopThread: true) { loop, _ in
            if priority != nil && loop.waitPolicy == .busyPoll {
                throw LinkError.invalidLoopSetting("a real-time loop thread that busy-polls would starve every other thread of its CPU: set the loop to sleep or spin first")
            }
            let result = ctoytcp_set_thread_realtime(priority ?? 0)
            if result == EPERM { throw LinkError.notRoot(operation: "a real-time loop thread (SCHED_FIFO)") }
            if result != 0 { throw LinkError.system(call: "pthread_setschedparam", errno: .init(rawValue: result)) }
            loop.realTimePriority = priority
            return .done(())
        }
    }

    /// The loop thread's SCHED_FIFO priority, nil when it runs under the normal scheduler.
    public func currentRealTimePriority() throws -> Int32? {
        try blockingCall { loop, _ in .done(loop.realTimePriority) }
    }

    /// The loop thread's kernel thread id (as `/proc/self/task/ID` and `chrt -p` name it).
    public func threadID() throws -> Int32 {
        try blockingCall(onLoopThread: true) { _, _ in .done(ctoytcp_thread_id()) }
    }
}
