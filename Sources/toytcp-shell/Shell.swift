import ArgumentParser

/// `toytcp-shell [shell]`: the interactive REPL (owned by the shell work; see issue 5).
struct Shell: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the interactive shell (default).")
    func run() throws { throw ValidationError("the interactive shell is not built yet") }
}
