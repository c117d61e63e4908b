#if canImport(Glibc)
import Glibc
#endif
import CToyTCPLinux
import Dispatch
import Testing
import ToyTCPEngine
import ToyTCPLink
import ToyTCPWire

extension KernelLab {
    /// Issue 16: a blocking call on an idle loop runs on the calling thread, in the loop's place (as the
    /// kernel runs `connect()` in its caller's context), instead of being handed to the loop's thread
    /// and waiting to be woken (two wake-ups of tens of µs on this lab's KVM guest).
    @Suite("Blocking calls run inline on an idle loop")
    struct InlineCalls {
        @Test("From a thread in the loop's namespace a call runs on that thread; from another namespace, or a call about the loop's own thread, on the loop's thread")
        func whereCallsRun() throws {
            Lab.run("inline-where") { lab in
                let loop = try lab.stack(in: lab.host1)
                let loopThread = try loop.threadID()
                // The test's own thread is in the root namespace: its calls are handed to the loop.
                let handed = try loop.execute { _, _ in ctoytcp_thread_id() }
                lab.expect(handed == loopThread, "a call from another namespace ran on thread \(handed), not the loop's \(loopThread)")
                let (caller, ran, asked) = try NetworkNamespace.perform(in: lab.host1) {
                    (ctoytcp_thread_id(), try loop.execute { _, _ in ctoytcp_thread_id() }, try loop.threadID())
                }
                lab.expect(ran == caller, "a call from host1 ran on thread \(ran), not on its caller \(caller) (the loop's is \(loopThread))")
                lab.expect(asked == loopThread, "threadID() from host1 answered \(asked), not the loop's thread \(loopThread)")
            }
        }

        @Test("Connects, a 1 MB echo and closes against kernel servers from a thread in the loop's namespace: run inline, the caller rarely sleeps, the bytes come back intact")
        func connectAndEchoInline() throws {
            Lab.run("inline-echo") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7130,bind=10.0.1.1,reuseaddr,fork", "SYSTEM:true"])
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7131,bind=10.0.1.1,reuseaddr,fork", "EXEC:cat"])
                try lab.waitForKernelListener(in: lab.host2, port: 7130)
                try lab.waitForKernelListener(in: lab.host2, port: 7131)
                let loop = try lab.stack(in: lab.host1)
                let peer = IPv4Address(10, 0, 1, 1)
                // From the root namespace: handed to the loop's thread, which adds its own counts first.
                let deferredBefore = try loop.statistics().link.deferredWakeups
                let (inline, sleeps) = try NetworkNamespace.perform(in: lab.host1) { () throws -> (Int, Int) in
                    let before = try loop.statistics().link
                    for _ in 0..<40 {
                        try loop.connect(to: peer, port: 7130, timeout: .seconds(5)).abort()
                    }
                    let after = try loop.statistics().link
                    return (after.inlineCalls - before.inlineCalls, after.callerSleeps - before.callerSleeps)
                }
                // 80 calls (connect, abort) and the statistics call. The SYN-ACK comes back inside the
                // SYN's sendto on veth, so a connect run inline finds it; a loaded machine may defer
                // the peer's softirq now and then, and the loop's thread may be at work on a packet.
                lab.expect(inline >= 60, "only \(inline) of 81 calls ran inline")
                lab.expect(sleeps <= 20, "\(sleeps) of 81 calls slept until the loop woke them")
                // The calls' packets are hidden from the loop's thread while they run: it is not woken by
                // each SYN-ACK only to find the loop held and leave the work to the caller.
                let deferred = try loop.statistics().link.deferredWakeups - deferredBefore
                lab.expect(deferred <= 10, "the loop's thread was woken \(deferred) times while 80 calls ran inline")

                let message = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
                let echoed = try NetworkNamespace.perform(in: lab.host1) { () throws -> [UInt8] in
                    let connection = try loop.connect(to: peer, port: 7131, timeout: .seconds(5))
                    var received: [UInt8] = []
                    // Send in pieces and read as we go: cat echoes while we send.
                    var offset = 0
                    while offset < message.count {
                        let end = min(offset + 64 * 1024, message.count)
                        try connection.send(Array(message[offset..<end]), timeout: .seconds(10))
                        offset = end
                        while received.count < offset - 128 * 1024,
                              let chunk = try connection.receive(timeout: .seconds(10)) {
                            received += chunk
                        }
                    }
                    try connection.shutdown()
                    received += try connection.receiveAll(limit: message.count + 1, timeout: .seconds(10))
                    try connection.close()
                    return received
                }
                lab.expect(echoed.count == message.count, "echoed \(echoed.count) of \(message.count) bytes")
                lab.expect(echoed == message, "the echo differs from what was sent")
            }
        }

