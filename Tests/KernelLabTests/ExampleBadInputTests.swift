import Foundation
import Testing
import ToyTCPLink
import ToyTCPTestSupport

extension KernelLab {
    @Suite("Examples: bad input is one line that says what to do, exit status 2")
    struct ExampleBadInput {
        /// Runs an example and checks: status 2, one line on stderr, containing `phrase`.
        static func expectBadInput(_ lab: Lab, _ arguments: [String], prefix: [String] = [], _ phrase: String,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
            var args = arguments
            args[0] = LabEnvironment.example(args[0])
            let result = try Subprocess.run(prefix + args, timeout: .seconds(10))
            let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            lab.expect(result.status == 2, "\(arguments.joined(separator: " ")): status \(result.status), expected 2",
                       sourceLocation: sourceLocation)
            lab.expect(lines.count == 1, "\(arguments.joined(separator: " ")): \(lines.count) lines on stderr: \(result.stderr)",
                       sourceLocation: sourceLocation)
            lab.expect(result.stderr.contains(phrase), "\(arguments.joined(separator: " ")): stderr \(result.stderr.debugDescription) lacks \(phrase.debugDescription)",
                       sourceLocation: sourceLocation)
        }

        @Test("Bad address, bad port, wrong argument count")
        func badArguments() throws {
            Lab.run("bad-arguments") { lab in
                try Self.expectBadInput(lab, ["echoclient", "10.0.1", "7"], "bad address '10.0.1'")
                try Self.expectBadInput(lab, ["echoserver", "10.0.0.1", "70000"], "bad port '70000'")
                try Self.expectBadInput(lab, ["fileclient", "10.0.1.1", "0", "/etc/hostname"], "bad port '0'")
                try Self.expectBadInput(lab, ["fileserver", "10.0.0.1", "8000"], "expected 3 arguments")
                try Self.expectBadInput(lab, ["echoclient", "--bogus", "10.0.1.1", "7"], "unknown option '--bogus'")
                try Self.expectBadInput(lab, ["fileclient", "10.0.1.1", "8000", "/nonexistent/file"], "cannot read")
            }
        }

        @Test("Not root, or a namespace that does not exist")
        func environment() throws {
            Lab.run("bad-environment") { lab in
                try Self.expectBadInput(lab, ["echoserver", "10.0.0.1", "7"],
                                        prefix: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
                                        "must run as root")
                try Self.expectBadInput(lab, ["echoserver", "--netns", "\(lab.prefix)-nosuch", "10.0.0.1", "7"],
                                        "no network namespace '\(lab.prefix)-nosuch'")
            }
        }

        @Test("An address not on any interface, a port in use")
        func addressAndPort() throws {
            Lab.run("bad-address-port") { lab in
                try Self.expectBadInput(lab, ["echoserver", "--netns", lab.host1, "10.9.9.9", "7"],
                                        "10.9.9.9 is not an address of any interface")
                // A kernel listener on 7100 in host1, then toytcp wanting the same port.
                _ = try lab.spawn(in: lab.host1, ["nc", "-l", "10.0.0.1", "7100"])
                try lab.waitForKernelListener(in: lab.host1, port: 7100)
                try Self.expectBadInput(lab, ["echoserver", "--netns", lab.host1, "10.0.0.1", "7100"],
                                        "port 7100 on 10.0.0.1 is already in use")
                // Two toytcp servers on one port.
                let first = try lab.spawn(in: lab.host1, [LabEnvironment.example("echoserver"), "10.0.0.1", "7101"])
                try lab.require(first.waitForStderr(containing: "listening on", timeout: .seconds(10)),
                                "echoserver did not start: \(first.stderr)")
                try Self.expectBadInput(lab, ["fileserver", "--netns", lab.host1, "10.0.0.1", "7101", lab.temporaryPath("x")],
                                        "port 7101 on 10.0.0.1 is already in use")
                first.kill()
            }
        }
    }
}
