import ToyTCPEngine
import ToyTCPScript
import ToyTCPWire

/// The prompt: the network (`sim` or the namespace) and the current connection with its state,
/// `toytcp sim c1 ESTABLISHED> `, so a person always sees where they are; while intercept holds
/// segments, how many and for how long (`[held 1 for 2.3s]`: on the lab the timers keep running).
public enum Prompt {
    public static func text(network: String, connection: (name: String, state: TCPState)?, held: String? = nil) -> String {
        var s = "toytcp \(network)"
        if let connection { s += " \(connection.name) \(connection.state)" }
        if let held { s += " [\(held)]" }
        return s + "> "
    }
}