        @Test("A chain of 40 connects made on the loop thread (connect(…onLoop:), each from the last one's completion, its SYN-ACK read right after the SYN went out): every one connects and aborts")
        func onLoopConnectChain() throws {
            Lab.run("onloop-chain") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7133,bind=10.0.1.1,reuseaddr,fork", "SYSTEM:true"])
                try lab.waitForKernelListener(in: lab.host2, port: 7133)
                let loop = try lab.stack(in: lab.host1)
                final class Chain: @unchecked Sendable {
                    var remaining = 40
                    var failures = 0
                    let done = DispatchSemaphore(value: 0)
                }
                let chain = Chain()
                @Sendable func next() {
                    loop.connect(to: Lab.host2Address, port: 7133, timeout: .seconds(5)) { result in
                        if case .success(let connection) = result { connection.abortOnLoop() } else { chain.failures += 1 }
                        chain.remaining -= 1
                        if chain.remaining == 0 { chain.done.signal() } else { loop.schedule { next() } }
                    }
                }
                loop.schedule { next() }
                try lab.require(chain.done.wait(timeout: .now() + 20) == .success, "the chain of connects did not finish")
                lab.expect(chain.failures == 0, "\(chain.failures) of 40 connects failed")
                let left = try loop.execute { stack, _ in stack.connectionIDs.count }
                lab.expect(left == 0, "\(left) connections left after 40 connects and aborts")
            }
        }

        @Test("A connect that times out (no answer to its SYN) fails with timedOut and leaves no half-open TCB behind, from a thread in the loop's namespace and from another")
        func connectTimeoutAbandons() throws {
            // host2's kernel RSTs are dropped (the lab's default for these tests): a closed port stays silent.
            Lab.run("inline-timeout") { lab in
                let loop = try lab.stack(in: lab.host1)
                let connectOnce = { () -> Bool in
                    do {
                        _ = try loop.connect(to: IPv4Address(10, 0, 1, 1), port: 7199, timeout: .milliseconds(300))
                        return false
                    } catch EngineError.timedOut {
                        return true
                    } catch {
                        return false
                    }
                }
                let inlineTimedOut = try NetworkNamespace.perform(in: lab.host1) { connectOnce() }
                let handedTimedOut = connectOnce()
                let left = try loop.execute { stack, _ in stack.connectionIDs.count }
                lab.expect(inlineTimedOut && handedTimedOut, "connects to a silent port: inline timed out \(inlineTimedOut), handed over \(handedTimedOut)")
                lab.expect(left == 0, "\(left) half-open connections left after the connects timed out")
            }
        }

        @Test("A call still waiting when its inline run ends is finished by the loop's thread: a receive gets data sent later, another times out at its deadline")
        func waitingCallOutlivesInlineRun() throws {
            Lab.run("inline-wait") { lab in
                // The kernel peer writes a line half a second after the connection opens, then waits.
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7132,bind=10.0.1.1,reuseaddr,fork",
                                                  "SYSTEM:sleep 0.5; echo late; sleep 5"])
                try lab.waitForKernelListener(in: lab.host2, port: 7132)
                let loop = try lab.stack(in: lab.host1)
                let (late, timedOut, elapsed) = try NetworkNamespace.perform(in: lab.host1) { () throws -> ([UInt8]?, Bool, Duration) in
                    let connection = try loop.connect(to: IPv4Address(10, 0, 1, 1), port: 7132, timeout: .seconds(5))
                    // Nothing has come yet: the receive's inline run ends with it waiting.
                    let late = try connection.receive(timeout: .seconds(5))
                    let clock = ContinuousClock()
                    let start = clock.now
                    var timedOut = false
                    do { _ = try connection.receive(timeout: .milliseconds(200)) } catch EngineError.timedOut { timedOut = true }
                    let elapsed = clock.now - start
                    connection.abort()
                    return (late, timedOut, elapsed)
                }
                lab.expect(late == Array("late\n".utf8), "the receive waiting past its inline run got \(String(describing: late))")
                lab.expect(timedOut, "a receive with a 200 ms deadline and nothing to read did not time out")
                lab.expect(elapsed >= .milliseconds(190) && elapsed < .seconds(2), "the 200 ms receive ended after \(elapsed)")
            }
        }
    }
}
