import ArgumentParser
import ToyTCPScript
import ToyTCPShell

/// Options both `shell` and `run` take: which network.
struct NetworkOptions: ParsableArguments {
    @Option(name: .long, help: "Run in this network namespace (the kernel lab, e.g. host1). Needs root.")
    var netns: String?

    @Flag(name: .long, help: "Use the simulated network even when the lab is available.")
    var sim = false

    @Option(name: .long, help: "Seed of the simulated network (runs repeat exactly).")
    var seed: UInt64 = 1

    func validate() throws {
        if sim && netns != nil { throw ValidationError("--sim and --netns exclude each other: pick one network") }
    }

    /// Opens the network: for a script, its `# network: sim|lab` line decides when no flag does.
    func open(script: String? = nil, text: String? = nil) throws -> ScriptNetwork {
        var simulated = sim
        if !simulated, netns == nil, let text, NetworkChoice.scriptWantsSimulation(text) { simulated = true }
        do {
            if !simulated, netns == nil, let text, NetworkChoice.scriptWantsLab(text) {
                return try NetworkChoice.open(simulated: false, namespace: "host1", seed: seed)
            }
            return try NetworkChoice.open(simulated: simulated, namespace: netns, seed: seed)
        } catch {
            throw ValidationError(error.message)
        }
    }
}

/// `toytcp-shell [shell]`: the interactive REPL.
struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the interactive shell (default).",
        discussion: "On the kernel lab when root and the lab is up (or with --netns), else on the simulated network.")

    @OptionGroup var network: NetworkOptions

    @Option(name: .long, help: "History file (default $TOYTCP_HISTORY or ~/.toytcp_history).")
    var history: String?

    func run() throws {
        let net = try network.open()
        let session = ShellSession(network: net, historyPath: history,
                                   output: ConsoleOutput.line, errorOutput: ConsoleOutput.error)
        session.run()
    }
}
