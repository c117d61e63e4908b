extension LineParser {
    /// `graph [NAME] --out FILE [--html] [--from T] [--to T]` (the options in any order; T is a time
    /// since the connection's first segment, e.g. 150ms).
    mutating func parseGraph() throws(ScriptError) -> Command {
        let ref = connectionRef()
        var path: String?
        var html = false
        var from: Duration?, to: Duration?
        while let t = next() {
            switch t.text {
            case "--html": html = true
            case "--from", "--to":
                guard let v = next() else { throw error("\(t.text) needs a time (e.g. 150ms)", endColumn + 1) }
                let d = try duration(v)
                if t.text == "--from" { from = d } else { to = d }
            case "--out":
                guard let f = next() else { throw error("--out needs a file name", endColumn + 1) }
                if case .string(let b) = f.kind { path = String(decoding: b, as: UTF8.self) } else { path = f.text }
            default: throw error("graph takes --out FILE, --html, --from T and --to T, not '\(t.text)'", t.column)
            }
        }
        guard let path else { throw error("graph needs --out FILE (an .svg, or an .html page with --html)", endColumn + 1) }
        if let from, let to, to <= from { throw error("--to must be later than --from", endColumn + 1) }
        return .graph(ref, path: path, html: html, from: from, to: to)
    }
}
