extension LineParser {
    /// `graph [NAME] --out FILE [--html]` (the options in either order).
    mutating func parseGraph() throws(ScriptError) -> Command {
        let ref = connectionRef()
        var path: String?
        var html = false
        while let t = next() {
            switch t.text {
            case "--html": html = true
            case "--out":
                guard let f = next() else { throw error("--out needs a file name", endColumn + 1) }
                if case .string(let b) = f.kind { path = String(decoding: b, as: UTF8.self) } else { path = f.text }
            default: throw error("graph takes --out FILE and --html, not '\(t.text)'", t.column)
            }
        }
        guard let path else { throw error("graph needs --out FILE (an .svg, or an .html page with --html)", endColumn + 1) }
        return .graph(ref, path: path, html: html)
    }
}
