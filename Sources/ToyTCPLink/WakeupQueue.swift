#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import Synchronization

/// A queue one thread (the event loop) appends to and another (the shell) takes from, with a descriptor
/// that is readable while something waits: the taker can `poll` it beside standard input, so a trace
/// line or an event reaches a person sitting at the prompt without a command being typed.
///
/// Bounded: past `limit` the oldest entries are dropped (a flood must not grow it without end).
public final class WakeupQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var signalled = false
        var dropped = 0
    }
    private let state = Mutex(State())
    private let limit: Int
    /// An eventfd: readable while entries wait.
    public let descriptor: CInt

    public init(limit: Int = 200_000) throws(LinkError) {
        self.limit = limit
        descriptor = try syscallOrThrow("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
    }

    deinit { close(descriptor) }

    /// Appends (any thread) and makes the descriptor readable.
    public func append(_ item: Element) {
        appendQuietly(item)
        signal()
    }

    /// Appends (any thread) without making the descriptor readable yet: the producer calls `signal()`
    /// once its urgent work is done. The event loop queues what a packet caused this way and signals
    /// after it has sent the answer, so the shell's thread is not woken, and does not take a CPU or
    /// this queue's lock from the loop, between a segment arriving and our answer leaving.
    public func appendQuietly(_ item: Element) {
        state.withLock { s in
            s.items.append(item)
            if s.items.count > limit {
                let excess = s.items.count - limit / 2
                s.items.removeFirst(excess)
                s.dropped += excess
            }
        }
    }

    /// Makes the descriptor readable if entries wait and it is not readable already (one `write`).
    public func signal() {
        let mustSignal = state.withLock { s -> Bool in
            guard !s.items.isEmpty, !s.signalled else { return false }
            s.signalled = true
            return true
        }
        if mustSignal {
            var one: UInt64 = 1
            _ = write(descriptor, &one, 8)
        }
    }

    /// Everything waiting, oldest first; the descriptor stops being readable.
    public func take() -> [Element] {
        var value: UInt64 = 0
        _ = read(descriptor, &value, 8)
        return state.withLock { s in
            s.signalled = false
            defer { s.items.removeAll(keepingCapacity: true) }
            return s.items
        }
    }

    /// Waits until something is queued or `milliseconds` pass (`poll` on the descriptor).
    public func wait(milliseconds: Int32) {
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, max(0, milliseconds))
    }
}
