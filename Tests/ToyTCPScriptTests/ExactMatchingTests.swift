import Testing
@testable import ToyTCPScript

/// The traps of issue 11: scripts that passed when they should have failed. Each runs on the simulated
/// network, in-process.
@Suite("Exact matching", .serialized)
struct ExactMatchingTests {
    static let echo = """
        peer echo 10.0.1.1 7
        connect 10.0.1.1 7 as c
        send c "hello"
        recv c 5 within 1s

        """

    @Test("a SYN-ACK from before the line does not satisfy expect S.")
    func staleSynAck() throws {
        let (result, _, err) = try TestSupport.runScript(Self.echo + "sleep 5s\nexpect S. within 1s as x\n")
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("arrived before this line and does not count"))
    }

    @Test("an RST far outside the window gets no challenge ACK, and an old ACK does not stand in for one")
    func outOfWindowReset() throws {
        let script = Self.echo + "sleep 1s\ninject R on c seq=c.snd.nxt+100000000\nexpect . on c ack=c.snd.nxt within 1s as challenge\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1, "the old ACK matched: \(err)")
        #expect(err.joined().contains("expected IP 10.0.1.1.7 > 10.0.0.1."))
    }

    @Test("an RST inside the window does get its challenge ACK (RFC 5961 §3.2)")
    func inWindowResetChallenged() throws {
        let script = Self.echo + "sleep 1s\ninject R on c seq=c.snd.nxt+100\nexpect . on c ack=c.snd.nxt within 1s as challenge\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
    }

    @Test("expect none fails when a matching segment comes, passes when none does")
    func expectNone() throws {
        let failing = "peer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nsend c \"hi\"\nexpect none P. on c within 1s\n"
        let (r1, _, e1) = try TestSupport.runScript(failing)
        #expect(r1.exitStatus == 1)
        #expect(e1.joined().contains("expected no segment like"))
        let passing = "peer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nsend c \"hi\"\nexpect none R on c within 1s\n"
        let (r2, _, e2) = try TestSupport.runScript(passing)
        #expect(r2.exitStatus == 0, "\(e2)")
    }

    @Test("set expect strict: the next new segment must match")
    func strict() throws {
        // The echo's answer is data (P.), not a bare ACK: in strict mode that is a failure.
        let script = "set expect strict\npeer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nsend c \"hi\"\nexpect . on c within 1s\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("set expect strict"))
    }

    @Test("fields are evaluated when each candidate arrives (ack=c.rcv.nxt after an injection)")
    func liveFields() throws {
        // Without timestamps, so the injected byte is accepted (RFC 7323 §3.2 drops it otherwise); the
        // ACK that counts acknowledges SYN + "hello" + "x", not the delayed ACK of "hello" from before.
        let script = "set timestamps off\n" + Self.echo
            + "sleep 1s\ninject P. to c \"x\"\nexpect out . on c ack=c.rcv.nxt within 1s as a\nassert a.ack == c.irs + 7\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
    }

    @Test("expect compares IP fields, checksums and raw options; a mismatch names the field")
    func templateMatching() throws {
        let inject = "inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1 ttl=33 ecn=ect0 id=7 ipcsum=wrong csum=wrong opt=0x1e09aabb\n"
        let good = inject + "expect out S ttl=33 ecn=ect0 dscp=0 id=7 ipcsum=wrong csum=wrong opt=0x1e09aabb mss=none within 1s\n"
        let (r1, _, e1) = try TestSupport.runScript(good)
        #expect(r1.exitStatus == 0, "\(e1)")
        let bad = inject + "expect out S ttl=34 ipcsum=right within 1s\n"
        let (r2, _, e2) = try TestSupport.runScript(bad)
        #expect(r2.exitStatus == 1)
        let text = e2.joined(separator: "\n")
        #expect(text.contains("ttl: expected 34 (0x22), got 33 (0x21)"), "\(text)")
        #expect(text.contains("ipcsum: expected right"), "\(text)")
    }

    @Test("recv N fails when fewer than N bytes arrive, saying how many")
    func shortRecv() throws {
        let script = "peer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nsend c \"hi\"\nrecv c 100 within 1s\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("received 2 of 100 bytes"))
    }

    @Test("seq=a+1 wraps at 2^32; seq=-5 is rejected before anything runs")
    func sequenceWrap() throws {
        let script = "let a = 4294967295\ninject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=a+1\n"
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.joined().contains("seq 0,"), "\(out)")
        let (r2, _, e2) = try TestSupport.runScript("inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=-5\n")
        #expect(r2.exitStatus == 1)
        #expect(r2.statementsRun == 0)
        #expect(e2.joined().contains("test.ttcp:1:"))
    }
}

