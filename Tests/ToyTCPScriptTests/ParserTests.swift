import Testing
import ToyTCPWire
@testable import ToyTCPScript

@Suite("Parser")
struct ParserTests {
    let parser = Parser(file: "test.ttcp")

    func parse(_ line: String) throws -> Command { try parser.parse(line: line, number: 3).command }

    /// The error a bad line gives.
    func failure(_ line: String) -> ScriptError? {
        do throws(ScriptError) { _ = try parser.parse(line: line, number: 3); return nil } catch { return error }
    }

    @Test("connect ADDR PORT from PORT within T as NAME")
    func connect() throws {
        guard case let .connect(remote, local, lport, within, name) = try parse("connect 10.0.1.1 7 from 40000 within 0 as c") else {
            Issue.record("not connect"); return
        }
        #expect(remote == Endpoint(address: IPv4Address(10, 0, 1, 1), port: 7))
        #expect(local == nil)
        #expect(lport == 40000)
        #expect(within == .zero)
        #expect(name == "c")
        guard case .connect(let r2, _, _, _, nil) = try parse("connect 10.0.1.1:8080") else { Issue.record("not connect"); return }
        #expect(r2.port == 8080)
    }

    @Test("inject: packetdrill flags, fields, options in order, payload, count")
    func inject() throws {
        let line = #"inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1000 win=65535 mss=1460 sackOK ts=100,0 nop wscale=7 "hi" count=3"#
        guard case .inject(let spec) = try parse(line) else { Issue.record("not inject"); return }
        #expect(spec.flags == .syn)
        #expect(spec.route == .explicit(source: Endpoint(address: IPv4Address(10, 0, 0, 2), port: 40000),
                                        destination: Endpoint(address: IPv4Address(10, 0, 1, 1), port: 8080)))
        #expect(spec.fields["seq"] == .value(.integer(1000, column: 45)))
        #expect(spec.options.count == 5)
        #expect(spec.options[1] == .sackPermitted(present: true))
        #expect(spec.options[3] == .nop)
        #expect(spec.payload == .bytes(Array("hi".utf8)))
        #expect(spec.count != nil)
    }

    @Test("inject flags as tcpdump and packetdrill write them", arguments: [
        ("S", TCPFlags.syn), ("S.", [.syn, .ack]), ("SA", [.syn, .ack]), ("PA", [.psh, .ack]),
        ("FA", [.fin, .ack]), ("R", .rst), ("R.", [.rst, .ack]), (".", .ack),
    ] as [(String, TCPFlags)])
    func flags(text: String, flags: TCPFlags) throws {
        guard case .inject(let spec) = try parse("inject \(text) on c") else { Issue.record("not inject"); return }
        #expect(spec.flags == flags)
    }

    @Test("expressions over live variables in fields; on/to routes")
    func liveFields() throws {
        guard case .inject(let spec) = try parse("inject . to c seq=c.rcv.nxt+100 ack=synack.seq+1") else { Issue.record("not inject"); return }
        #expect(spec.route == .connection(ConnectionRef(name: "c", column: 13), towardUs: true))
        guard case .value(let seq)? = spec.fields["seq"], case .value(let ack)? = spec.fields["ack"] else {
            Issue.record("seq/ack not parsed"); return
        }
        #expect(seq.referencedNames == ["c"])
        #expect(ack.referencedNames == ["synack"])
    }

    @Test("expect with don't-care fields, within and as")
    func expect() throws {
        guard case let .expect(p, within, name) = try parse("expect S. ack=1001 win=* mss=1460 within 1.5s as synack") else {
            Issue.record("not expect"); return
        }
        #expect(p.flags == [.syn, .ack])
        #expect(p.fields["ack"] == .value(.integer(1001, column: 15)))
        #expect(p.fields["win"] == .any)
        #expect(p.options == [.mss(.value(.integer(1460, column: 30)))])
        #expect(within == .milliseconds(1500))
        #expect(name == "synack")
    }

    @Test("one template: IP and TCP fields, checksums, raw and malformed options, absent options")
    func template() throws {
        let line = "inject S. 10.0.0.2:1 > 10.0.1.1:2 ttl=3 ecn=ce dscp=46 id=7 df=0 mf=1 frag=9 ipopt=0x01010101 reserved=5 doff=15 urg=4 csum=wrong ipcsum=0x1234 opt=0x1e09aabb nop"
        guard case .inject(let t) = try parse(line) else { Issue.record("not inject"); return }
        #expect(t.fields["ecn"] == .value(.integer(3, column: 45)))
        #expect(t.fields.count == 10)
        #expect(t.tcpChecksum == .wrong)
        #expect(t.ipOptions == [1, 1, 1, 1])
        #expect(t.options == [.raw([0x1e, 0x09, 0xaa, 0xbb]), .nop])
        guard case .expect(let e, _, _) = try parse("expect none out R. on c mss=none ts=* within 2s") else { Issue.record("not expect"); return }
        #expect(e.forbidden && e.direction == .outbound)
        #expect(e.options == [.mss(.absent), .timestamps(value: .any, echo: .any)])
    }

    @Test("contradictions and misplaced fields are errors at their column", arguments: [
        ("expect S. in out", 14), ("inject S on c win=*", 19), ("inject S on c len=5", 15),
        ("expect S. count=3", 11), ("inject S on c to c", 15), ("inject S on c seq=-5", 19),
        ("inject S on c seq=4294967296", 19), ("expect S. ttl=none", 15),
    ] as [(String, Int)])
    func templateErrors(line: String, column: Int) throws {
        #expect(throws: ScriptError.self) { try parse(line) }
        do { _ = try parse(line) } catch let e as ScriptError { #expect(e.location.column == column, "\(e.headline)") }
    }

    @Test("let and assert take the rest of the line as an expression, comments excluded")
    func letAndAssert() throws {
        guard case .let_("x", let e) = try parse("let x = synack.seq + 1   # next") else { Issue.record("not let"); return }
        #expect(e.referencedNames == ["synack"])
        guard case .assert(_, let text) = try parse("assert c.state == ESTABLISHED # ok") else { Issue.record("not assert"); return }
        #expect(text == "c.state == ESTABLISHED")
    }

    @Test("a whole script: comments and blank lines skipped, errors collected with their lines")
    func script() {
        let text = "# header\n\nconnect 10.0.1.1 7 as c\nfrobnicate\nsend c \"x\"\n"
        let (statements, errors) = parser.parse(script: text)
        #expect(statements.count == 2)
        #expect(errors.count == 1)
        #expect(errors.first?.location.line == 4)
    }

    // MARK: Bad input (issue 5): one-line error with the column

    @Test("unknown command: column 1 and a suggestion")
    func unknownCommand() throws {
        let e = try #require(failure("conect 10.0.1.1 7"))
        #expect(e.headline == "test.ttcp:3:1: unknown command 'conect' (did you mean 'connect'?); type help for the list")
        #expect(e.description.split(separator: "\n").count == 3)
    }

    @Test("bad flag letter: the column of the letter")
    func badFlag() throws {
        let e = try #require(failure("inject SX. on c"))
        #expect(e.location.column == 9)
        #expect(e.message.contains("'X' is not a TCP flag"))
    }

    @Test("out-of-range numbers: win, port, mss, count", arguments: [
        ("inject S on c win=70000", 19, "win 70000 is out of range (0...65535)"),
        ("connect 10.0.1.1 70000", 18, "port 70000 is out of range (1...65535)"),
        ("inject S on c mss=65536", 19, "mss 65536 is out of range (0...65535)"),
        ("inject S on c count=0", 21, "count 0 is out of range (1...10000000)"),
    ])
    func outOfRange(line: String, column: Int, message: String) throws {
        let e = try #require(failure(line))
        #expect(e.location.column == column)
        #expect(e.message == message)
    }

    @Test("unterminated string: the column of the quote")
    func unterminatedString() throws {
        let e = try #require(failure(#"send c "hello"#))
        #expect(e.location.column == 8)
        #expect(e.headline.hasPrefix("test.ttcp:3:8: unterminated string"))
    }

    @Test("other mistakes name what to write", arguments: [
        ("inject S on c sqe=1", 15, "unknown field 'sqe'"),
        ("expect S. within soon", 18, "is not a duration"),
        ("trace maybe", 7, "trace takes on or off"),
        ("set wsacle on", 5, "unknown option 'wsacle'"),
        ("inject S 10.0.0.1 > 10.0.1.1:80", 10, "needs a port"),
        ("let 9x = 1", 5, "is not a name"),
        ("send c 0xabc", 8, "an even number of digits"),
    ])
    func otherMistakes(line: String, column: Int, fragment: String) throws {
        let e = try #require(failure(line))
        #expect(e.location.column == column)
        #expect(e.message.contains(fragment))
    }
}
