/// Counters of the event loop and its raw socket (the engine's own are `StackStatistics`).
public struct LinkStatistics: Hashable, Sendable {
    /// Packets read from the raw socket, whoever they were for.
    public var packetsRead = 0
    /// Packets handed to the stack (addressed to one of its addresses).
    public var packetsDelivered = 0
    /// Packets for other addresses of the namespace (the raw socket sees every local TCP segment).
    public var packetsNotForUs = 0
    /// Packets longer than the receive buffer, or shorter than an IPv4 header: dropped.
    public var packetsTruncated = 0
    /// Packets written to the raw socket (stack output and injected packets).
    public var packetsWritten = 0
    /// Packets the kernel refused to queue (ENOBUFS, unreachable): lost, as TCP expects of a network.
    public var sendDrops = 0
    /// Times `sendto` said the socket queue was full and the loop waited for it to drain.
    public var sendBlocked = 0
    /// Wake-ups of the loop (epoll returns).
    public var wakeups = 0
    /// Calls of `epoll_wait` that could block (the loop went to sleep, `EventLoop.WaitPolicy`).
    public var blockingWaits = 0
    /// Polls (`epoll_wait` with a zero timeout) that found nothing: the loop spinning instead of sleeping.
    public var emptyPolls = 0
    /// Blocking calls whose caller slept until the loop woke it (the rest got their result while
    /// spinning, `EventLoop.CallerWait.adaptive`): each costs a futex wake and a context switch.
    public var callerSleeps = 0
    /// Blocking calls an application thread ran itself, in the loop's place, because the loop was idle
    /// (`EventLoop.runInline`): no hand-off between threads.
    public var inlineCalls = 0
    /// Wake-ups of the loop's thread that found a caller running a call inline and left what woke it
    /// to that caller (`EventLoop.deferredWork`) instead of waiting for the lock.
    public var deferredWakeups = 0
    /// Time the loop spent waiting for events (asleep in `epoll_wait`, or polling) (the rest of its life it was working or waiting
    /// for a CPU): tells a loop starved of work from one starved of CPU.
    public var idleNanoseconds: Int64 = 0
    /// Timer expiries handled (`Stack.handleTimeout`).
    public var timerExpiries = 0
    /// Times replacing the raw socket's receive filter failed (the old one stays: fewer ports pass).
    public var filterFailures = 0
    /// GSO frames sent on the segmentation-offload path, and the segments they carried (also counted
    /// in `packetsWritten`).
    public var segmentRuns = 0
    public var segmentsInRuns = 0
    public init() {}
}