/// Issue 11: "The whole script is checked before anything is sent".
@Suite("Script check before running")
struct ScriptCheckTests {
    @Test("an unbound name on line 3 is reported before line 1 sends its packet")
    func unboundNameBeforeFirstPacket() throws {
        let script = """
            inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1000
            print "between"
            inject . 10.0.0.2:40000 > 10.0.1.1:8080 seq=1001 ack=synakc.seq+1
            expect S. within 1s as synack
            """
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1)
        #expect(result.statementsRun == 0)
        #expect(out.isEmpty, "something ran: \(out)")
        let text = err.joined(separator: "\n")
        #expect(text.hasPrefix("test.ttcp:3:54: unknown name 'synakc'"), "\(text)")
        // The line and a caret under the column.
        #expect(text.contains("\n" + String(repeating: " ", count: 53) + "^"))
    }

    @Test("a name used before the line that binds it; every error is listed")
    func usedBeforeBound() throws {
        let script = "assert x == 1\nlet x = 1\nsend nosuch \"a\"\nexpect S. in out\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1 && result.statementsRun == 0)
        let text = err.joined(separator: "\n")
        #expect(text.contains("test.ttcp:1:8: 'x' is used before it is bound (line 2 binds it)"), "\(text)")
        #expect(text.contains("test.ttcp:3:6: unknown name 'nosuch'"), "\(text)")
        #expect(text.contains("test.ttcp:4:14: direction given twice"), "\(text)")
    }
}

/// Issue 11: "State history".
@Suite("State history")
struct StateHistoryTests {
    @Test("wait accepts a state the connection passed through during the previous line")
    func passedThrough() throws {
        let script = """
            peer echo 10.0.1.1 7
            connect 10.0.1.1 7 as c
            close c
            sleep 100ms
            wait c FIN-WAIT-2 within 1s
            print c.history
            """
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.contains { $0.hasPrefix("c: passed through FIN-WAIT-2 at ") }, "\(out)")
        #expect(out.last?.contains("SYN-SENT 0.000000s, ESTABLISHED 0.020000s, FIN-WAIT-1 0.020000s, FIN-WAIT-2") == true, "\(out)")
    }

    @Test("a state from before the previous line does not count")
    func tooOld() throws {
        let script = "peer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\nsleep 1s\nwait c SYN-SENT within 100ms\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("expected SYN-SENT within 100ms, still ESTABLISHED"))
    }
}

/// Issue 11: "Loops and varied copies" and "Visibility" (the stack's counters).
@Suite("Loops, varied copies and counters", .serialized)
struct LoopTests {
    @Test("repeat N runs its block N times with the index in expressions; blocks nest")
    func repeatBlock() throws {
        let script = """
            let total = 0
            repeat 3 {
              repeat 2 as k {
                let total = total + i * 10 + k
              }
            }
            assert total == 63
            print total
            """
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.last == "63")
    }

    @Test("srcrange: each copy from the next address of a lab subnet; outside the lab is refused")
    func sourceRange() throws {
        let script = "inject S 10.0.0.2:1000 > 10.0.1.1:8080 count=3 srcrange=10.0.0.10-10.0.0.11 sport=2000+i\nexpect out S 10.0.0.11:2001 > 10.0.1.1:8080 within 1s\n"
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.contains { $0.contains("last: IP 10.0.0.10.2002 > 10.0.1.1.8080") }, "\(out)")
        let (r2, _, e2) = try TestSupport.runScript("inject S 10.0.0.2:1000 > 10.0.1.1:8080 count=3 srcrange=10.0.0.10-10.0.2.11\n")
        #expect(r2.exitStatus == 1 && r2.statementsRun == 0)
        #expect(e2.joined().contains("srcrange must lie inside one lab subnet"))
    }

    @Test("an unclosed block and a stray } are reported before anything runs")
    func badBlocks() throws {
        let (r, _, err) = try TestSupport.runScript("repeat 2 {\nprint 1\n}\n}\nrepeat 3 {\n")
        #expect(r.exitStatus == 1 && r.statementsRun == 0)
        let text = err.joined(separator: "\n")
        #expect(text.contains("test.ttcp:4:1: '}' without a 'repeat … {' to close"), "\(text)")
        #expect(text.contains("test.ttcp:5:1: 'repeat … {' is never closed"), "\(text)")
    }

    @Test("a SYN flood in one line: count=20000 sport=1024+i seq=random against a toytcp listener")
    func synFlood() throws {
        let script = """
            listen 8080 as l
            inject S 10.0.0.2:1024 > 10.0.0.1:8080 count=20000 sport=1024+i seq=random win=65535
            sleep 100ms
            assert stack.packets_received >= 20000
            assert stack.syn_cookies_sent > 0
            assert l.halfopen == l.backlog && l.acceptq == 0 && l.cookies_sent == stack.syn_cookies_sent
            status
            stats
            """
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.contains { $0.hasPrefix("sent 20000 segments, varied per copy (last: IP 10.0.0.2.21023 > 10.0.0.1.8080: Flags [S]") }, "\(out)")
        #expect(out.contains { $0.hasPrefix("syn_cookies_sent = ") })
        #expect(out.contains { $0.hasPrefix("l: LISTEN port 8080: backlog 128, half-open 128, accept queue 0, SYNs dropped 0, SYN-ACK retransmissions 0, SYN cookies sent ") }, "\(out)")
    }
}

