import ToyTCPEngine

/// Connection variables read straight from the stack's snapshots, where the stack lives (the lab's
/// event loop thread, or the simulated network's): what an expression breakpoint is evaluated against
/// after every packet the intercept stage sees, so a condition that holds only between two packets of
/// one batch still stops the session. Names other than the connections it was given are unknown here
/// (the session evaluates those after each batch).
struct StackSnapshotScope: VariableScope {
    unowned let stack: Stack
    /// The session's connection names when the breakpoint was set.
    let connections: [String: ConnectionID]

    func lookup(_ path: [String]) -> Lookup {
        guard let id = connections[path[0]] else { return .unknownName }
        guard let s = stack.snapshot(id) else { return .unavailable("\(path[0]) is gone") }
        return Interpreter.snapshotField(s, name: path[0], path)
    }
}
