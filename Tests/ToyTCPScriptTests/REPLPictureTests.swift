import Foundation
import Testing

extension REPLTests {
    @Test("ladder in the interactive shell: fits the terminal's 200 columns, coloured on the terminal")
    func ladderInTheTerminal() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try Terminal(historyFile: history)
        defer { t.close() }
        try t.waitFor("the prompt") { $0.contains("toytcp sim>") }
        try t.type("peer echo 10.0.1.1 7"); try t.keys("Enter")
        try t.waitFor("the peer") { $0.contains("peer echo listening") }
        try t.type("connect 10.0.1.1 7 as c"); try t.keys("Enter")
        try t.waitFor("the connection") { $0.contains("toytcp sim c ESTABLISHED>") }
        try t.type("ladder"); try t.keys("Enter")
        let screen = try t.waitFor("the ladder") { $0.contains("| ESTABLISHED") }
        let arrow = try #require(screen.split(separator: "\n").first { $0.contains("|-- S seq 0 ") })
        #expect(arrow.hasSuffix("| SYN-RECEIVED"))
        // 200 columns: the lane reaches past what a 100-column ladder would.
        let header = try #require(screen.split(separator: "\n").first { $0.contains("time (s)") })
        #expect(header.count > 150, "\(header)")
        let coloured = try TestSupport.run("/usr/bin/tmux", ["-L", tmuxSocket, "capture-pane", "-e", "-p", "-t", t.session], timeout: 10).stdout
        #expect(coloured.contains("\u{1B}[32m-- S seq 0"), "SYN arrow in green on the terminal")
    }
}
