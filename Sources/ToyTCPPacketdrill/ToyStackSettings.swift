import Foundation
import ToyTCPEngine

extension ToyStackSystem {
    /// What a script's backtick commands can change on our side.
    struct Settings {
        var configuration: StackConfiguration
        /// Show bursts as GSO super-segments (`ethtool -K tun0 tso off` turns it off, as on Linux).
        var gso = true
    }

    /// What a backtick command does: `defaults.sh` (which `packetdrillLinuxDefaults` already stands
    /// for), the sysctl-restore script, the sysctls the engine has a setting for (by `sysctl -q` or
    /// `set_sysctls.py /proc/sys/net/ipv4/…`), and `ethtool -K tun0 tso/gso off`; anything else
    /// configures or inspects the kernel and is unsupported.
    static func settings(_ command: String, base: Settings) throws(SyscallError) -> Settings {
        var s = base
        let steps = command.split(whereSeparator: { $0 == "\n" || $0 == ";" }).map { $0.split(separator: "#")[0].trimmingCharacters(in: .whitespaces) }
        for step in steps where !step.isEmpty {
            if step == "./defaults.sh" || step.hasPrefix("/tmp/sysctl_restore_") { continue }
            let words = step.split(separator: " ").map(String.init)
            if words.count >= 4, words[0] == "ethtool", words[1] == "-K", words[2] == "tun0",
               stride(from: 3, to: words.count - 1, by: 2).allSatisfy({ ["tso", "gso"].contains(words[$0]) && words[$0 + 1] == "off" }) {
                s.gso = false
                continue
            }
            var assignments: [String] = []
            if words.count == 3, words[0] == "sysctl", words[1] == "-q" {
                assignments = [words[2]]
            } else if words.count >= 2, words[0] == "./set_sysctls.py", words.dropFirst().allSatisfy({ $0.hasPrefix("/proc/sys/") }) {
                assignments = words.dropFirst().map { String($0.dropFirst(10)).replacingOccurrences(of: "/", with: ".") }
            } else {
                throw SyscallError(description: "unsupported on toytcp: shell command `\(step)` (it configures or inspects the kernel)")
            }
            for a in assignments { try apply(a, to: &s.configuration) }
        }
        return s
    }

    static func apply(_ assignment: String, to c: inout StackConfiguration) throws(SyscallError) {
        guard let eq = assignment.firstIndex(of: "=") else { throw SyscallError(description: "unsupported on toytcp: sysctl \(assignment)") }
        let key = String(assignment[..<eq]), value = Int(assignment[assignment.index(after: eq)...])
        switch (key, value) {
        case ("net.ipv4.tcp_ecn", 0?), ("net.ipv4.tcp_ecn", 1?): c.ecn = value == 1
        case ("net.ipv4.tcp_timestamps", let v?): c.timestamps = v != 0
        case ("net.ipv4.tcp_sack", let v?): c.sack = v != 0
        case ("net.ipv4.tcp_dsack", let v?): c.dsack = v != 0
        case ("net.ipv4.tcp_syn_retries", let v?): c.synRetries = v
        case ("net.ipv4.tcp_synack_retries", let v?): c.synAckRetries = v
        default: throw SyscallError(description: "unsupported on toytcp: sysctl \(assignment) (no engine setting for it)")
        }
    }
}
