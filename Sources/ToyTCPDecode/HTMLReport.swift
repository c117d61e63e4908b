/// One self-contained HTML page: the graphs inlined as SVG and the ladder as preformatted text. No
/// scripts, fonts, stylesheets or images are fetched, so the page opens offline and can be mailed.
public struct HTMLReport {
    public var title: String
    /// Sections in order: a heading and either SVG markup or plain text.
    public enum Part {
        case svg(heading: String, markup: String)
        case text(heading: String, text: String)
    }
    public var parts: [Part] = []

    public init(title: String) { self.title = title }

    public func render() -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(SVGWriter.escape(title))</title>
            <style>
            body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; }
            h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
            pre { font-family: monospace; font-size: 12px; line-height: 1.25; background: #f7f7f7; padding: 0.8em; overflow-x: auto; }
            svg { max-width: 100%; height: auto; border: 1px solid #eee; }
            </style>
            </head>
            <body>
            <h1>\(SVGWriter.escape(title))</h1>

            """
        for part in parts {
            switch part {
            case let .svg(heading, markup):
                html += "<h2>\(SVGWriter.escape(heading))</h2>\n" + markup + "\n"
            case let .text(heading, text):
                html += "<h2>\(SVGWriter.escape(heading))</h2>\n<pre>" + SVGWriter.escape(text) + "</pre>\n"
            }
        }
        return html + "</body>\n</html>\n"
    }
}
