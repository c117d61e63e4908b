/// Runs a whole `.ttcp` script: parses and checks every line first (so a typo or an unbound name on
/// line 40 is reported before anything is sent), then runs the statements in order.
///
/// A bad line, a failed `expect`, `assert` or `wait`, or a failed command stops the script with
/// `file:line:col: message` and exit status 1; with `keepGoing` every failure is reported and the script
/// runs on. Exit status 0 means every expectation held.
public struct ScriptRunner {
    public var file: String
    public var text: String
    public var keepGoing: Bool
    /// Check errors printed before giving up (the rest are counted).
    static let maximumErrorsShown = 20

    public init(file: String, text: String, keepGoing: Bool = false) {
        self.file = file
        self.text = text
        self.keepGoing = keepGoing
    }

    /// The outcome of a run.
    public struct Result: Sendable {
        public var failures: [ScriptError]
        public var statementsRun: Int
        public var exitStatus: Int32 { failures.isEmpty ? 0 : 1 }
    }

    /// Runs the script on `network`; results go to `output`, failures to `errorOutput` as they happen.
    public func run(on network: ScriptNetwork, output: @escaping (String) -> Void,
                    errorOutput: @escaping (String) -> Void,
                    interrupted: @escaping () -> Bool = { false }) -> Result {
        let (statements, errors) = parseAndCheck()
        if !errors.isEmpty {
            let shown = Array(errors.prefix(ScriptRunner.maximumErrorsShown))
            for e in shown { errorOutput(e.description) }
            if errors.count > shown.count { errorOutput("\(file): \(errors.count - shown.count) more errors not shown") }
            return Result(failures: errors, statementsRun: 0)
        }
        let interpreter = Interpreter(network: network, output: output)
        interpreter.interrupted = interrupted
        var failures: [ScriptError] = []
        var run = 0
        for s in statements {
            if interrupted() { break }
            run += 1
            do {
                if try !interpreter.execute(s) { break }
            } catch {
                errorOutput(error.description)
                failures.append(error)
                if !keepGoing { break }
            }
        }
        interpreter.finish()
        if keepGoing && failures.count > 1 {
            errorOutput("\(file): \(failures.count) failures")
        }
        return Result(failures: failures, statementsRun: run)
    }
}

extension ScriptRunner {
    /// The whole script checked before anything is sent: syntax, ranges and flags (the parser), names
    /// used before they are bound (the checker). Every error, in line order.
    func parseAndCheck() -> (statements: [Statement], errors: [ScriptError]) {
        let (statements, parseErrors) = Parser(file: file).parse(script: text)
        let errors = (parseErrors + ScriptChecker().check(statements)).sorted {
            ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
        }
        return (statements, errors)
    }

    /// The check alone (`toytcp-shell run --check`).
    public func check() -> [ScriptError] { parseAndCheck().errors }
}

extension Interpreter {
    /// Ends a session: stops recording and closes every connection cleanly (FIN, not RST), waiting a
    /// bounded time for the peers to answer.
    public func finish() {
        absorb()
        recorder?.close()
        recorder = nil
        network.shutdown()
        for p in peerProcesses.values { p.stop() }
        peerProcesses.removeAll()
    }
}
