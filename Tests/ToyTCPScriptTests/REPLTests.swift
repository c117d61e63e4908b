import Foundation
import Testing

/// The REPL driven through a real pseudo-terminal (tmux): prompt, a command, tab completion of a
/// command and of a connection name, history across a restart, and an error that keeps the session.
/// These poll the terminal with a bounded wait, as a person would look at it.
@Suite("REPL through a pseudo-terminal", .serialized)
struct REPLTests {
    final class Terminal {
        let session: String
        init(historyFile: String) throws {
            session = "toytcp-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let command = "TOYTCP_HISTORY=\(historyFile) \(TestSupport.executable.path) --sim"
            let arguments = ["-L", tmuxSocket, "new-session", "-d", "-s", session, "-x", "200", "-y", "50", command]
            var r = try TestSupport.run("/usr/bin/tmux", arguments, timeout: 10)
            if r.status != 0 {
                // The previous test's session ending may have been taking the server down: once more.
                usleep(200_000)
                r = try TestSupport.run("/usr/bin/tmux", arguments, timeout: 10)
            }
            guard r.status == 0 else { throw TerminalError(message: "tmux new-session failed: \(r.stderr)") }
        }

        func keys(_ keys: String...) throws {
            _ = try TestSupport.run("/usr/bin/tmux", ["-L", tmuxSocket, "send-keys", "-t", session] + keys, timeout: 10)
        }

        func type(_ text: String) throws {
            _ = try TestSupport.run("/usr/bin/tmux", ["-L", tmuxSocket, "send-keys", "-t", session, "-l", text], timeout: 10)
        }

        func screen() throws -> String {
            try TestSupport.run("/usr/bin/tmux", ["-L", tmuxSocket, "capture-pane", "-p", "-t", session], timeout: 10).stdout
        }

        /// Waits (at most 10 s) until the screen satisfies `condition`; returns the screen.
        @discardableResult
        func waitFor(_ what: String, _ condition: (String) -> Bool) throws -> String {
            var text = ""
            for _ in 0..<200 {
                text = try screen()
                if condition(text) { return text }
                usleep(50_000)
            }
            Issue.record("timed out waiting for \(what); screen:\n\(text)")
            return text
        }

        /// The last non-empty line on the screen (where the cursor line is).
        func lastLine() throws -> String {
            try screen().split(separator: "\n").last.map(String.init) ?? ""
        }

        func close() {
            _ = try? TestSupport.run("/usr/bin/tmux", ["-L", tmuxSocket, "kill-session", "-t", session], timeout: 10)
        }
    }

    struct TerminalError: Error { var message: String }

    func historyFile() -> String {
        NSTemporaryDirectory() + "toytcp-history-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    @Test("the prompt appears with the network; a command runs; the prompt shows the connection and its state")
    func promptAndCommand() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        let first = try t.waitFor("the banner and prompt") { $0.contains("toytcp sim>") }
        #expect(first.contains("simulated network"))
        try t.type("peer echo 10.0.1.1 7"); try t.keys("Enter")
        try t.waitFor("the peer") { $0.contains("peer echo listening on 10.0.1.1:7") }
        try t.type("connect 10.0.1.1 7 as conn1"); try t.keys("Enter")
        try t.waitFor("the connection in the prompt") { $0.contains("toytcp sim conn1 ESTABLISHED>") }
    }

    @Test("tab completes a command name and a connection name")
    func tabCompletion() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.type("peer echo 10.0.1.1 7"); try t.keys("Enter")
        try t.type("connect 10.0.1.1 7 as mylongname"); try t.keys("Enter")
        try t.waitFor("the connection") { $0.contains("mylongname ESTABLISHED>") }
        try t.type("statu"); try t.keys("Tab")  // "stat" is ambiguous: stats, status
        try t.waitFor("status completed") { $0.contains("ESTABLISHED> status") }
        try t.keys("C-u")
        try t.type("close my"); try t.keys("Tab")
        try t.waitFor("the connection name completed") { $0.contains("ESTABLISHED> close mylongname") }
        try t.keys("Enter")
        try t.waitFor("the close") { $0.contains("mylongname: ") && $0.contains("toytcp sim mylongname") }
    }

    @Test("set crafted: tab completes the setting and its values, and the shell says what feed does")
    func craftedSwitch() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.type("set cra"); try t.keys("Tab")
        try t.waitFor("crafted completed") { $0.contains("toytcp sim> set crafted") }
        try t.type("fe"); try t.keys("Tab")
        try t.waitFor("feed completed") { $0.contains("toytcp sim> set crafted feed") }
        try t.keys("Enter")
        try t.waitFor("what feed does") { $0.contains("crafted feed: answers to crafted segments go to our stack too") }
    }

    @Test("tab completes an IPv6 peer address as [ADDRESS]:; the prompt and status show the IPv6 connection")
    func ipv6Completion() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.type("peer echo fd00:0:0:2::1 7"); try t.keys("Enter")
        try t.waitFor("the peer") { $0.contains("peer echo listening on [fd00:0:0:2::1]:7") }
        try t.type("connect [fd00:0:0:2"); try t.keys("Tab")
        try t.waitFor("the address completed") { $0.contains("toytcp sim> connect [fd00:0:0:2::1]:") }
        try t.type("7 as six"); try t.keys("Enter")
        try t.waitFor("the connection in the prompt") { $0.contains("toytcp sim six ESTABLISHED>") }
        try t.type("status"); try t.keys("Enter")
        try t.waitFor("status with the IPv6 tuple") { $0.contains("<-> [fd00:0:0:2::1]:7 ESTABLISHED") && $0.contains("MSS=1440") }
    }

    @Test("history recalls a line after a restart (TOYTCP_HISTORY)")
    func historyAcrossRestart() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        do {
            let t = try Terminal(historyFile: history)
            try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
            try t.type("print 6 * 7"); try t.keys("Enter")
            try t.waitFor("the result") { $0.contains("\n42\n") }
            try t.keys("C-d")
            // The shell leaves on Ctrl-D, closing connections: the tmux session ends with it.
            for _ in 0..<100 where (try? t.screen())?.isEmpty == false { usleep(50_000) }
            t.close()
        }
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("print 6 * 7"))
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.keys("Up")
        try t.waitFor("the recalled line") { $0.contains("toytcp sim> print 6 * 7") }
    }

    @Test("a bad line prints one error with its column and the session goes on")
    func errorKeepsSession() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.type("inject SQ 10.0.0.2:1 > 10.0.1.1:2"); try t.keys("Enter")
        try t.waitFor("the error") { $0.contains("<stdin>:1:9: 'Q' is not a TCP flag") }
        try t.type("help send"); try t.keys("Enter")
        try t.waitFor("help with an example") { $0.contains("example: send c \"hello\\n\"") }
        // Ctrl-C at the prompt drops the line, not the shell.
        try t.type("print 111"); try t.keys("C-c")
        try t.type("print 222"); try t.keys("Enter")
        let screen = try t.waitFor("the next command after Ctrl-C") { $0.contains("\n222\n") }
        #expect(!screen.contains("\n111\n"))
    }
}

/// This test process's own tmux server (`tmux -L`): the default server is shared with whoever else uses
/// tmux on the machine, and a session of theirs ending can take it down under our feet.
let tmuxSocket = "toytcp-script-tests-\(getpid())"
