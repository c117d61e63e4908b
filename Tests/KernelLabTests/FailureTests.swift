import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    @Suite("Failures the kernel causes: refused, reset, unreachable (RFC 9293 §3.10.7)")
    struct Failures {
        @Test("Connect to a closed port: the kernel's RST gives \"connection refused\" (RFC 9293 §3.10.7.3)")
        func refused() throws {
            // host2's kernel must be able to send its RST: no RST filter there.
            Lab.run("refused", rstFilter: "host1") { lab in
                let loop = try lab.stack(in: lab.host1)
                do {
                    _ = try loop.connect(to: Lab.host2Address, port: 9, timeout: .seconds(10))
                    lab.fail("connect to a closed port succeeded")
                } catch let error as EngineError {
                    lab.expect(error == .connectionRefused, "got \(error), expected connection refused")
                }
                loop.shutdown()
            }
        }

        @Test("Peer killed mid-transfer: the kernel's RST gives \"connection reset\" (RFC 9293 §3.10.7.4)")
        func resetMidTransfer() throws {
            Lab.run("reset", rstFilter: "host1") { lab in
                let nc = try lab.spawn(in: lab.host2, ["nc", "-l", "10.0.1.1", "8001"], stdout: "/dev/null")
                try lab.waitForKernelListener(in: lab.host2, port: 8001)
                let loop = try lab.stack(in: lab.host1)
                let connection = try loop.connect(to: Lab.host2Address, port: 8001, timeout: .seconds(10))
                let chunk = [UInt8](repeating: 0x55, count: 64 << 10)
                try connection.send(chunk, timeout: .seconds(10))
                nc.signal(SIGKILL)
                _ = nc.wait(timeout: .seconds(5))
                var outcome: (any Error)? = nil
                let deadline = ContinuousClock.now + .seconds(20)
                while outcome == nil, ContinuousClock.now < deadline {
                    do { try connection.send(chunk, timeout: .seconds(5)) } catch { outcome = error }
                }
                lab.expect((outcome as? EngineError) == .connectionReset,
                           "sending after the peer died gave \(String(describing: outcome)), expected connection reset")
                loop.shutdown(gracePeriod: .milliseconds(100))
            }
        }

        @Test("Unreachable peer: connect times out after the SYN retries (RFC 9293 §3.8.3, RFC 6298 (5.5))")
        func unreachableTimesOut() throws {
            Lab.run("unreachable") { lab in
                var configuration = StackConfiguration()
                configuration.synRetries = 2
                configuration.initialRTO = .milliseconds(200)
                let loop = try lab.stack(in: lab.host1, configuration: configuration)
                let start = ContinuousClock.now
                do {
                    // 10.0.1.99 is on host2's subnet but nobody has it: the SYNs vanish.
                    _ = try loop.connect(to: IPv4Address(10, 0, 1, 99), port: 80, timeout: .seconds(30))
                    lab.fail("connect to an unreachable peer succeeded")
                } catch let error as EngineError {
                    lab.expect(error == .timedOut, "got \(error), expected a timeout")
                }
                let elapsed = ContinuousClock.now - start
                // 3 SYNs 200 ms, 400 ms, 800 ms apart: ~1.4 s; far from the call's own 30 s bound.
                lab.expect(elapsed >= .milliseconds(500) && elapsed < .seconds(15),
                           "timed out after \(elapsed): expected about 1.4 s of SYN retries")
                let stats = try loop.execute { stack, _ in stack.statistics }
                lab.expect(stats.retransmissions >= 2, "retransmissions \(stats.retransmissions), expected 2 SYN retries")
                loop.shutdown()
            }
        }
    }
}
