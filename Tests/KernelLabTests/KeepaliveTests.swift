import Foundation
import Testing
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    /// RFC 9293 §3.8.4 against Linux: its answers to toytcp's keep-alive probes keep the connection.
    @Suite("Keep-alive against the kernel (RFC 1122 §4.2.3.6)")
    struct Keepalive {
        @Test("an idle toytcp connection probes every second; Linux's ACKs keep it open")
        func linuxAnswersProbes() throws {
            Lab.run("keepalive") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7009,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7009)
                var config = StackConfiguration()
                config.keepalive = KeepaliveSettings(idle: .seconds(1), interval: .seconds(1), count: 2)
                let loop = try lab.stack(in: lab.host1, configuration: config)
                let connection = try loop.connect(to: Lab.host2Address, port: 7009, timeout: .seconds(10))
                let id = connection.id
                Thread.sleep(forTimeInterval: 5.5)
                let stats = try loop.statistics().stack
                let state = try loop.execute { stack, _ in stack.snapshot(id)?.state }
                // Two unanswered probes would end the connection after 3 s; five seconds of idle took
                // at least four probes, each answered.
                lab.expect(stats.keepaliveProbes >= 4, "only \(stats.keepaliveProbes) probes in 5.5 s")
                lab.expect(stats.keepaliveTimeouts == 0, "the connection timed out: \(stats.counters)")
                lab.expect(state == .established, "state \(String(describing: state)) after 5.5 idle seconds")
            }
        }
    }
}
