import ArgumentParser
import ToyTCPLink
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

    @Flag(name: .long, help: "Lab: the event loop busy-polls instead of sleeping (answers fastest; takes a CPU while the shell runs). In the shell: set loop busy-poll.")
    var busyPoll = false

    @Option(name: .long, help: ArgumentHelp("Lab: the event loop polls this long after its last work before it sleeps (1ns to 1s). In the shell: set loop spin 200us.", valueName: "duration"))
    var loopSpin: String?

    @Flag(name: .long, help: "Lab: the event loop's thread runs under SCHED_FIFO (needs root). In the shell: set loop-priority realtime.")
    var realtime = false

    func validate() throws {
        if sim && netns != nil { throw ValidationError("--sim and --netns exclude each other: pick one network") }
        if sim && (busyPoll || loopSpin != nil || realtime) {
            throw ValidationError("--busy-poll, --loop-spin and --realtime set the kernel lab's event loop; the simulated network (--sim) has none")
        }
        if busyPoll && loopSpin != nil { throw ValidationError("--busy-poll and --loop-spin exclude each other: pick one") }
        if busyPoll && realtime {
            throw ValidationError("--busy-poll with --realtime would starve every other thread of the loop's CPU: pick one")
        }
        if let loopSpin, EventLoop.WaitPolicy(["spin", loopSpin]) == nil {
            throw ValidationError("--loop-spin takes a duration from 1ns to 1s with its unit, e.g. 200us, not '\(loopSpin)'")
        }
    }

    /// The loop settings the flags ask for, in the order to apply them.
    private var loopSettings: [LoopSetting] {
        var settings: [LoopSetting] = []
        if busyPoll { settings.append(.wait(.busyPoll)) }
        if let loopSpin, let policy = EventLoop.WaitPolicy(["spin", loopSpin]) { settings.append(.wait(policy)) }
        if realtime { settings.append(.realTime(priority: 10)) }
        return settings
    }

    /// Applies `--busy-poll`, `--loop-spin`, `--realtime` to the network's event loop.
    private func configureLoop(of network: ScriptNetwork) throws -> ScriptNetwork {
        for setting in loopSettings {
            let shown: String?
            do { shown = try network.configureLoop(setting) } catch { throw ValidationError("\(error)") }
            if shown == nil {
                throw ValidationError("--busy-poll, --loop-spin and --realtime set the kernel lab's event loop; this session runs on the simulated network (use --netns host1)")
            }
        }
        return network
    }

    /// Opens the network: for a script, its `# network: sim|lab` line decides when no flag does.
    func open(script: String? = nil, text: String? = nil) throws -> ScriptNetwork {
        var simulated = sim
        if !simulated, netns == nil, let text, NetworkChoice.scriptWantsSimulation(text) { simulated = true }
        do {
            if !simulated, netns == nil, let text, NetworkChoice.scriptWantsLab(text) {
                return try configureLoop(of: NetworkChoice.open(simulated: false, namespace: "host1", seed: seed))
            }
            return try configureLoop(of: NetworkChoice.open(simulated: simulated, namespace: netns, seed: seed))
        } catch let error as ScriptError {
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
