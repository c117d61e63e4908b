import ArgumentParser
import Foundation

/// `toytcp-shell`: the REPL (default), script runner and decoder of toytcp.
///
/// Exit statuses (one table, mapped here): 0 success; 1 a script expectation failed or a script line was
/// bad; 2 bad command-line input or an environment problem the user must fix (not root, no such
/// namespace, address not on any interface, port in use).
@main
struct ToyTCPShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toytcp-shell",
        abstract: "A user-space TCP/IP stack with a packet-level scripting shell.",
        version: "0.1.0",
        subcommands: [Shell.self, Run.self, Decode.self, Ladder.self, Graph.self, Convert.self],
        defaultSubcommand: Shell.self)

    /// Parses and runs, mapping ArgumentParser's usage status (64) to ours (2).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure || code.rawValue == 64 {
                // Usage errors: ArgumentParser's message, usage line and help hint; our status.
                let message = fullMessage(for: error)
                FileHandleOutput.standardError(message)
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
