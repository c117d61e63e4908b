import Foundation
import Testing
import ToyTCPEngine
@testable import ToyTCPScript

/// Intercept on the simulated network: hold our stack's segments, then drop, duplicate, edit or
/// let them go, and see what the peer and our stack do (issue 10).
@Suite("Intercept on the simulated network")
struct InterceptTests {
    static let opening = """
        peer echo 10.0.1.1 7
        connect 10.0.1.1 7 as c
        trace on
        intercept on out P.
        send c "hello\\n"
        expect held P. as d
        """

    @Test("drop our first data segment: our stack retransmits it after the RTO, the peer echoes")
    func dropThenRetransmission() throws {
        let (result, out, err) = try TestSupport.runScript(Self.opening + """

            drop
            intercept off
            expect out P. within 1.5s as again
            assert again.seq == d.seq
            recv c 6 within 1s
            """)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        #expect(out.contains { $0.hasPrefix("held out") && $0.contains("new data") }, "the held line says why: \(out)")
        #expect(out.contains { $0.contains("Flags [P.]") && $0.hasSuffix("(retransmission after RTO)") }, "\(out.joined(separator: "\n"))")
    }

    @Test("virtual time stands still while a segment is held")
    func timeStandsStill() throws {
        let network = try SimulatedScriptNetwork(seed: 1)
        let interpreter = Interpreter(network: network, output: { _ in })
        for (i, line) in Self.opening.split(separator: "\n").enumerated() {
            _ = try interpreter.execute(line: String(line), location: SourceLocation(file: "t", line: i + 1, column: 1))
        }
        let before = network.now
        _ = try interpreter.execute(line: "sleep 2s", location: SourceLocation(file: "t", line: 90, column: 1))
        #expect(network.now == before, "virtual time moved \(network.now - before) while a segment was held")
        _ = try interpreter.execute(line: "step", location: SourceLocation(file: "t", line: 91, column: 1))
        _ = try interpreter.execute(line: "sleep 2s", location: SourceLocation(file: "t", line: 92, column: 1))
        #expect(network.now - before >= .seconds(2), "time must move again once nothing is held")
    }

    @Test("dup: the segment goes out with a copy; edit csum=bad: the peer drops it and our stack retransmits")
    func dupAndEdit() throws {
        let (r1, out1, err1) = try TestSupport.runScript(Self.opening + """

            dup 1
            intercept off
            recv c 6 within 1s
            """)
        #expect(r1.failures.isEmpty, "\(err1)")
        let copies = out1.filter { $0.first?.isNumber == true && $0.contains("out IP 10.0.0.1.") && $0.contains("length 6") && $0.contains("Flags [P.]") }
        #expect(copies.count == 2, "expected the segment and one copy on the wire:\n\(out1.joined(separator: "\n"))")

        let (r2, out2, err2) = try TestSupport.runScript(Self.opening + """

            edit csum=bad
            intercept off
            expect out P. within 1.5s as again
            assert again.seq == d.seq
            recv c 6 within 1s
            """)
        #expect(r2.failures.isEmpty, "\(err2.joined(separator: "\n"))\n\(out2.joined(separator: "\n"))")
    }

    @Test("step on nothing held is an error at its line; intercept with a bad direction too")
    func badInput() throws {
        let (result, _, err) = try TestSupport.runScript("step\n", keepGoing: true)
        #expect(result.failures.count == 1)
        #expect(err.joined().contains("test.ttcp:1:1: nothing is held"), "\(err)")
        let (r2, _, e2) = try TestSupport.runScript("intercept maybe\n")
        #expect(r2.failures.count == 1 && e2.joined().contains("intercept on [in|out|both]"), "\(e2)")
    }

    @Test("break on a connection variable stops the session (the next segment is held); break flags R and break retransmission hold those segments; breaks, delete")
    func breakpoints() throws {
        let (r1, out1, err1) = try TestSupport.runScript("""
            peer discard 10.0.1.1 9
            connect 10.0.1.1 9 as c
            break c.snd.una - c.iss > 2000
            send c fill=20000
            expect held . as a
            assert c.snd.una - c.iss > 2000
            continue
            delete 1
            breaks
            sleep 500ms
            assert c.sendq == 0
            """)
        #expect(r1.failures.isEmpty, "\(err1.joined(separator: "\n"))\n\(out1.joined(separator: "\n"))")
        #expect(out1.contains { $0.hasPrefix("break 1: c.snd.una - c.iss > 2000 (after IP") }, "\(out1.joined(separator: "\n"))")
        #expect(out1.contains("no breakpoints (break CONDITION sets one)"))

        let (r2, out2, err2) = try TestSupport.runScript("""
            peer echo 10.0.1.1 7
            connect 10.0.1.1 7 as c
            break retransmission
            break flags R
            intercept on out P.
            send c "x"
            expect held P. as first
            drop
            intercept off
            expect held P. within 2s as again
            assert again.seq == first.seq
            continue
            recv c 1 within 1s
            abort c
            expect held R as rst
            """)
        #expect(r2.failures.isEmpty, "\(err2.joined(separator: "\n"))\n\(out2.joined(separator: "\n"))")
        #expect(out2.contains { $0 == "break 1: retransmission" } && out2.contains { $0 == "break 2: flags R" }, "\(out2.joined(separator: "\n"))")
    }
}

/// Expression breakpoints are evaluated after every packet, where the stack runs (issue 10).
@Suite("Breakpoints on connection variables, packet by packet")
struct PacketByPacketBreakTests {
    @Test("break c.ooo > 0 fires when two crafted segments in one batch open and close a hole in the sequence space")
    func conditionTrueOnlyWithinOneBatch() throws {
        // Two segments to our stack in one command: the first 10 bytes ahead of RCV.NXT (out of
        // order: c.ooo = 10), the second fills the hole (c.ooo = 0 again). Our duplicate ACK for the
        // first is the packet after which the condition holds: it is held.
        let (result, out, err) = try TestSupport.runScript("""
            peer discard 10.0.1.1 9
            connect 10.0.1.1 9 as c
            break c.ooo > 0
            inject P. to c count=2 seq=c.rcv.nxt+10-10*i "0123456789"
            expect held . as dupack
            assert dupack.ack == c.rcv.nxt - 20
            continue
            delete 1
            recv c 20 within 1s
            """)
        #expect(result.failures.isEmpty, "\(err.joined(separator: "\n"))\n\(out.joined(separator: "\n"))")
        #expect(out.contains { $0.hasPrefix("break 1: c.ooo > 0 (after IP 10.0.1.1.9 > 10.0.0.1.") }, "\(out.joined(separator: "\n"))")
    }
}
