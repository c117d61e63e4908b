import Testing
@testable import ToyTCPScript

/// Issue 14 from the shell: the engine's new behaviours are switched on and seen from scripts
/// (`set cc|ecn|keepalive|syn-defense …`, `send --urgent`, the connection's new fields).
@Suite("Engine settings from scripts (issue 14)")
struct EngineSettingsTests {
    @Test("set cc cubic: new connections use CUBIC (RFC 9438); status says so")
    func congestionControl() throws {
        let (r, out, err) = try TestSupport.runScript("""
            peer echo 10.0.1.1 7
            set cc cubic
            connect 10.0.1.1 7 as c
            assert c.cc == "cubic"
            status c
            set cc newreno
            connect 10.0.1.1 7 as d
            assert d.cc == "newreno"
            """)
        #expect(r.exitStatus == 0, "\(err)")
        #expect(out.contains { $0.contains("cc cubic") }, "\(out)")
    }

    @Test("set keepalive IDLE,INTERVAL,COUNT: an idle connection sends probes the peer answers (RFC 9293 §3.8.4)")
    func keepalive() throws {
        let (r, out, err) = try TestSupport.runScript("""
            peer echo 10.0.1.1 7
            set keepalive 1s,500ms,3
            connect 10.0.1.1 7 as c
            expect none out . on c within 900ms
            expect out . on c seq=c.snd.nxt-1 len=0 within 300ms as probe
            sleep 3s
            assert c.state == ESTABLISHED
            assert stack.keepalive_probes >= 3
            """)
        #expect(r.exitStatus == 0, "\(err) \(out)")
    }

    @Test("send --urgent: URG set, the pointer one past the last urgent byte (RFC 6093)")
    func urgent() throws {
        let (r, _, err) = try TestSupport.runScript("""
            peer discard 10.0.1.1 9
            connect 10.0.1.1 9 as c
            let start = c.snd.nxt
            send c --urgent "abc"
            expect out UP. on c seq=start urg=3 len=3 within 100ms
            """)
        #expect(r.exitStatus == 0, "\(err)")
    }

    @Test("bad values are errors naming the option, before anything runs")
    func badValues() throws {
        for (line, message) in [("set cc reno", "cc takes newreno or cubic"),
                                ("set keepalive 10s", "keepalive takes off or IDLE,INTERVAL,COUNT"),
                                ("set syn-defense maybe", "syn-defense takes")] {
            let (r, _, err) = try TestSupport.runScript(line)
            #expect(r.exitStatus == 1)
            #expect(err.joined().contains(message), "\(err)")
        }
    }
}
