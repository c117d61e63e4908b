#if canImport(Glibc)
import Glibc
#endif
import Testing
import ToyTCPLink

/// The shell's observation queue: the event loop queues what a packet caused quietly and wakes the
/// shell only once our answer has been sent (issue 10's idle-REPL latency).
@Suite("WakeupQueue")
struct WakeupQueueTests {
    static func readable(_ fd: CInt) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 1
    }

    @Test("appendQuietly leaves the descriptor unreadable until signal(); signal with nothing queued does nothing")
    func quietAppendThenSignal() throws {
        let queue = try WakeupQueue<Int>()
        queue.signal()
        #expect(!Self.readable(queue.descriptor))
        queue.appendQuietly(1)
        queue.appendQuietly(2)
        #expect(!Self.readable(queue.descriptor), "the shell must not be woken before the loop has sent")
        queue.signal()
        #expect(Self.readable(queue.descriptor))
        #expect(queue.take() == [1, 2])
        #expect(!Self.readable(queue.descriptor))
        queue.append(3)
        #expect(Self.readable(queue.descriptor))
        #expect(queue.take() == [3])
    }
}
