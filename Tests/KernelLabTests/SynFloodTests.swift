import Foundation
import Testing
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    /// RFC 4987 §3.6 against real traffic: the issue measured a toytcp listener locked for two minutes by
    /// 20,000 SYNs while a kernel listener kept answering with SYN cookies.
    @Suite("SYN flood at a toytcp listener (RFC 4987)")
    struct SynFlood {
        @Test("hping3 sends 20,000 SYNs from a spoofed address; the kernel's nc still connects at once")
        func kernelClientGetsInDuringFlood() throws {
            Lab.run("syn-flood") { lab in
                let loop = try lab.stack(in: lab.host1)
                _ = try loop.listen(on: Lab.host1Address, port: 7)
                // Distinct source ports (hping3 increments them), a source no one answers for, 20 µs apart.
                let flood = try lab.run(in: lab.host2, ["timeout", "30", "hping3", "-q", "-S", "-p", "7",
                                                        "-a", "10.0.1.77", "-i", "u20", "-c", "20000", "10.0.0.1"],
                                        timeout: .seconds(40))
                lab.expect(flood.status == 0 || flood.status == 1, "hping3 exited \(flood.status): \(flood.stderr)")
                let before = try loop.statistics().stack
                try lab.require(before.synCookiesSent > 1000,
                                "the backlog never overflowed: \(before.synCookiesSent) cookies, \(before.packetsReceived) packets")
                let started = ContinuousClock.now
                let client = try lab.run(in: lab.host2, ["nc", "-z", "-w", "3", "10.0.0.1", "7"], timeout: .seconds(10))
                let elapsed = ContinuousClock.now - started
                lab.expect(client.status == 0, "nc could not connect during the flood: \(client.stderr)")
                lab.expect(elapsed < .seconds(1), "nc took \(elapsed) (a retransmitted SYN means it was ignored)")
                let after = try loop.statistics().stack
                lab.expect(after.synCookiesValidated >= 1, "no cookie validated: \(after.counters)")
            }
        }
    }
}
