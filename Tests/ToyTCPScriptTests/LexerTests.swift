import Testing
import ToyTCPWire
@testable import ToyTCPScript

@Suite("Lexer")
struct LexerTests {
    func tokens(_ line: String) throws(ScriptError) -> [Token] {
        try Lexer(line: line, location: SourceLocation(file: "t", line: 1, column: 1)).tokenize().tokens
    }

    @Test("words, key=value and columns")
    func wordsAndColumns() throws {
        let t = try tokens("inject S. seq=c.snd.nxt+1  win=0")
        #expect(t.map(\.text) == ["inject", "S.", "seq", "=", "c.snd.nxt+1", "win", "=", "0"])
        #expect(t.map(\.column) == [1, 8, 11, 14, 15, 28, 31, 32])
        #expect(t[3].kind == .equals)
    }

    @Test("strings decode C escapes, including \\xHH")
    func stringEscapes() throws {
        let t = try tokens(#"send c "a\tb\n\x41\"\\" 'q'"#)
        #expect(t[2].kind == .string(bytes: Array("a\tb\nA\"\\".utf8)))
        #expect(t[3].kind == .string(bytes: Array("q".utf8)))
    }

    @Test("a # at a token start begins a comment; the column is reported")
    func comments() throws {
        let (t, comment) = try Lexer(line: "sleep 1s   # wait", location: SourceLocation(file: "t", line: 1, column: 1)).tokenize()
        #expect(t.map(\.text) == ["sleep", "1s"])
        #expect(comment == 12)
        let strHash = try tokens(##"send "#not a comment""##)
        #expect(strHash.count == 2)
    }

    @Test("an unterminated string is an error at the opening quote")
    func unterminated() {
        #expect(throws: ScriptError.self) { try tokens(#"send c "hello"#) }
        do throws(ScriptError) {
            _ = try tokens(#"send c "hello"#)
        } catch {
            #expect(error.location.column == 8)
            #expect(error.message.contains("unterminated string"))
            #expect(error.description.contains("\n       ^"))
        }
    }

    @Test("an unknown escape is an error at the backslash")
    func badEscape() {
        do throws(ScriptError) {
            _ = try tokens(#"send "a\qb""#)
            Issue.record("no error")
        } catch {
            #expect(error.location.column == 8)
            #expect(error.message.contains("unknown escape"))
        }
    }
}

@Suite("Expressions")
struct ExpressionTests {
    struct Scope: VariableScope {
        var values: [String: Value]
        func lookup(_ path: [String]) -> Lookup {
            if let v = values[path.joined(separator: ".")] { return .value(v) }
            if path[0] == "c" { return .unknownField(index: path.count - 1, known: ["snd.nxt", "state"]) }
            return .unknownName
        }
    }

    func eval(_ text: String, _ scope: Scope = Scope(values: [:])) throws(ScriptError) -> Value {
        let loc = SourceLocation(file: "t", line: 1, column: 1)
        var p = ExpressionParser(text, column: 1, location: loc, sourceLine: text)
        return try p.parseAll().evaluate(in: scope, location: loc, sourceLine: text)
    }

    @Test("arithmetic, precedence, hex, k/m suffixes")
    func arithmetic() throws {
        #expect(try eval("1 + 2 * 3") == .integer(7))
        #expect(try eval("(1 + 2) * 3") == .integer(9))
        #expect(try eval("0x10 - 1") == .integer(15))
        #expect(try eval("64k") == .integer(64_000))
        #expect(try eval("-5 + 10 % 4") == .integer(-3))
    }

    @Test("dotted names read live variables (c.snd.nxt + 1)")
    func references() throws {
        let s = Scope(values: ["c.snd.nxt": .sequence(1001), "n": .integer(7)])
        #expect(try eval("c.snd.nxt+1", s) == .sequence(1002))
        #expect(try eval("n * 2", s) == .integer(14))
    }

    @Test("sequence numbers wrap modulo 2^32 and compare as RFC 1982 says")
    func sequenceArithmetic() throws {
        let s = Scope(values: ["synack.seq": .sequence(SequenceNumber(4_294_967_295)), "c.snd.nxt": .sequence(5),
                               "c.snd.una": .sequence(SequenceNumber(4_294_967_290))])
        #expect(try eval("synack.seq + 1", s) == .sequence(0))
        #expect(try eval("c.snd.nxt + 2000000000 + 2000000000 + 294967296", s) == .sequence(5))
        #expect(try eval("c.snd.nxt - 10", s) == .sequence(SequenceNumber(4_294_967_291)))
        // 5 is after 4294967290 on the circle: 11 octets further.
        #expect(try eval("c.snd.nxt - c.snd.una", s) == .integer(11))
        #expect(try eval("c.snd.una < c.snd.nxt", s) == .boolean(true))
        #expect(try eval("c.snd.nxt > c.snd.una", s) == .boolean(true))
        #expect(throws: ScriptError.self) { try eval("c.snd.nxt + c.snd.una", s) }
    }

    @Test("states with hyphens, comparisons, && and ||, string equality")
    func comparisons() throws {
        let s = Scope(values: ["c.state": .state(.synSent), "c.data": .bytes(Array("hi\n".utf8))])
        #expect(try eval("c.state == SYN-SENT", s) == .boolean(true))
        #expect(try eval("c.state != ESTABLISHED && 1 < 2", s) == .boolean(true))
        #expect(try eval(#"c.data == "hi\n""#, s) == .boolean(true))
        #expect(try eval("1 > 2 || 2 >= 2") == .boolean(true))
    }

    @Test("unknown names and fields are errors at their column")
    func unknownNames() {
        do throws(ScriptError) { _ = try eval("1 + zz.seq"); Issue.record("no error") } catch {
            #expect(error.location.column == 5)
            #expect(error.message == "unknown connection or variable 'zz'")
        }
        do throws(ScriptError) { _ = try eval("c.snd.nxtt"); Issue.record("no error") } catch {
            #expect(error.location.column == 7)
            #expect(error.message.contains("has no field 'nxtt'"))
        }
    }

    @Test("syntax errors point at the character")
    func syntax() {
        do throws(ScriptError) { _ = try eval("1 + * 2"); Issue.record("no error") } catch {
            #expect(error.location.column == 5)
        }
        do throws(ScriptError) { _ = try eval("(1 + 2"); Issue.record("no error") } catch {
            #expect(error.message.contains("')'"))
        }
    }
}
