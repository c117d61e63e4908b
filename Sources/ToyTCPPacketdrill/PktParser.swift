/// Parses packetdrill's `.pkt` language (packetdrill's `lexer.l`/`parser.y`) into `PktScript`.
///
/// Statements are found at the character level (comments removed, a system call may span lines until
/// its brackets close), then each is parsed on its own; every error carries the line and column of
/// the construct it names, and a construct this parser does not know is an error, never skipped.
public struct PktParser {
    public var file: String
    /// `-D NAME=VALUE`: replaces NAME wherever a symbol or an option value is written.
    public var defines: [String: String]

    public init(file: String, defines: [String: String] = [:]) {
        self.file = file
        self.defines = defines
    }

    public func parse(_ text: String) throws(PktError) -> PktScript {
        var script = PktScript(file: file)
        var s = Scanner(chars: PktParser.removingComments(Array(text.unicodeScalars)))
        while true {
            s.skipSpace()
            guard let c = s.peek() else { break }
            let at = s.location
            if c == "-" && s.peek(1) == "-" {
                let line = s.readLine().trimmed
                let body = String(line.dropFirst(2))
                let parts = body.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts[0].trimmed
                guard !name.isEmpty else { throw error(at, "an option line needs a name: --NAME=VALUE") }
                script.options.append((name, parts.count > 1 ? parts[1].trimmed : "", at))
                continue
            }
            var time = PktTime(kind: .relative, start: 0)
            if c != "`" && !(c == "%" && s.peek(1) == "{") {
                time = try parseTime(&s)
                s.skipSpaceOnLine()
            }
            let kindAt = s.location
            guard let k = s.peek() else { throw error(kindAt, "a time must be followed by an event") }
            if k == "`" {
                s.advance()
                guard let body = s.read(until: "`") else { throw error(kindAt, "unterminated shell command: no closing backtick") }
                script.events.append(PktEvent(time: time, kind: .shell(body), location: at))
            } else if k == "%" && s.peek(1) == "{" {
                s.advance(); s.advance()
                guard let body = s.read(until: "}%") else { throw error(kindAt, "unterminated python block: no closing }%") }
                script.events.append(PktEvent(time: time, kind: .python(body), location: at))
            } else if k == "<" || k == ">" {
                let lineText = s.readLine()
                let packet = try parsePacket(lineText, at: kindAt)
                script.events.append(PktEvent(time: time, kind: .packet(packet), location: at))
            } else if isIdentStart(k) {
                let text = try readSyscallText(&s, at: kindAt)
                let call = try parseSyscall(text, at: kindAt)
                script.events.append(PktEvent(time: time, kind: .syscall(call), location: kindAt))
            } else {
                throw error(kindAt, "unexpected '\(Character(k))': expected a packet (< or >), a system call, a `command` or %{ python }%")
            }
        }
        return script
    }

    func error(_ at: PktLocation, _ message: String) -> PktError {
        PktError(file: file, location: at, message: message)
    }

    // MARK: Comments

    /// `//` to the end of the line and `/* … */`, outside backticks, `%{ }%` and quotes, become spaces
    /// (newlines kept, so locations stay right).
    static func removingComments(_ c: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = c
        var i = 0
        var inTick = false, inPython = false, inQuote = false
        while i < c.count {
            let x = c[i], next: Unicode.Scalar? = i + 1 < c.count ? c[i + 1] : nil
            if inTick { if x == "`" { inTick = false }; i += 1; continue }
            if inPython { if x == "}" && next == "%" { inPython = false; i += 2 } else { i += 1 }; continue }
            if inQuote { if x == "\"" { inQuote = false }; i += 1; continue }
            if x == "`" { inTick = true; i += 1; continue }
            if x == "%" && next == "{" { inPython = true; i += 2; continue }
            if x == "\"" { inQuote = true; i += 1; continue }
            if x == "/" && next == "/" {
                while i < c.count && c[i] != "\n" { out[i] = " "; i += 1 }
                continue
            }
            if x == "/" && next == "*" {
                while i < c.count && !(c[i] == "*" && i + 1 < c.count && c[i + 1] == "/") {
                    if c[i] != "\n" { out[i] = " " }
                    i += 1
                }
                if i < c.count { out[i] = " "; out[i + 1] = " "; i += 2 }
                continue
            }
            i += 1
        }
        return out
    }

