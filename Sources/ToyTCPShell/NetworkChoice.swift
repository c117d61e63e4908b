#if canImport(Glibc)
import Glibc
#endif
import ToyTCPScript

/// Which network a session runs on: `--sim` forces the simulated one; `--netns NAME` enters that
/// namespace (the lab); otherwise the lab's `host1` when we are root and it exists, else the
/// simulated network. A script can ask for the simulated network with a `# network: sim` line.
public enum NetworkChoice {
    public static func open(simulated: Bool, namespace: String?, seed: UInt64) throws(ScriptError) -> ScriptNetwork {
        if simulated { return try SimulatedScriptNetwork(seed: seed) }
        if let namespace { return try LabScriptNetwork(namespace: namespace) }
        if geteuid() == 0, access("/var/run/netns/host1", F_OK) == 0 {
            return try LabScriptNetwork(namespace: "host1")
        }
        return try SimulatedScriptNetwork(seed: seed)
    }

    /// True if the script says `# network: sim` in its comments.
    public static func scriptWantsSimulation(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            let t = line.trimmingPrefix(while: { $0 == " " })
            return t.hasPrefix("#") && t.contains("network: sim")
        }
    }

    /// True if the script says `# network: lab`.
    public static func scriptWantsLab(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            let t = line.trimmingPrefix(while: { $0 == " " })
            return t.hasPrefix("#") && t.contains("network: lab")
        }
    }
}

extension Substring {
    fileprivate func trimmingPrefix(while p: (Character) -> Bool) -> Substring {
        var s = self
        while let f = s.first, p(f) { s = s.dropFirst() }
        return s
    }
}
