import ArgumentParser
import Foundation
import ToyTCPPacketdrill
import ToyTCPShell

/// packetdrill's own options for `run FILE.pkt` (same spellings as packetdrill's, so its command lines
/// carry over).
struct PacketdrillOptions: ParsableArguments {
    @Flag(name: .customLong("packetdrill"), help: "Read the script as packetdrill's .pkt language (the default for .pkt files).")
    var packetdrill = false

    @Option(name: .customLong("ip_version"), help: "ipv4 (default), ipv6 or ipv4-mapped-ipv6 (AF_INET6 sockets, IPv4 on the wire); a script's own --ip_version line wins.")
    var ipVersion = "ipv4"
    @Option(name: .customLong("local_ip"), help: "Address of the stack under test (default 10.0.0.1; IPv6: fd00:0:0:1::1).")
    var localIP: String?
    @Option(name: .customLong("remote_ip"), help: "Address the script's segments come from (default 10.0.1.1; IPv6: fd00:0:0:2::1).")
    var remoteIP: String?
    @Option(name: .customLong("gateway_ip"), help: "Gateway on tun0 (default 10.0.0.254; IPv6: fd00:0:0:1::fe).")
    var gatewayIP: String?
    @Option(name: .customLong("netmask_ip"), help: "Netmask of the local address (default 255.255.255.0; IPv6: a prefix length, 64).")
    var netmaskIP: String?
    @Option(name: .customLong("mtu"), help: "tun0's MTU (default 1500; IPv6: 1520, as upstream's runner passes it).")
    var mtu: Int?
    @Option(name: .customLong("tolerance_usecs"), help: "Timing tolerance in microseconds (default 4000; a script's own --tolerance_usecs line wins when larger).")
    var toleranceUsecs: Int?
    @Option(name: .customLong("tolerance_percent"), help: "Timing tolerance as a percentage of the time since the previous event, when more than --tolerance_usecs (default 12.5, as packetdrill).")
    var tolerancePercent: Double?
    @Option(name: .customLong("stack"), help: "System under test: kernel (default), toytcp (our engine, virtual time), or both (side by side).")
    var stack = "kernel"
    @Option(name: .customShort("D"), help: "NAME=VALUE, replacing NAME in the script (TFO_COOKIE and CMSG_* have defaults).")
    var defines: [String] = []

    func validate() throws {
        guard let version = PktIPVersion(rawValue: ipVersion) else {
            throw ValidationError("--ip_version \(ipVersion): expected ipv4, ipv6 or ipv4-mapped-ipv6")
        }
        for (name, a) in [("local_ip", localIP), ("remote_ip", remoteIP)] {
            guard let a else { continue }
            guard PktIPVersion.isLabAddress(a) else {
                throw ValidationError("--\(name) \(a): only 10.0.0.0/24 and 10.0.1.0/24 and, in IPv6, unique-local fd00::/8 are allowed (the lab's networks)")
            }
            guard version.accepts(a) else {
                throw ValidationError("--\(name) \(a): not an address of --ip_version \(ipVersion)" + (version.wireIsIPv6 ? "" : " (IPv4 on the wire)"))
            }
        }
        if let mtu, !(1280...65535).contains(mtu) { throw ValidationError("--mtu \(mtu): expected 1280 to 65535") }
        guard ["kernel", "toytcp", "both"].contains(stack) else {
            throw ValidationError("--stack \(stack): expected kernel, toytcp or both")
        }
        for d in defines where !d.contains("=") { throw ValidationError("-D \(d): expected NAME=VALUE") }
    }

    var runOptions: PktRunOptions {
        var o = PktRunOptions()
        o.ipVersion = PktIPVersion(rawValue: ipVersion) ?? .ipv4
        if let localIP { o.local = localIP }
        if let remoteIP { o.remote = remoteIP }
        if let gatewayIP { o.gateway = gatewayIP }
        if let netmaskIP { o.netmask = netmaskIP }
        if let mtu { o.mtu = mtu }
        if let toleranceUsecs { o.tolerance = Double(toleranceUsecs) / 1e6 }
        if let tolerancePercent { o.tolerancePercent = tolerancePercent }
        for d in defines {
            let parts = d.split(separator: "=", maxSplits: 1).map(String.init)
            o.defines[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return o
    }

    /// Runs each of `files` in turn (paths taken from the folder the command started in); the worst
    /// exit status.
    func run(files: [String]) throws -> Int32 {
        let cwd = FileManager.default.currentDirectoryPath
        var worst: Int32 = 0
        for f in files {
            let path = f.hasPrefix("/") ? f : cwd + "/" + f
            worst = max(worst, try run(file: path))
        }
        return worst
    }

    /// Parses and runs `file` against the system `--stack` names, from the script's folder; returns
    /// the exit status.
    func run(file: String) throws -> Int32 {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read '\(file)'")
        }
        let text = String(decoding: data, as: UTF8.self)
        let options = runOptions.forScript(text)
        let name = (file as NSString).lastPathComponent
        let script: PktScript
        do {
            script = try PktParser(file: name, defines: options.allDefines).parse(text)
        } catch {
            ConsoleOutput.error(error.description)
            return 1
        }
        let folder = (file as NSString).deletingLastPathComponent
        if !folder.isEmpty { FileManager.default.changeCurrentDirectoryPath(folder) }
        let print: (String) -> Void = { ConsoleOutput.line($0); ConsoleOutput.flush() }
        guard stack == "both" else {
            let system: PktStack = stack == "toytcp" ? .toytcp : .kernel
            let status = PktRunner(script: script, options: options, stack: system, output: print).run()
            if status == 0 { print("# \(name): ok (\(system.rawValue))") }
            return status
        }
        // Both: each run's own report, then the first point where they differ.
        var observations: [PktStack: [PktObservation]] = [:]
        var statuses: [PktStack: Int32] = [:]
        for system in PktStack.allCases {
            let runner = PktRunner(script: script, options: options, stack: system, output: { print("[\(system.rawValue)] " + $0) })
            statuses[system] = runner.run()
            observations[system] = runner.observations
            print("# \(name): " + (statuses[system] == 0 ? "ok" : "FAILED") + " (\(system.rawValue))")
        }
        let diff = PktSideBySide(kernel: observations[.kernel] ?? [], toytcp: observations[.toytcp] ?? [], tolerance: options.tolerance)
        for line in diff.report { print(line) }
        return diff.firstDifference == nil && statuses[.kernel] == statuses[.toytcp] ? 0 : 1
    }
}