    // MARK: Times

    func parseTime(_ s: inout Scanner) throws(PktError) -> PktTime {
        let at = s.location
        if s.peek() == "*" { s.advance(); return PktTime(kind: .any, start: 0) }
        var kind = PktTime.Kind.absolute
        var sign = 1.0
        if s.peek() == "+" { kind = .relative; s.advance() }
        else if s.peek() == "-" { kind = .relative; sign = -1; s.advance() }
        guard let start = s.readNumber() else { throw error(at, "expected a time (0.1, +0.1, * or +0...0.5)") }
        var time = PktTime(kind: kind, start: sign * start)
        s.skipSpaceOnLine()
        if s.peek() == "." && s.peek(1) == "." && s.peek(2) == "." {
            s.advance(); s.advance(); s.advance()
            s.skipSpaceOnLine()
            guard let end = s.readNumber() else { throw error(s.location, "expected the end of the time range after '...'") }
            time.end = end
        } else if s.peek() == "~" {
            s.advance()
            s.skipSpaceOnLine()
            if s.peek() == "+" { s.advance() }
            guard let latest = s.readNumber() else { throw error(s.location, "expected the end of the time window after '~'") }
            time.latest = latest
        }
        return time
    }

    // MARK: Packets

    func parsePacket(_ line: String, at: PktLocation) throws(PktError) -> PktPacket {
        var w = Words(line, at: at)
        let direction = w.next()!
        var p = PktPacket(inbound: direction.text == "<", ecn: nil, flags: "", seq: 0, length: 0)
        guard var word = w.next() else { throw error(at, "a packet needs flags and a sequence range") }
        if word.text.hasPrefix("[") {
            p.ecn = String(word.text.dropFirst().dropLast())
            guard ["noecn", "ect0", "ect1", "ce", "ect01"].contains(p.ecn!) else {
                throw error(word.at, "unknown ECN mark '\(word.text)': expected [noecn] [ect0] [ect1] [ce] [ect01]")
            }
            guard let n = w.next() else { throw error(at, "a packet needs flags") }
            word = n
        }
        if word.text == "icmp" {
            guard p.inbound else { throw error(word.at, "outbound icmp is not supported") }
            guard let type = w.next() else { throw error(word.at, "icmp needs a type") }
            var icmp = PktICMP(type: type.text, code: nil, mtu: nil, seq: 0, length: 0)
            while let x = w.next() {
                if x.text.hasPrefix("[") {
                    let inner = String(x.text.dropFirst().dropLast())
                    let (seq, _, len) = try parseRange(inner, at: x.at)
                    icmp.seq = seq; icmp.length = len
                } else if x.text == "mtu" {
                    guard let v = w.next(), let m = UInt32(v.text) else { throw error(x.at, "mtu needs a number") }
                    icmp.mtu = m
                } else {
                    icmp.code = x.text
                }
            }
            p.icmp = icmp
            return p
        }
        // A trailing digit is the AccECN ACE counter (AE, CWR, ECE as a 3-bit number), as in `.5`.
        var letters = word.text
        if let digit = letters.first(where: { $0.isNumber }), let ace = digit.wholeNumberValue, ace < 8 {
            p.ace = UInt8(ace)
            letters.removeAll { $0 == digit }
        }
        for ch in letters where !"SFRPUEWA.-".contains(ch) {
            throw error(word.at, "unknown TCP flag '\(ch)' in '\(word.text)': expected S F R P U E W A . - and an ACE digit 0-7")
        }
        p.flags = letters
        guard let range = w.next() else { throw error(word.at, "expected a sequence range START:END(LENGTH)") }
        (p.seq, _, p.length) = try parseRange(range.text, at: range.at)
        while let x = w.next() {
            switch x.text {
            case "ack", "win", "urg":
                guard let v = w.next() else { throw error(x.at, "'\(x.text)' needs a number") }
                guard let n = UInt32(v.text) else { throw error(v.at, "'\(v.text)' is not a number for \(x.text)") }
                if x.text == "ack" { p.ack = n } else if x.text == "win" { p.window = n } else { p.urgent = n }
            case _ where x.text.hasPrefix("<"):
                p.options = try parseOptions(x.text, at: x.at)
            case _ where x.text.hasPrefix("["):
                p.ecn = String(x.text.dropFirst().dropLast())
            default:
                throw error(x.at, "unexpected '\(x.text)' in a packet: expected ack, win, urg, <options> or [ecn]")
            }
        }
        return p
    }

