import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    /// The examples' IPv6 counterparts against the kernel (issue 15): toytcp on host1's fd00:0:0:1::1,
    /// the kernel on host2's fd00:0:0:2::1, through the router, over RawIPv6Link's sockets.
    @Suite("IPv6 against the Linux kernel (RFC 8200, RFC 9293 §3.5)")
    struct IPv6 {
        static let host1 = IPv6Address("fd00:0:0:1::1")!
        static let host2 = IPv6Address("fd00:0:0:2::1")!

        @Test("Active open over IPv6 to `nc -6 -l`: data both ways intact, EOF both ways, one SYN-ACK")
        func activeOpen() throws {
            Lab.run("ipv6-active-open") { lab in
                let input = lab.temporaryPath("kernel-data")
                try Data(OpenClose.kernelData).write(to: URL(fileURLWithPath: input))
                let output = lab.temporaryPath("nc-received")
                let nc = try lab.spawn(in: lab.host2, ["nc", "-6", "-N", "-l", "fd00:0:0:2::1", "5001"], stdin: input, stdout: output)
                try lab.waitForKernelListener(in: lab.host2, port: 5001)

                let loop = try lab.stack(in: lab.host1, ipv6Addresses: [Self.host1])
                let recorder = PacketRecorder()
                loop.observePackets(recorder.observe)
                let connection = try loop.connect(to: .v6(Self.host2), port: 5001, timeout: .seconds(10))
                lab.expect(connection.tuple.local.address == .v6(Self.host1), "local address \(connection.tuple)")
                try OpenClose.exchange(lab, connection, nc: nc, ncOutput: output, toytcpSendsFirst: true)
                lab.expect(recorder.synAckCount() == 1, "the kernel sent \(recorder.synAckCount()) SYN-ACKs: \(recorder.all.prefix(6))")
                lab.expect(recorder.all.first { $0.direction == .outbound }?.isIPv6 == true, "the SYN was not IPv6")
                let stats = try loop.statistics()
                lab.expect(stats.stack.badChecksumDropped == 0, "bad checksums: \(stats.stack.badChecksumDropped)")
                loop.shutdown()
            }
        }

        @Test("Passive open over IPv6: `nc -6` connects to a toytcp listener on ::; data both ways, EOF both ways")
        func passiveOpen() throws {
            Lab.run("ipv6-passive-open") { lab in
                let loop = try lab.stack(in: lab.host1, ipv6Addresses: [Self.host1])
                let listener = try loop.listen(on: .v6(.any), port: 6001)
                let input = lab.temporaryPath("kernel-data")
                try Data(OpenClose.kernelData).write(to: URL(fileURLWithPath: input))
                let output = lab.temporaryPath("nc-received")
                let nc = try lab.spawn(in: lab.host2, ["nc", "-6", "-N", "fd00:0:0:1::1", "6001"], stdin: input, stdout: output)

                let connection = try listener.accept(timeout: .seconds(10))
                lab.expect(connection.tuple.remote.address == .v6(Self.host2), "peer \(connection.tuple)")
                try OpenClose.exchange(lab, connection, nc: nc, ncOutput: output, toytcpSendsFirst: false)
                listener.close()
                loop.shutdown()
            }
        }

        @Test("A listener on no address accepts both families and holds the port from the kernel in both")
        func listenerOnNoAddressHoldsBothFamilies() throws {
            Lab.run("ipv6-listen-any") { lab in
                let loop = try lab.stack(in: lab.host1, addresses: [IPv4Address("10.0.0.1")!], ipv6Addresses: [Self.host1])
                let listener = try loop.listen(port: 9300)
                // A kernel socket of either family cannot take the port while our listener has it.
                for (family, address) in [("AF_INET6", "fd00:0:0:1::1"), ("AF_INET", "10.0.0.1")] {
                    let bind = try lab.run(in: lab.host1, ["python3", "-c",
                        "import socket; s = socket.socket(socket.\(family)); s.bind(('\(address)', 9300))"], timeout: .seconds(10))
                    lab.expect(bind.status != 0 && bind.stderr.contains("Address already in use"),
                               "a kernel \(family) socket could bind \(address):9300 under our listener (status \(bind.status))")
                }
                for (flag, address, peer) in [("-6", "fd00:0:0:1::1", IPAddress.v6(Self.host2)), ("-4", "10.0.0.1", IPAddress("10.0.1.1")!)] {
                    let nc = try lab.spawn(in: lab.host2, ["nc", flag, "-N", address, "9300"], stdin: "/dev/null")
                    let connection = try listener.accept(timeout: .seconds(10))
                    lab.expect(connection.tuple.remote.address == peer, "nc \(flag): peer \(connection.tuple)")
                    try connection.close()
                    _ = nc.wait(timeout: .seconds(10))
                }
                listener.close()
                loop.shutdown()
            }
        }

        @Test("fileclient over IPv6 → kernel `nc -6 -l`, 2% random loss on the router (ip6tables): SHA-256 matches")
        func fileOverLossyPath() throws {
            Lab.run("ipv6-file-loss2", loss: 2) { lab in
                let file = try lab.randomFile(size: 10_000_000)
                defer { unlink(file.path) }
                let output = lab.temporaryPath("received")
                defer { unlink(output) }
                let nc = try lab.spawn(in: lab.host2, ["nc", "-6", "-l", "fd00:0:0:2::1", "8000"], stdout: output)
                try lab.waitForKernelListener(in: lab.host2, port: 8000)
                let client = try lab.run(in: lab.host1, [LabEnvironment.example("fileclient"), "fd00:0:0:2::1", "8000", file.path],
                                         timeout: .seconds(120))
                lab.expect(client.status == 0, "fileclient exited \(client.status): \(client.stderr.suffix(300))")
                lab.expect(nc.wait(timeout: .seconds(30)) == 0, "nc did not exit 0")
                lab.expect(try lab.sha256(output) == file.sha256, "SHA-256 differs")
                print("[ipv6 toytcp→kernel, loss 2%] \(client.stderr.split(separator: "\n").last ?? "")")
            }
        }

        @Test("echoserver and echoclient with IPv6 addresses against the kernel (nc -6, socat TCP6-LISTEN)")
        func echoExamples() throws {
            Lab.run("ipv6-echo") { lab in
                let lines = Echo.lines
                let input = lab.temporaryPath("lines")
                try lines.write(toFile: input, atomically: true, encoding: .utf8)

                let server = try lab.spawn(in: lab.host1, [LabEnvironment.example("echoserver"), "fd00:0:0:1::1", "7"])
                try lab.require(server.waitForStderr(containing: "listening on [fd00:0:0:1::1]:7", timeout: .seconds(10)),
                                "echoserver did not start: \(server.stderr)")
                let nc = try lab.run(in: lab.host2, ["nc", "-6", "-N", "fd00:0:0:1::1", "7"], stdin: input, timeout: .seconds(20))
                lab.expect(nc.status == 0, "nc exited \(nc.status): \(nc.stderr)")
                lab.expect(nc.stdout == lines, "echo differs: sent \(lines.utf8.count) bytes, got \(nc.stdout.utf8.count)")
                server.kill()

                _ = try lab.spawn(in: lab.host2, ["socat", "TCP6-LISTEN:7007,bind=[fd00:0:0:2::1],reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7007)
                let client = try lab.run(in: lab.host1, [LabEnvironment.example("echoclient"), "fd00:0:0:2::1", "7007"],
                                         stdin: input, timeout: .seconds(30))
                lab.expect(client.status == 0, "echoclient exited \(client.status): \(client.stderr)")
                lab.expect(client.stdout == lines, "echo differs: sent \(lines.utf8.count) bytes, got \(client.stdout.utf8.count)")
            }
        }
    }
}
