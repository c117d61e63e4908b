import CToyTCPPacketdrill
import Foundation

extension PktRunner {
    func syscall(_ call: PktSyscall, event: PktEvent, at t: Double) throws {
        let line = event.location.line
        if let endOffset = event.time.end {
            let end = (event.time.kind == .absolute ? 0 : t - event.time.start) + endOffset
            pending = PendingSyscall(call: call, line: line, column: event.location.column, start: t, end: max(end, t))
            sut.begin(call)
            return
        }
        let outcome: SyscallOutcome
        do { outcome = try sut.run(call) } catch { throw Failure(line: line, column: event.location.column, message: "\(error)") }
        try check(call, outcome, line: line, at: elapsed())
    }

    /// Waits for the blocking call (until script time `deadline`; nil: as long as it takes, at most
    /// its end + 10 s) and checks it.
    func finishPending(deadline: Double?, line: Int = 0) throws {
        guard let p = pending else { return }
        let limit = deadline ?? (p.end + 10)
        var done = sut.finished
        while done == nil {
            if elapsed() >= limit {
                if deadline == nil {
                    throw Failure(line: p.line, message: "error: \(p.call.name) did not return (expected it to by \(String(format: "%.6f", p.end)) sec)")
                }
                return
            }
            sut.pass(until: limit, stopEarly: true)
            collect()
            done = sut.finished
        }
        pending = nil
        let (r, at) = done!
        let outcome: SyscallOutcome
        switch r {
        case .success(let o): outcome = o
        case .failure(let e): throw Failure(line: p.line, column: p.column, message: "\(e)")
        }
        try check(p.call, outcome, line: p.line, at: at)
        // The share of --tolerance_percent counts from the call's start (packetdrill's run_system_call.c).
        let tolerance = max(options.tolerance, options.tolerancePercent / 100 * (p.end - p.start))
        if abs(at - p.end) > tolerance {
            throw Failure(line: p.line, message: String(format: "error: timing error: expected system call to return at %.6f sec but happened at %.6f sec; tolerance %.6f sec", p.end, at, tolerance))
        }
    }

    /// Compares a call's return value, errno and outputs with the script; binds fds it returned.
    func check(_ call: PktSyscall, _ o: SyscallOutcome, line: Int, at t: Double) throws {
        for (s, l) in o.newFDs { sut.bind(scriptFD: s, to: l, underTest: false) }
        let expected: Int64
        do { expected = try KernelSyscalls.value(call.result) } catch { throw Failure(line: line, message: "\(error)") }
        // A new fd is observed as the script's number for it (each system numbers its own fds).
        let returnsFD = KernelSyscalls.returnsFD.contains(call.name) && expected >= 0 && o.result >= 0
        let shown = o.result < 0 ? "\(o.result) (\(PktSymbols.errnoName(o.errno)))" : "\(returnsFD ? expected : o.result)"
        observe(at: t, "\(call.name)(…) = \(shown)" + (o.outputMismatch.map { " [\($0)]" } ?? ""))
        let actualText = o.result < 0 ? "\(o.result) (\(PktSymbols.errnoName(o.errno)))" : "\(o.result)"
        if returnsFD {
            sut.bind(scriptFD: Int32(expected), to: Int32(o.result), underTest: call.name == "socket" || call.name.hasPrefix("accept"))
        } else if call.result != .ellipsis && o.result != expected {
            throw Failure(line: line, message: "error: \(call.name)(...) returned \(actualText) but expected \(expected)\(call.errno.map { " (\($0))" } ?? "")")
        }
        if expected < 0, let name = call.errno {
            guard let want = PktSymbols.errnos[name] else { throw Failure(line: line, message: "unknown errno name '\(name)'") }
            if want != o.errno {
                throw Failure(line: line, message: "error: \(call.name)(...) expected errno \(name) (\(want)) but got \(PktSymbols.errnoName(o.errno)) (\(o.errno))")
            }
        }
        if let m = o.outputMismatch { throw Failure(line: line, message: "error: \(call.name)(...): \(m)") }
        if call.name == "close", o.result == 0 {
            sut.closed(scriptFD: Int32(truncatingIfNeeded: (try? KernelSyscalls.value(call.arguments.first ?? .ellipsis)) ?? -1))
        }
    }

    // MARK: Python

    /// Runs a `%{ … }%` block in python3 with the `tcpi_*` values of TCP_INFO (and `SK_MEMINFO_*`) of
    /// the socket under test bound, as packetdrill does.
    func pythonSource(_ code: String, line: Int) -> String {
        var prelude = "import sys\n"
        for (k, v) in PktSymbols.python.sorted(by: { $0.key < $1.key }) { prelude += "\(k) = \(v)\n" }
        prelude += sut.tcpInfoPrelude()
        var lines = code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let f = lines.first, f.trimmed.isEmpty { lines.removeFirst() }
        while let l = lines.last, l.trimmed.isEmpty { lines.removeLast() }
        let indent = lines.dropFirst().filter { !$0.trimmed.isEmpty }.map { $0.prefix { $0 == " " || $0 == "\t" }.count }.min() ?? 0
        let body = ([lines.first?.trimmed ?? ""] + lines.dropFirst().map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " || $0 == "\t" }.count))) })
            .joined(separator: "\n")
            // A block may end in a line continuation (`assert …;\` before `}%` in tcp-info-rwnd-limited):
            // in packetdrill's file the block's own newline and the next line follow it; here an empty line.
            + "\n\n"
        return prelude + "exec(compile(" + PktRunner.pythonString(body) + ", " + PktRunner.pythonString("\(script.file):\(line)") + ", 'exec'))\n"
    }

    func runPython(_ text: String, line: Int) throws {
        let path = "/tmp/pktdrill-\(getpid())-\(line).py"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw Failure(line: line, message: "cannot write \(path)")
        }
        defer { unlink(path) }
        var out = ""
        let status = Shell.run("python3 \(path)") { out += $0 }
        if status != 0 {
            throw Failure(line: line, message: "error in python code: status \(status)\n" + out)
        }
        if !out.isEmpty { output(out) }
    }

    static func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            .replacingOccurrences(of: "\n", with: "\\n") + "'"
    }
}
