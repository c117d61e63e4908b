import Foundation
import Testing
import ToyTCPPacketdrill

/// Runs a `.pkt` text against our own stack (`--stack toytcp`) in this process: virtual time, no
/// namespace, no root. The status and everything the runner printed.
func runOnToyStack(_ name: String, _ text: String) -> (status: Int32, output: String) {
    var out: [String] = []
    let options = PktRunOptions()
    let script: PktScript
    do { script = try PktParser(file: name, defines: options.allDefines).parse(text) } catch { return (1, error.description) }
    let status = PktRunner(script: script, options: options, stack: .toytcp, output: { out.append($0) }).run()
    return (status, out.joined(separator: "\n"))
}

/// The whole Linux selftest corpus against our stack, checked against toytcp-expected.txt: every
/// script listed `pass` passes, every other one fails (each has its reason there), and a script the
/// list does not know is an error, so the list stays honest in both directions.
@Suite struct ToyStackCorpusTests {
    static var expectations: [String: String] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("toytcp-expected.txt").path
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    static func run(_ name: String) throws -> (status: Int32, output: String) {
        let text = try String(contentsOfFile: Corpus.folder + "/" + name, encoding: .utf8)
        return runOnToyStack(name, text)
    }

    @Test func corpusAgainstOurStackMatchesTheList() throws {
        let expected = Self.expectations
        let scripts = Corpus.scripts
        #expect(scripts.count > 100, "the corpus at \(Corpus.folder)")
        var wrong: [String] = []
        var passing = 0
        for name in scripts {
            let (status, output) = try Self.run(name)
            if status == 0 { passing += 1 }
            guard let want = expected[name] else {
                wrong.append("\(name): not in toytcp-expected.txt (it \(status == 0 ? "passes" : "fails: " + (output.split(separator: "\n").first ?? "")))")
                continue
            }
            if want == "pass" && status != 0 {
                wrong.append("\(name): listed as passing, fails: \(output.split(separator: "\n").prefix(3).joined(separator: " | "))")
            } else if want != "pass" && status == 0 {
                wrong.append("\(name): now passes; mark it `pass` in toytcp-expected.txt (was: \(want))")
            }
        }
        print("packetdrill corpus against toytcp: \(passing) of \(scripts.count) pass")
        #expect(wrong.isEmpty, "\(wrong.count) scripts disagree with toytcp-expected.txt:\n\(wrong.joined(separator: "\n"))")
    }

    @Test func theSameScriptGivesTheSameResultEveryRun() throws {
        // Virtual time: no timing flakes. Output (failure reports included) is identical run to run.
        for name in ["tcp_basic_client.pkt", "tcp_dsack_mult.pkt", "tcp_basic_server.pkt", "tcp_rcv_neg_window.pkt"] {
            let first = try Self.run(name)
            let second = try Self.run(name)
            #expect(first.status == second.status && first.output == second.output, "\(name)")
        }
    }
}