/// Issue 11: "Time": packetdrill-style statement times with a tolerance.
@Suite("Statement times")
struct StatementTimeTests {
    static func script(_ time: String) -> String {
        "set tolerance 4ms\npeer echo 10.0.1.1 7\nconnect 10.0.1.1 7 as c\n+0 send c \"hi\"\n\(time) expect P. on c within 1s\nprint now\n"
    }

    @Test("an expect on time passes; now is µs since the start", arguments: ["+0.020", "+0.017", "+0.015~+0.025", "*", "0.040"])
    func onTime(time: String) throws {
        let (result, out, err) = try TestSupport.runScript(Self.script(time))
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out.last == "40000", "\(out)")
    }

    @Test("too early and too late fail, saying by how much", arguments: [("+0.030", "10ms early"), ("+0.010", "10ms late"), ("0.1", "60ms early")])
    func offTime(time: String, message: String) throws {
        let (result, _, err) = try TestSupport.runScript(Self.script(time))
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("the segment arrived \(message)"), "\(err)")
    }

    @Test("an action waits for its time")
    func actionWaits() throws {
        let (result, out, err) = try TestSupport.runScript("0.5 print now\n+0.25 print now\n")
        #expect(result.exitStatus == 0, "\(err)")
        #expect(out == ["500000", "750000"])
    }
}

/// Issue 11: "relative numbering" as tcpdump prints and packetdrill writes it.
@Suite("Relative numbers")
struct RelativeNumberTests {
    @Test("set numbers relative: a crafted handshake with seq=1 ack=1, matched and printed relative")
    func handshake() throws {
        let script = """
            set numbers relative
            peer echo 10.0.1.1 8080
            inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1000 win=65535
            expect S. 10.0.1.1:8080 > 10.0.0.2:40000 seq=0 ack=1 within 1s as synack
            inject . 10.0.0.2:40000 > 10.0.1.1:8080 seq=1 ack=1 win=65535
            inject P. 10.0.0.2:40000 > 10.0.1.1:8080 seq=1 ack=1 win=65535 "hello\\n"
            expect P. 10.0.1.1:8080 > 10.0.0.2:40000 seq=1 ack=7 payload="hello\\n" within 1s as echoed
            assert echoed.ack == 1007
            """
        let (result, out, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 0, "\(err)\n\(out)")
        #expect(out.contains("sent IP 10.0.0.2.40000 > 10.0.1.1.8080: Flags [P.], seq 1:7, ack 1, win 65535, length 6: HTTP"), "\(out)")
        #expect(out.contains("got IP 10.0.1.1.8080 > 10.0.0.2.40000: Flags [P.], seq 1:7, ack 7, win 65535, length 6: HTTP"), "\(out)")
    }

    @Test("a relative mismatch is reported in relative numbers too")
    func relativeMismatch() throws {
        let script = "set numbers relative\npeer echo 10.0.1.1 8080\n"
            + "inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1000 win=65535\n"
            + "expect S. 10.0.1.1:8080 > 10.0.0.2:40000 ack=2 within 1s\n"
        let (result, _, err) = try TestSupport.runScript(script)
        #expect(result.exitStatus == 1)
        #expect(err.joined().contains("ack: expected 2 (relative; 1002 absolute), got 1 (relative; 1001 absolute)"), "\(err)")
    }

    @Test("absolute stays the default: seq=1 is sequence number 1")
    func absoluteDefault() throws {
        let (result, out, _) = try TestSupport.runScript("inject S 10.0.0.2:40000 > 10.0.1.1:8080 seq=1\n")
        #expect(result.exitStatus == 0)
        #expect(out.contains { $0.contains("Flags [S], seq 1, win") }, "\(out)")
    }
}