    func parseRange(_ text: String, at: PktLocation) throws(PktError) -> (UInt32, UInt32, Int) {
        // START:END(LENGTH)
        let parts = text.split(separator: ":")
        guard parts.count == 2, let open = parts[1].firstIndex(of: "("), parts[1].hasSuffix(")"),
              let start = UInt32(parts[0]), let end = UInt32(parts[1][..<open]),
              let len = Int(parts[1][parts[1].index(after: open)..<parts[1].index(before: parts[1].endIndex)])
        else { throw error(at, "expected a sequence range START:END(LENGTH), got '\(text)'") }
        guard end &- start == UInt32(truncatingIfNeeded: len) else {
            throw error(at, "inconsistent sequence range '\(text)': END - START must be LENGTH")
        }
        return (start, end, len)
    }

    func parseOptions(_ text: String, at: PktLocation) throws(PktError) -> [PktOption] {
        let body = text.dropFirst().dropLast()
        var out: [PktOption] = []
        var col = at.column + 1
        for raw in body.split(separator: ",", omittingEmptySubsequences: false) {
            let here = PktLocation(line: at.line, column: col + (raw.count - raw.drop(while: { $0 == " " }).count))
            col += raw.count + 1
            let words = raw.split(separator: " ").map(String.init)
            guard let name = words.first else { throw error(here, "empty TCP option") }
            func num(_ i: Int) throws(PktError) -> UInt32 {
                guard i < words.count, let v = UInt32(words[i]) else {
                    throw error(here, "option '\(String(raw).trimmed)' needs a number")
                }
                return v
            }
            switch name {
            case "nop": out.append(.nop)
            case "eol": out.append(.eol)
            case "sackOK": out.append(.sackOK)
            case "...": out.append(.ellipsis)
            case "mss": out.append(.mss(UInt16(truncatingIfNeeded: try num(1))))
            case "wscale": out.append(.wscale(UInt8(truncatingIfNeeded: try num(1))))
            case "TS":
                guard words.count == 5, words[1] == "val", words[3] == "ecr" else {
                    throw error(here, "expected 'TS val N ecr N'")
                }
                out.append(.timestamps(value: try num(2), echo: try num(4)))
            case "sack":
                var blocks: [(UInt32, UInt32)] = []
                for b in words.dropFirst() {
                    let e = b.split(separator: ":")
                    guard e.count == 2, let l = UInt32(e[0]), let r = UInt32(e[1]) else {
                        throw error(here, "expected SACK blocks 'sack L:R L:R', got '\(b)'")
                    }
                    blocks.append((l, r))
                }
                out.append(.sack(blocks))
            case "ECN":
                // AccECN option (draft-ietf-tcpm-accurate-ecn): byte counters in the order written;
                // e0b first is kind 172 (order 0), e1b first kind 174 (order 1).
                var counters: [(String, UInt32)] = []
                var k = 1
                while k + 1 < words.count {
                    guard ["e0b", "ceb", "e1b"].contains(words[k]), let v = UInt32(words[k + 1]) else {
                        throw error(here, "expected 'ECN e0b N ceb N e1b N', got '\(String(raw).trimmed)'")
                    }
                    counters.append((words[k], v))
                    k += 2
                }
                guard k == words.count else { throw error(here, "expected 'ECN e0b N ceb N e1b N'") }
                out.append(.accECN(order1: counters.first?.0 == "e1b", counters: counters.map(\.1)))
            case "md5":
                guard words.count == 2, let digest = PktParser.hexBytes(words[1]), digest.count == 16 else {
                    throw error(here, "expected 'md5 HEX' with a 16-byte digest")
                }
                out.append(.md5(digest))
            case "FO", "FOEXP":
                var cookie: [UInt8] = []
                if words.count > 1 {
                    let hex = defines[words[1]] ?? words[1]
                    guard let bytes = PktParser.hexBytes(hex) else {
                        throw error(here, "Fast Open cookie '\(words[1])' is not hex (or a -D name)")
                    }
                    cookie = bytes
                }
                out.append(.fastOpen(cookie: cookie, experimental: name == "FOEXP"))
            default:
                throw error(here, "unsupported TCP option '\(name)': supported are mss sackOK TS nop eol wscale sack FO FOEXP md5 ECN ...")
            }
        }
        return out
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let t = Array(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text)
        guard t.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < t.count {
            guard let b = UInt8(String(t[i...i + 1]), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }

    // MARK: System calls

    func readSyscallText(_ s: inout Scanner, at: PktLocation) throws(PktError) -> [(Unicode.Scalar, PktLocation)] {
        var out: [(Unicode.Scalar, PktLocation)] = []
        var depth = 0
        var sawCall = false
        var inQuote = false
        while let c = s.peek() {
            if c == "\n" && depth == 0 && sawCall {
                // The line with `= RESULT` ends the call.
                if out.contains(where: { $0.0 == "=" && true }) && lastTopLevelEquals(out) { break }
            }
            out.append((c, s.location))
            s.advance()
            if inQuote { if c == "\"" { inQuote = false }; continue }
            switch c {
            case "\"": inQuote = true
            case "(", "[", "{": depth += 1
            case ")", "]", "}":
                depth -= 1
                if depth == 0 && c == ")" { sawCall = true }
            default: break
            }
        }
        if depth != 0 { throw error(at, "unbalanced brackets in this system call") }
        return out
    }

    /// True when, after the call's closing parenthesis, a top-level `=` was read.
    private func lastTopLevelEquals(_ chars: [(Unicode.Scalar, PktLocation)]) -> Bool {
        var depth = 0, closed = false
        for (c, _) in chars {
            switch c {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1; if depth == 0 && c == ")" { closed = true }
            case "=" where depth == 0 && closed: return true
            default: break
            }
        }
        return false
    }

    func parseSyscall(_ chars: [(Unicode.Scalar, PktLocation)], at: PktLocation) throws(PktError) -> PktSyscall {
        var t = try Tokens(tokenizing: chars, file: file, end: at)
        let nameTok = t.next()
        guard case .ident(let name) = nameTok.kind else { throw error(nameTok.at, "expected a system call name") }
        try t.expect(.punct("("), file: file)
        var args: [PktExpr] = []
        if t.peek().kind != .punct(")") {
            repeat { args.append(try parseExpr(&t)) } while t.eat(.punct(","))
        }
        try t.expect(.punct(")"), file: file)
        let eq = t.peek()
        guard eq.kind == .punct("=") else { throw error(eq.at, "expected '= RESULT' after \(name)(…)") }
        _ = t.next()
        let result = try parseExpr(&t)
        var errno: String?
        if case .ident(let e) = t.peek().kind { errno = e; _ = t.next() }
        // `(Resource temporarily unavailable)` or `(flags O_RDWR)`: a comment to the end.
        let rest = t.peek()
        if rest.kind != .end && rest.kind != .punct("(") {
            throw error(rest.at, "unexpected text after the result of \(name)")
        }
        return PktSyscall(name: name, arguments: args, result: result, errno: errno)
    }

    func parseExpr(_ t: inout Tokens) throws(PktError) -> PktExpr {
        var terms = [try parseTerm(&t)]
        while t.eat(.punct("|")) { terms.append(try parseTerm(&t)) }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    func parseTerm(_ t: inout Tokens) throws(PktError) -> PktExpr {
        let tok = t.next()
        switch tok.kind {
        case .ellipsis: return .ellipsis
        case .number(let v): return .integer(v)
        case .string(let s): return .string(s)
        case .ident(let name):
            if t.peek().kind == .punct("(") {
                _ = t.next()
                var args: [PktExpr] = []
                if t.peek().kind != .punct(")") {
                    repeat { args.append(try parseExpr(&t)) } while t.eat(.punct(","))
                }
                try t.expect(.punct(")"), file: file)
                return .call(name, args)
            }
            if let d = defines[name] {
                if let v = Int64(d) { return .integer(v) }
                return .symbol(d)
            }
            return .symbol(name)
        case .punct("["):
            var items: [PktExpr] = []
            if t.peek().kind != .punct("]") {
                repeat { items.append(try parseExpr(&t)) } while t.eat(.punct(","))
            }
            try t.expect(.punct("]"), file: file)
            return .list(items)
        case .punct("{"):
            var fields: [PktField] = []
            if t.peek().kind != .punct("}") {
                repeat {
                    if case .ident(let n) = t.peek().kind, t.peek(1).kind == .punct("=") {
                        _ = t.next(); _ = t.next()
                        fields.append(PktField(name: n, nameArgument: nil, value: try parseExpr(&t)))
                    } else {
                        let e = try parseExpr(&t)
                        if case .call(let n, let a) = e, t.eat(.punct("=")) {
                            fields.append(PktField(name: n, nameArgument: a.first, value: try parseExpr(&t)))
                        } else {
                            fields.append(PktField(name: nil, nameArgument: nil, value: e))
                        }
                    }
                } while t.eat(.punct(","))
            }
            try t.expect(.punct("}"), file: file)
            return .structure(fields)
        default:
            throw error(tok.at, "unexpected \(tok.kind.text) in a system call argument")
        }
    }

    func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }
}

// MARK: - Character scanner

struct Scanner {
    let chars: [Unicode.Scalar]
    var i = 0
    var line = 1
    var column = 1
    init(chars: [Unicode.Scalar]) { self.chars = chars }

    var location: PktLocation { PktLocation(line: line, column: column) }
    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < chars.count ? chars[i + k] : nil }
    mutating func advance() {
        guard i < chars.count else { return }
        if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
        i += 1
    }
    mutating func skipSpace() { while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { advance() } }
    mutating func skipSpaceOnLine() { while let c = peek(), c == " " || c == "\t" { advance() } }
    mutating func readLine() -> String {
        var s = String.UnicodeScalarView()
        while let c = peek(), c != "\n" { s.append(c); advance() }
        return String(s)
    }
    /// Reads up to `terminator` (consumed, not returned); nil at the end of the file.
    mutating func read(until terminator: String) -> String? {
        let t = Array(terminator.unicodeScalars)
        var s = String.UnicodeScalarView()
        while i < chars.count {
            if Array(chars[i..<min(chars.count, i + t.count)]) == t {
                for _ in t { advance() }
                return String(s)
            }
            s.append(chars[i]); advance()
        }
        return nil
    }
    /// `0`, `.1`, `0.100`, `12`: a number, stopping before `...`.
    mutating func readNumber() -> Double? {
        var s = ""
        while let c = peek() {
            if c >= "0" && c <= "9" { s.unicodeScalars.append(c); advance(); continue }
            if c == "." && peek(1) != "." && !s.contains(".") { s.append("."); advance(); continue }
            break
        }
        if s.hasPrefix(".") { s = "0" + s }
        return s.isEmpty ? nil : Double(s)
    }
}

/// Whitespace-separated words of a packet line, `<…>` and `[…]` kept whole.
struct Words {
    var chars: [Character]
    var i = 0
    let at: PktLocation
    init(_ text: String, at: PktLocation) { chars = Array(text); self.at = at }
    mutating func next() -> (text: String, at: PktLocation)? {
        while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\r" { i += 1 }
        guard i < chars.count else { return nil }
        let start = i
        if chars[i] == "<" && i > 0 {
            while i < chars.count && chars[i] != ">" { i += 1 }
            i = min(i + 1, chars.count)
        } else {
            while i < chars.count, chars[i] != " " && chars[i] != "\t" && chars[i] != "\r" { i += 1 }
        }
        return (String(chars[start..<i]), PktLocation(line: at.line, column: at.column + start))
    }
}

// MARK: - Tokens of a system call

struct Token {
    enum Kind: Equatable {
        case ident(String), number(Int64), string(String), punct(Character), ellipsis, end
        var text: String {
            switch self {
            case .ident(let s): return "'\(s)'"
            case .number(let n): return "number \(n)"
            case .string(let s): return "\"\(s)\""
            case .punct(let c): return "'\(c)'"
            case .ellipsis: return "'...'"
            case .end: return "the end of the call"
            }
        }
    }
    var kind: Kind
    var at: PktLocation
}

struct Tokens {
    var tokens: [Token] = []
    var i = 0

