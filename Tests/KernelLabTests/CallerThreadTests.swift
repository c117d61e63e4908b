import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    @Suite("A blocking connect on the caller's thread when the loop is idle (issue 16's connect latency)")
    struct CallerThread {
        @Test("A connect from a thread in the loop's namespace runs on that thread; the connection then works as usual (the echo comes back intact)")
        func blockingCallsRunOnCallerThread() throws {
            Lab.run("caller-thread") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7120,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7120)
                let message = Array("hello from the caller's own thread\n".utf8)
                // The whole client inside host1 (as `--netns host1` or `ip netns exec` runs a program).
                let (echoed, inlineCalls) = try NetworkNamespace.perform(in: lab.host1) { () throws -> ([UInt8], Int) in
                    let loop = try EventLoop()
                    defer { loop.stop() }
                    let connection = try loop.connect(to: Lab.host2Address, port: 7120, timeout: .seconds(5))
                    try connection.send(message, timeout: .seconds(5))
                    var echoed: [UInt8] = []
                    while echoed.count < message.count {
                        guard let chunk = try connection.receive(maxLength: 1000, timeout: .seconds(5)) else { break }
                        echoed += chunk
                    }
                    try connection.close()
                    return (echoed, try loop.statistics().link.inlineCalls)
                }
                lab.expect(echoed == message, "echo: \(String(decoding: echoed, as: UTF8.self))")
                lab.expect(inlineCalls == 1, "\(inlineCalls) calls ran on the caller's thread (expected the connect)")
            }
        }
    }
}
