import ToyTCPEngine
import ToyTCPScript

/// The prompt: the network (`sim` or the namespace) and the current connection with its state,
/// `toytcp sim c1 ESTABLISHED> `, so a person always sees where they are.
public enum Prompt {
    public static func text(network: String, connection: (name: String, state: TCPState)?) -> String {
        var s = "toytcp \(network)"
        if let connection { s += " \(connection.name) \(connection.state)" }
        return s + "> "
    }
}
