import Foundation
import Testing
import ToyTCPTestSupport
import ToyTCPLink

extension KernelLab {
    @Suite("Opening and closing against the Linux kernel (RFC 9293 §3.5, §3.6)")
    struct OpenClose {
        static let kernelData = Array(String(repeating: "from the kernel to toytcp\n", count: 2000).utf8)
        static let toytcpData = Array(String(repeating: "from toytcp to the kernel!\n", count: 3000).utf8)

        @Test("Active open to `nc -l`: data both ways intact, EOF both ways, SYN-ACK answered at once (RFC 9293 §3.5)")
        func activeOpen() throws {
            Lab.run("active-open") { lab in
                let input = lab.temporaryPath("kernel-data")
                try Data(Self.kernelData).write(to: URL(fileURLWithPath: input))
                let output = lab.temporaryPath("nc-received")
                // -N: after sending its input, nc half-closes (FIN); it exits when toytcp's FIN arrives.
                let nc = try lab.spawn(in: lab.host2, ["nc", "-N", "-l", "10.0.1.1", "5001"], stdin: input, stdout: output)
                try lab.waitForKernelListener(in: lab.host2, port: 5001)

                let loop = try lab.stack(in: lab.host1)
                let recorder = PacketRecorder()
                loop.observePackets(recorder.observe)
                let connection = try loop.connect(to: Lab.host2Address, port: 5001, timeout: .seconds(10))
                lab.expect(connection.tuple.localAddress == Lab.host1Address, "local address \(connection.tuple)")
                try Self.exchange(lab, connection, nc: nc, ncOutput: output, toytcpSendsFirst: true)

                // The seed's toytcp answered the SYN-ACK ~1 s late and Linux retransmitted it.
                let latency = recorder.synAckAnswerLatency()
                print("[active-open] SYN-ACK answered after \(latency.map { "\($0)" } ?? "never") (packet-path timestamps)")
                lab.expect(recorder.synAckCount() == 1, "the kernel sent \(recorder.synAckCount()) SYN-ACKs: our ACK came too late")
                lab.expect(latency.map { $0 < .milliseconds(50) } ?? false, "SYN-ACK answered after \(String(describing: latency))")
                loop.shutdown()
            }
        }

        @Test("Passive open: `nc` connects to a toytcp listener; data both ways intact, EOF both ways (RFC 9293 §3.5)")
        func passiveOpen() throws {
            Lab.run("passive-open") { lab in
                let loop = try lab.stack(in: lab.host1)
                let listener = try loop.listen(on: Lab.host1Address, port: 6001)
                let input = lab.temporaryPath("kernel-data")
                try Data(Self.kernelData).write(to: URL(fileURLWithPath: input))
                let output = lab.temporaryPath("nc-received")
                let nc = try lab.spawn(in: lab.host2, ["nc", "-N", "10.0.0.1", "6001"], stdin: input, stdout: output)

                let connection = try listener.accept(timeout: .seconds(10))
                lab.expect(connection.tuple.remoteAddress == Lab.host2Address, "peer \(connection.tuple)")
                try Self.exchange(lab, connection, nc: nc, ncOutput: output, toytcpSendsFirst: false)
                listener.close()
                loop.shutdown()
            }
        }
    }
}

extension KernelLab.OpenClose {
    /// The data exchange of an open against `nc -N` (either family): `toytcpData` one way, `kernelData`
    /// the other, then our close; nc must see EOF, exit 0 and have received every byte.
    static func exchange(_ lab: Lab, _ connection: TCPConnection, nc: Subprocess, ncOutput: String,
                         toytcpSendsFirst: Bool) throws {
        if toytcpSendsFirst { try connection.send(toytcpData, timeout: .seconds(10)) }
        let received = try connection.receiveAll(limit: 1 << 20, timeout: .seconds(10))
        lab.expect(received == kernelData, "toytcp received \(received.count) bytes, expected the kernel's \(kernelData.count)")
        if !toytcpSendsFirst { try connection.send(toytcpData, timeout: .seconds(10)) }
        try connection.close()
        let status = nc.wait(timeout: .seconds(10))
        lab.expect(status == 0, "nc did not see EOF and exit 0 after toytcp closed (status \(String(describing: status)))")
        let ncReceived = (try? Data(contentsOf: URL(fileURLWithPath: ncOutput))) ?? Data()
        lab.expect(Array(ncReceived) == toytcpData, "nc received \(ncReceived.count) bytes, expected toytcp's \(toytcpData.count)")
    }
}
