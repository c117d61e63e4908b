import Foundation
import Testing
import ToyTCPEngine
import ToyTCPLink

extension KernelLab {
    /// RFC 3168 against Linux (`net.ipv4.tcp_ecn=1` in host2): ECN is negotiated, and CE marks set by the
    /// router (an iptables TOS rule on ECT packets, every 10th each way) produce ECE and CWR both ways.
    @Suite("ECN against the kernel (RFC 3168)")
    struct ECN {
        @Test("toytcp and Linux negotiate ECN; CE marks draw ECE, window reductions and CWR")
        func negotiatedWithLinux() throws {
            Lab.run("ecn") { lab in
                let sysctl = try lab.run(in: lab.host2, ["sysctl", "-qw", "net.ipv4.tcp_ecn=1"])
                try lab.require(sysctl.status == 0, "sysctl tcp_ecn: \(sysctl.stderr)")
                let mark = try lab.run(in: lab.router, ["iptables", "-t", "mangle", "-A", "FORWARD", "-p", "tcp",
                                                        "-m", "ecn", "--ecn-ip-ect", "2",
                                                        "-m", "statistic", "--mode", "nth", "--every", "10", "--packet", "0",
                                                        "-j", "TOS", "--set-tos", "0x03/0x03"])
                try lab.require(mark.status == 0, "iptables CE marking: \(mark.stderr)")
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7010,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7010)
                var config = StackConfiguration()
                config.ecn = true
                let loop = try lab.stack(in: lab.host1, configuration: config)
                let connection = try loop.connect(to: Lab.host2Address, port: 7010, timeout: .seconds(10))
                let id = connection.id
                let message = [UInt8](repeating: 0x61, count: 300_000)
                try connection.send(message, timeout: .seconds(20))
                var echoed = 0
                while echoed < message.count {
                    guard let chunk = try connection.receive(maxLength: 65_536, timeout: .seconds(20)) else { break }
                    echoed += chunk.count
                }
                lab.expect(echoed == message.count, "echoed \(echoed) of \(message.count) bytes")
                let enabled = try loop.execute { stack, _ in stack.snapshot(id)?.ecnEnabled }
                let s = try loop.statistics().stack
                lab.expect(enabled == true, "ECN was not negotiated with Linux")
                // Linux's echoed data was marked CE: we set ECE, and Linux answered with CWR (the echo stops).
                lab.expect(s.ecnCEReceived > 0, "no CE mark reached toytcp: \(s.counters)")
                // Our data was marked CE: Linux set ECE, we reduced and sent CWR.
                lab.expect(s.ecnEceReceived > 0 && s.ecnReductions > 0 && s.ecnCwrSent > 0,
                           "ECE \(s.ecnEceReceived), reductions \(s.ecnReductions), CWR \(s.ecnCwrSent)")
                try? connection.close()
            }
        }
    }
}
