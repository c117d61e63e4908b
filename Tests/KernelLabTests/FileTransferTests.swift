import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    @Suite("50 MB file transfers through the router, checked by SHA-256")
    struct FileTransfer {
        static let size = 50_000_000

        @Test("toytcp fileclient → kernel `nc -l` (clean, and 2% random loss on the router)", arguments: [0.0, 2.0])
        func toytcpToKernel(loss: Double) throws {
            Lab.run("file-toytcp-to-kernel-loss\(Int(loss))", loss: loss) { lab in
                let file = try lab.randomFile(size: Self.size)
                defer { unlink(file.path) }
                let output = lab.temporaryPath("received")
                defer { unlink(output) }
                // stdin /dev/null, no -N: nc only receives, and exits when toytcp's FIN arrives.
                let nc = try lab.spawn(in: lab.host2, ["nc", "-l", "10.0.1.1", "8000"], stdout: output)
                try lab.waitForKernelListener(in: lab.host2, port: 8000)
                let client = try lab.run(in: lab.host1, [LabEnvironment.example("fileclient"), "10.0.1.1", "8000", file.path],
                                         timeout: .seconds(300))
                lab.expect(client.status == 0, "fileclient exited \(client.status): \(client.stderr.suffix(300))")
                let status = nc.wait(timeout: .seconds(30))
                lab.expect(status == 0, "nc did not exit 0 (\(String(describing: status)))")
                let got = try lab.sha256(output)
                let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? -1
                lab.expect(got == file.sha256, "SHA-256 differs: sent \(Self.size) bytes, nc wrote \(size)")
                print("[toytcp→kernel, loss \(loss)%] \(client.stderr.split(separator: "\n").last ?? "")")
            }
        }

        @Test("kernel `nc` → toytcp fileserver (clean, and 2% random loss on the router)", arguments: [0.0, 2.0])
        func kernelToToytcp(loss: Double) throws {
            Lab.run("file-kernel-to-toytcp-loss\(Int(loss))", loss: loss) { lab in
                let file = try lab.randomFile(size: Self.size)
                defer { unlink(file.path) }
                let output = lab.temporaryPath("received")
                defer { unlink(output) }
                let server = try lab.spawn(in: lab.host1, [LabEnvironment.example("fileserver"), "10.0.0.1", "8000", output])
                try lab.require(server.waitForStderr(containing: "listening on", timeout: .seconds(10)),
                                "fileserver did not start: \(server.stderr)")
                // -N: FIN after the file; nc exits when toytcp closes in turn.
                let nc = try lab.run(in: lab.host2, ["nc", "-N", "10.0.0.1", "8000"], stdin: file.path, timeout: .seconds(300))
                lab.expect(nc.status == 0, "nc exited \(nc.status): \(nc.stderr)")
                let status = server.wait(timeout: .seconds(30))
                lab.expect(status == 0, "fileserver did not exit 0 (\(String(describing: status))): \(server.stderr.suffix(300))")
                let got = try lab.sha256(output)
                let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? -1
                lab.expect(got == file.sha256, "SHA-256 differs: sent \(Self.size) bytes, fileserver wrote \(size)")
                print("[kernel→toytcp, loss \(loss)%] \(server.stderr.split(separator: "\n").last ?? "")")
            }
        }
    }
}
