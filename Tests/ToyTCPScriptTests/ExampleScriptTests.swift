import Foundation
import Testing
@testable import ToyTCPScript

/// Every example that runs on the simulated network runs here and must pass (issue 5, "Tests that
/// prove it"); a script with a failing expectation must fail with the packetdrill-style diff.
@Suite("Example scripts on the simulated network")
struct ExampleScriptTests {
    @Test("there are simulated examples for every scenario of issue 5")
    func coverage() {
        let names = TestSupport.simulatedExamples()
        for wanted in ["handshake", "passive-open", "echo", "rst-injection", "zero-window", "sack", "simultaneous-open"] {
            #expect(names.contains { $0.contains(wanted) }, "no simulated example for \(wanted)")
        }
    }

    @Test("each simulated example runs and every expectation holds", arguments: TestSupport.simulatedExamples())
    func example(name: String) throws {
        let url = TestSupport.examples.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix("# "), "\(name) must open with a header comment saying what it shows")
        let (result, out, err) = try TestSupport.runScript(text, file: "examples/\(name)")
        #expect(result.exitStatus == 0, "\(name) failed:\n\(err.joined(separator: "\n"))\n--- output:\n\(out.suffix(40).joined(separator: "\n"))")
    }

    @Test("a failing expectation exits 1 with expected/got, one line per field in header order, and timing")
    func failingExpectation() throws {
        let text = """
        peer echo 10.0.1.1 7
        inject S 10.0.0.2:40000 > 10.0.1.1:7 seq=1000 win=65535 mss=1460
        expect S. 10.0.1.1:7 > 10.0.0.2:40000 seq=5 ack=1002 win=1 within 500ms as synack
        print "not reached"
        """
        let (result, out, err) = try TestSupport.runScript(text, file: "fail.ttcp")
        #expect(result.exitStatus == 1)
        #expect(!out.contains("not reached"))
        let lines = err.joined(separator: "\n").split(separator: "\n").map(String.init)
        try #require(lines.count >= 5, "\(lines)")
        #expect(lines[0] == "fail.ttcp:3: expected IP 10.0.1.1.7 > 10.0.0.2.40000: Flags [S.], seq 5, ack 1002, win 1, length *")
        #expect(lines[1].hasPrefix("got IP 10.0.1.1.7 > 10.0.0.2.40000: Flags [S.], seq "))
        #expect(lines[2].hasPrefix("seq: expected 5 (0x5), got "))
        #expect(lines[3] == "ack: expected 1002 (0x3ea), got 1001 (0x3e9)")
        #expect(lines[4].hasPrefix("win: expected 1 (0x1), got "))
        #expect(lines[5].hasPrefix("within 500ms; the closest segment arrived after "))
    }

    @Test("trace and expect diagnostics are tcpdump -nn -S lines (the decoder's renderer), options included (RFC 9293 §3.2)")
    func tcpdumpLines() throws {
        let text = """
        peer echo 10.0.1.1 7
        trace on
        inject S 10.0.0.2:40000 > 10.0.1.1:7 seq=1000 win=65535 mss=1460
        expect S. 10.0.1.1:7 > 10.0.0.2:40000 ack=1001 noopts within 500ms
        """
        let (result, out, err) = try TestSupport.runScript(text, file: "lines.ttcp")
        #expect(result.exitStatus == 1)
        let output = out.joined(separator: "\n")
        #expect(output.contains("0.000000s out IP 10.0.0.2.40000 > 10.0.1.1.7: Flags [S], seq 1000, win 65535, options [mss 1460], length 0"),
                "\(output)")
        #expect(output.contains("s in  IP 10.0.1.1.7 > 10.0.0.2.40000: Flags [S.], seq "), "\(output)")
        let lines = err.joined(separator: "\n").split(separator: "\n").map(String.init)
        try #require(lines.count >= 3, "\(lines)")
        #expect(lines[1].hasPrefix("got IP 10.0.1.1.7 > 10.0.0.2.40000: Flags [S.], seq "))
        #expect(lines[1].contains(", ack 1001, win "))
        #expect(lines[2].hasPrefix("options: expected none, got [mss 1460"), "\(lines)")
    }

    @Test("nothing arriving is reported as such, with the timing")
    func nothingArrived() throws {
        let (result, _, err) = try TestSupport.runScript("expect S. within 2s\n", file: "none.ttcp")
        #expect(result.exitStatus == 1)
        #expect(err.joined(separator: "\n").contains("got nothing\nwithin 2s; nothing arrived"))
    }

    @Test("--keep-going reports every failure; without it the first stops the script")
    func keepGoing() throws {
        let text = "assert 1 == 2\nassert 2 == 3\nprint \"end\"\n"
        let (stop, out1, err1) = try TestSupport.runScript(text, file: "k.ttcp")
        #expect(stop.failures.count == 1 && stop.exitStatus == 1 && !out1.contains { $0.contains("end") })
        #expect(err1.first?.hasPrefix("k.ttcp:1:8: assertion failed: 1 == 2 (left side is 1, right side is 2)") == true)
        let (all, out2, _) = try TestSupport.runScript(text, file: "k.ttcp", keepGoing: true)
        #expect(all.failures.count == 2 && all.exitStatus == 1 && out2.contains { $0.contains("end") })
    }

    @Test("a bad line stops the script before anything runs, with file:line:col, the line and a caret")
    func badLine() throws {
        let (result, out, err) = try TestSupport.runScript("print 1\ninject SZ on c\n", file: "bad.ttcp")
        #expect(result.exitStatus == 1)
        #expect(out.isEmpty)
        #expect(err.first == "bad.ttcp:2:9: 'Z' is not a TCP flag (use F S R P A or . U E W e)\ninject SZ on c\n        ^")
    }
}

/// The interactive session's error handling, through the same interpreter (issue 5 bad-input classes):
/// each is one error line with the column, and the session goes on.
@Suite("Interpreter: bad input keeps the session going")
struct InterpreterSessionTests {
    @Test("unknown connection name: error at its column, then the next command works")
    func unknownConnection() throws {
        let network = try SimulatedScriptNetwork(seed: 1)
        var out: [String] = []
        let interpreter = Interpreter(network: network, output: { out.append($0) })
        let loc = SourceLocation(file: "<stdin>", line: 1, column: 1)
        do throws(ScriptError) {
            _ = try interpreter.execute(line: "send nosuch \"x\"", location: loc)
            Issue.record("no error")
        } catch {
            #expect(error.headline == "<stdin>:1:6: unknown connection 'nosuch' (connections: none yet)")
        }
        _ = try interpreter.execute(line: "peer echo 10.0.1.1 7", location: loc.at(column: 1))
        _ = try interpreter.execute(line: "connect 10.0.1.1 7 as c", location: loc)
        #expect(interpreter.currentConnection?.state == .established)
        do throws(ScriptError) {
            _ = try interpreter.execute(line: "inject R on cc", location: loc)
            Issue.record("no error")
        } catch {
            #expect(error.headline == "<stdin>:1:13: unknown connection 'cc' (connections: c)")
        }
        _ = try interpreter.execute(line: "close c", location: loc)
    }
}
