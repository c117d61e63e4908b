import Foundation
import Testing
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    @Suite("Receive times: packets stamped by the kernel when they arrive, not when the loop reads them (issue 10)")
    struct ReceiveTimestamps {
        @Test("A SYN that arrives while the loop is held busy is recorded at its arrival, well before the loop was free")
        func busyLoopKeepsArrivalTime() throws {
            Lab.run("recv-stamp") { lab in
                let loop = try lab.stack(in: lab.host1)
                let recorder = PacketRecorder()
                loop.observePackets(recorder.observe)
                _ = try loop.listen(port: 7110)
                let busy = BusyWindow()
                // Hold the loop thread for 600 ms; the SYN is sent from host2 once it is busy.
                loop.schedule {
                    busy.mark(start: monotonicNow())
                    usleep(600_000)
                    busy.mark(end: monotonicNow())
                }
                try lab.require(busy.waitForStart(timeout: .seconds(5)), "the loop never ran the busy call")
                let client = try lab.spawn(in: lab.host2, ["nc", "-w", "3", "-z", "10.0.0.1", "7110"])
                _ = client.wait(timeout: .seconds(10))
                let (start, end) = busy.window
                let syn = recorder.all.first { $0.direction == .inbound && $0.flags == .syn }
                guard let syn, let start, let end else {
                    try lab.require(false, "no SYN recorded, or the busy call did not finish")
                    return
                }
                // Stamped when read, the SYN would be at or after `end`.
                lab.expect(syn.time > start && syn.time < end - .milliseconds(100),
                           "SYN recorded at \(syn.time - start) after the loop became busy; the loop was free after \(end - start)")
            }
        }
    }
}

/// When a call held the loop thread (set on the loop, read by the test).
final class BusyWindow: @unchecked Sendable {
    private let lock = NSLock()
    private var start: Instant?
    private var end: Instant?
    func mark(start: Instant) { lock.lock(); self.start = start; lock.unlock() }
    func mark(end: Instant) { lock.lock(); self.end = end; lock.unlock() }
    var window: (Instant?, Instant?) { lock.lock(); defer { lock.unlock() }; return (start, end) }
    func waitForStart(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if window.0 != nil { return true }
            usleep(1000)
        }
        return false
    }
}