    init(tokenizing chars: [(Unicode.Scalar, PktLocation)], file: String, end: PktLocation) throws(PktError) {
        var j = 0
        func isIdent(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (c >= "0" && c <= "9")
        }
        while j < chars.count {
            let (c, at) = chars[j]
            if c == " " || c == "\t" || c == "\n" || c == "\r" { j += 1; continue }
            if c == "." && j + 2 < chars.count && chars[j + 1].0 == "." && chars[j + 2].0 == "." {
                tokens.append(Token(kind: .ellipsis, at: at)); j += 3; continue
            }
            if c == "\"" {
                var s = String.UnicodeScalarView()
                j += 1
                while j < chars.count && chars[j].0 != "\"" {
                    if chars[j].0 == "\\" && j + 1 < chars.count {
                        j += 1
                        switch chars[j].0 {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "x" where j + 2 < chars.count:
                            // `\xa1`: one byte, kept as the scalar U+00A1 (strings are byte strings).
                            let hex = String(String.UnicodeScalarView([chars[j + 1].0, chars[j + 2].0]))
                            if let b = UInt8(hex, radix: 16) { s.append(Unicode.Scalar(b)); j += 2 } else { s.append("x") }
                        default: s.append(chars[j].0)
                        }
                    } else { s.append(chars[j].0) }
                    j += 1
                }
                guard j < chars.count else { throw PktError(file: file, location: at, message: "unterminated string") }
                j += 1
                tokens.append(Token(kind: .string(String(s)), at: at)); continue
            }
            if (c >= "0" && c <= "9") || (c == "-" && j + 1 < chars.count && chars[j + 1].0 >= "0" && chars[j + 1].0 <= "9") {
                var s = String.UnicodeScalarView()
                s.append(c); j += 1
                while j < chars.count && isIdent(chars[j].0) { s.append(chars[j].0); j += 1 }
                let text = String(s)
                let neg = text.hasPrefix("-")
                let digits = neg ? String(text.dropFirst()) : text
                let v: Int64?
                if digits.hasPrefix("0x") || digits.hasPrefix("0X") { v = Int64(digits.dropFirst(2), radix: 16) }
                else { v = Int64(digits) }
                guard let v else { throw PktError(file: file, location: at, message: "bad number '\(text)'") }
                tokens.append(Token(kind: .number(neg ? -v : v), at: at)); continue
            }
            if isIdent(c) {
                var s = String.UnicodeScalarView()
                while j < chars.count && isIdent(chars[j].0) { s.append(chars[j].0); j += 1 }
                tokens.append(Token(kind: .ident(String(s)), at: at)); continue
            }
            if "()[]{},=|".unicodeScalars.contains(c) {
                tokens.append(Token(kind: .punct(Character(c)), at: at)); j += 1; continue
            }
            throw PktError(file: file, location: at, message: "unexpected character '\(Character(c))' in a system call")
        }
        tokens.append(Token(kind: .end, at: chars.last?.1 ?? end))
    }

    func peek(_ k: Int = 0) -> Token { tokens[min(i + k, tokens.count - 1)] }
    mutating func next() -> Token { let t = peek(); if i < tokens.count - 1 { i += 1 }; return t }
    mutating func eat(_ k: Token.Kind) -> Bool { if peek().kind == k { i += 1; return true }; return false }
    mutating func expect(_ k: Token.Kind, file: String) throws(PktError) {
        let t = peek()
        guard t.kind == k else { throw PktError(file: file, location: t.at, message: "expected \(k.text), got \(t.kind.text)") }
        i += 1
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" || l == "\n" { s = s.dropLast() }
        return String(s)
    }
}
