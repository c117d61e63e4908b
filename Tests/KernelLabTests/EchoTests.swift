import Foundation
import Testing
import ToyTCPLink

extension KernelLab {
    @Suite("Echo client and server against the kernel")
    struct Echo {
        /// Lines of many lengths, one of them longer than a segment and several windows' worth in total.
        static let lines: String = (0..<300).map { i in
            String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: i == 150 ? 20_000 : 1 + (i * 37) % 300)
        }.joined(separator: "\n") + "\n"

        @Test("toytcp echoserver, kernel client (`nc`): every line comes back")
        func toytcpServerKernelClient() throws {
            Lab.run("echo-toytcp-server") { lab in
                let server = try lab.spawn(in: lab.host1, [LabEnvironment.example("echoserver"), "10.0.0.1", "7"])
                try lab.require(server.waitForStderr(containing: "listening on", timeout: .seconds(10)),
                                "echoserver did not start: \(server.stderr)")
                let input = lab.temporaryPath("lines")
                try Self.lines.write(toFile: input, atomically: true, encoding: .utf8)
                let client = try lab.run(in: lab.host2, ["nc", "-N", "10.0.0.1", "7"], stdin: input, timeout: .seconds(20))
                lab.expect(client.status == 0, "nc exited \(client.status): \(client.stderr)")
                lab.expect(client.stdout == Self.lines,
                           "echo differs: sent \(Self.lines.utf8.count) bytes, got \(client.stdout.utf8.count)")
                server.kill()
            }
        }

        @Test("toytcp echoclient, kernel server (socat): every line comes back, exit 0")
        func toytcpClientKernelServer() throws {
            Lab.run("echo-toytcp-client") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7007,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7007)
                let input = lab.temporaryPath("lines")
                try Self.lines.write(toFile: input, atomically: true, encoding: .utf8)
                let client = try lab.run(in: lab.host1, [LabEnvironment.example("echoclient"), "10.0.1.1", "7007"],
                                         stdin: input, timeout: .seconds(30))
                lab.expect(client.status == 0, "echoclient exited \(client.status): \(client.stderr)")
                lab.expect(client.stdout == Self.lines,
                           "echo differs: sent \(Self.lines.utf8.count) bytes, got \(client.stdout.utf8.count)")
            }
        }

        @Test("Async API: round trips with a kernel echo server, one line at a time")
        func asyncRoundTrips() throws {
            Lab.run("echo-async") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7008,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7008)
                let loop = try lab.stack(in: lab.host1)
                let outcome = Self.blockingOnAsync { () async throws -> String? in
                    let connection = try await loop.connect(to: Lab.host2Address, port: 7008, timeout: .seconds(10))
                    for round in 0..<100 {
                        let message = Array("round \(round) \(String(repeating: "x", count: round * 10))\n".utf8)
                        try await connection.send(message, timeout: .seconds(5))
                        var echoed: [UInt8] = []
                        while echoed.count < message.count {
                            guard let chunk = try await connection.receive(maxLength: message.count - echoed.count,
                                                                           timeout: .seconds(5)) else { break }
                            echoed += chunk
                        }
                        if echoed != message { return "round \(round): sent \(message.count) bytes, echoed \(echoed.count)" }
                    }
                    try await connection.shutdown()
                    let rest = try await connection.receive(timeout: .seconds(5))
                    if rest != nil { return "expected EOF after shutdown, got \(rest!.count) bytes" }
                    try await connection.close()
                    return nil
                }
                switch outcome {
                case .success(let problem?): lab.fail(problem)
                case .success(nil): break
                case .failure(let error): lab.fail("\(error)")
                }
                loop.shutdown()
            }
        }

        @Test("connect(…onLoop:): the completion runs on the loop thread; abortOnLoop there deletes the TCB and the kernel sees the RST")
        func connectOnLoop() throws {
            Lab.run("connect-on-loop") { lab in
                _ = try lab.spawn(in: lab.host2, ["socat", "TCP-LISTEN:7009,bind=10.0.1.1,reuseaddr", "PIPE"])
                try lab.waitForKernelListener(in: lab.host2, port: 7009)
                let loop = try lab.stack(in: lab.host1)
                let done = DispatchSemaphore(value: 0)
                let box = ResultHolder<(ConnectionID, UInt16)>()
                loop.connect(to: Lab.host2Address, port: 7009, timeout: .seconds(5)) { result in
                    // On the loop thread: the stack is ours to read, and abortOnLoop's precondition holds.
                    box.value = result.map { connection in
                        connection.abortOnLoop()
                        return (connection.id, connection.tuple.remotePort)
                    }
                    done.signal()
                }
                try lab.require(done.wait(timeout: .now() + 10) == .success, "the completion never ran")
                switch box.value {
                case .success(let (id, port))?:
                    lab.expect(port == 7009, "connected to port \(port)")
                    let after = try loop.execute { stack, _ in stack.state(of: id) }
                    lab.expect(after == nil, "after abortOnLoop the TCB is still there: \(String(describing: after))")
                case .failure(let error)?: lab.fail("connect failed: \(error)")
                case nil: lab.fail("no result")
                }
                // The kernel got our RST: socat's connection is gone (no ESTAB left on 7009).
                var established = true
                for _ in 0..<100 where established {
                    let ss = try lab.run(in: lab.host2, ["ss", "-Htn", "state", "established", "sport = :7009"], timeout: .seconds(5))
                    established = ss.stdout.contains(":7009")
                    if established { usleep(10_000) }
                }
                lab.expect(!established, "the kernel still has the connection: our RST did not reach it")
            }
        }

        /// Runs async work from the synchronous lab body (the lab's teardown is synchronous).
        static func blockingOnAsync<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) -> Result<T, any Error> {
            let box = ResultHolder<T>()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { box.value = .success(try await work()) } catch { box.value = .failure(error) }
                done.signal()
            }
            // Bounded: a test that blocks a thread of the cooperative pool while waiting for a task could
            // starve it if other tests blocked the rest (scripts/test.sh runs tests one at a time).
            guard done.wait(timeout: .now() + 120) == .success, let value = box.value else {
                return .failure(LabTimeout(what: "async work did not finish within 120 s"))
            }
            return value
        }
    }
}

struct LabTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}

final class ResultHolder<T>: @unchecked Sendable {
    var value: Result<T, any Error>? = nil
}
