import ToyTCPScript

/// The interactive loop: read a line (readline), run it through the same `Interpreter` scripts use,
/// print the result or the error (`<stdin>:LINE:COL: message` with a caret), and go on. Ctrl-D or
/// `quit` closes every connection cleanly.
///
/// On the lab the stack keeps running on its event loop while the prompt waits: trace lines and events
/// are printed above the prompt as they happen, the line being typed is redrawn intact.
public final class ShellSession {
    public let interpreter: Interpreter
    let editor: LineEditor
    let network: ScriptNetwork
    var lineNumber = 0
    let output: (String) -> Void
    let errorOutput: (String) -> Void

    public init(network: ScriptNetwork, historyPath: String? = nil,
                output: @escaping (String) -> Void, errorOutput: @escaping (String) -> Void) {
        self.network = network
        self.output = output
        self.errorOutput = errorOutput
        let interpreter = Interpreter(network: network, output: output)
        self.interpreter = interpreter
        editor = LineEditor(completion: Completion(names: { [unowned interpreter] in
            Completion.Names(connections: interpreter.connectionNames, listeners: interpreter.listenerNames,
                             segments: interpreter.segmentNames, variables: interpreter.variableNames,
                             addresses: interpreter.network.knownAddresses)
        }), historyPath: historyPath)
        // What the stack does while the prompt waits (trace lines, a connection failing) goes above it.
        interpreter.output = { [editor] line in editor.printAbovePrompt(line, output) }
        interpreter.helpHandler = Help.text
        interpreter.interrupted = { InterruptSignal.isSet }
    }

    /// Runs until Ctrl-D or `quit`.
    public func run() {
        InterruptSignal.install()
        output(network.banner)
        output("type help for the commands, Ctrl-D to leave")
        while true {
            InterruptSignal.clear()
            let prompt = {
                Prompt.text(network: self.network.label, connection: self.interpreter.currentConnection,
                            held: self.interpreter.heldSummary)
            }
            // On the lab the stack runs while the prompt waits: absorb what it did as it happens.
            guard let line = editor.readLine(prompt: prompt, wake: network.observationDescriptor,
                                             onWake: { self.interpreter.absorb() }) else {
                output("")
                break
            }
            lineNumber += 1
            InterruptSignal.clear()
            do {
                if try !interpreter.execute(line: line, location: SourceLocation(file: "<stdin>", line: lineNumber, column: 1)) { break }
                if InterruptSignal.isSet { output("interrupted") }
            } catch {
                errorOutput(error.description)
            }
        }
        output("closing connections…")
        interpreter.finish()
        editor.close()
    }
}
