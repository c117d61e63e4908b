import ArgumentParser
import Foundation
import ToyTCPScript
import ToyTCPShell

/// `toytcp-shell run FILE.ttcp [--keep-going] [--netns NAME | --sim]`: runs a script.
///
/// Exit status: 0 when every expectation held, 1 when one failed or a line was bad, 2 for usage errors
/// and environment problems (unreadable file, no such namespace).
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .ttcp script (exit 0 when every expectation held, 1 otherwise).",
        discussion: "Example: toytcp-shell run examples/sim-echo.ttcp")

    @Argument(help: "The script to run.", completion: .file(extensions: ["ttcp", "pkt"]))
    var file: String

    @Argument(help: "More .pkt scripts, run one after another (exit status 1 if any failed).",
              completion: .file(extensions: ["pkt"]))
    var more: [String] = []

    @Flag(name: .long, help: "Report every failure instead of stopping at the first.")
    var keepGoing = false

    @Flag(name: .long, help: "Only parse and check the script (syntax, ranges, names); send nothing.")
    var check = false

    @OptionGroup var network: NetworkOptions

    @OptionGroup(title: "packetdrill scripts (.pkt)") var packetdrill: PacketdrillOptions

    func run() throws {
        if packetdrill.packetdrill || file.hasSuffix(".pkt") {
            Foundation.exit(try packetdrill.run(files: [file] + more))
        }
        guard more.isEmpty else { throw ValidationError("only .pkt scripts can be run several at once") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read '\(file)': check the path (scripts usually live in examples/)")
        }
        let text = String(decoding: data, as: UTF8.self)
        if check {
            let errors = ScriptRunner(file: file, text: text).check()
            for e in errors.prefix(20) { ConsoleOutput.error(e.description) }
            if errors.isEmpty { ConsoleOutput.line("# \(file): checked, no errors") }
            ConsoleOutput.flush()
            Foundation.exit(errors.isEmpty ? 0 : 1)
        }
        let net = try network.open(script: file, text: text)
        let runner = ScriptRunner(file: file, text: text, keepGoing: keepGoing)
        ConsoleOutput.line("# " + net.banner)
        InterruptSignal.install()
        let result = runner.run(on: net, output: ConsoleOutput.line, errorOutput: ConsoleOutput.error,
                                interrupted: InterruptSignal.take)
        if result.exitStatus == 0 {
            ConsoleOutput.line("# \(file): ok (\(result.statementsRun) statements)")
        }
        ConsoleOutput.flush()
        Foundation.exit(result.exitStatus)
    }
}
