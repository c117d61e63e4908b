import Foundation
import Testing
import ToyTCPTestSupport

/// The dropped-segment marks (issue 13) and the crafted-conversation switch (issue 10) against the
/// kernel, through `toytcp-shell run --netns` in namespaces each test creates with a unique prefix.
@Suite("Packet path against the kernel lab: lost marks, crafted feed", .serialized,
       .enabled(if: TestSupport.labAvailable || TestSupport.mustRunLab,
                "needs root to create network namespaces (run as root, or set CI=true to require it)"))
struct LabPacketPathTests {
    /// Brings a lab up, runs `script` in its host1 with 100 columns, and returns (status, stdout, stderr).
    static func runInLab(_ script: String) throws -> Subprocess.Output {
        let root = TestSupport.packageRoot.path
        let prefix = "tlp\(getpid() % 100000)\(UInt16.random(in: 0...999))"
        let path = NSTemporaryDirectory() + "\(prefix).ttcp"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let up = try TestSupport.run(root + "/scripts/lab-up.sh", ["--prefix", prefix], timeout: 30)
        defer { _ = try? TestSupport.run(root + "/scripts/lab-down.sh", ["--prefix", prefix, "--kill"], timeout: 30) }
        try #require(up.status == 0, "lab-up failed: \(up.stderr)")
        return try TestSupport.run(TestSupport.executable.path, ["run", "--netns", "\(prefix)-host1", path],
                                   environment: ["COLUMNS": "100"], timeout: 60)
    }

    @Test("intercept drop against the kernel: ladder c draws our dropped data segment lost (X), then its retransmission")
    func ladderAfterInterceptDrop() throws {
        let r = try Self.runInLab("""
            host2 'socat TCP-LISTEN:7,bind=10.0.1.1,reuseaddr EXEC:cat' as peer
            sleep 300ms
            connect 10.0.1.1 7 as c
            intercept on out P.
            send c "hello\\n"
            expect held P. as d
            drop
            intercept off
            recv c 6 within 3s
            ladder c
            """)
        #expect(r.status == 0, "\(r.stderr)\n--- output:\n\(r.stdout)")
        // The ladder without its time column (wall-clock times vary); the kernel's windows as W.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        guard let top = lines.firstIndex(where: { $0.hasPrefix("  time (s) 10.0.0.1:") }) else {
            Issue.record("no ladder in:\n\(r.stdout)")
            return
        }
        let ladder = lines[top...].prefix(7).map { line in
            String(line.dropFirst(11)).replacingOccurrences(of: "win [0-9]+", with: "win W", options: .regularExpression)
                .replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }
        let arrows = ladder.dropFirst(2).map { $0.drop { $0 != "|" } }.map(String.init)
        #expect(arrows[0].hasPrefix("|-- S seq 0 win W mss 1460"), "\(ladder.joined(separator: "\n"))")
        #expect(arrows[1].hasPrefix("|<-") && arrows[1].contains(" S. seq 0 ack 1 win W mss 1460"), "\(ladder.joined(separator: "\n"))")
        #expect(arrows[2].hasPrefix("|-- . seq 1 ack 1 win W (immediate ACK) --") && arrows[2].hasSuffix("->| ESTABLISHED"),
                "\(ladder.joined(separator: "\n"))")
        #expect(arrows[3] == "|-- P. seq 1:7(6) ack 1 win W (new data) -X               |", "\(ladder.joined(separator: "\n"))")
        #expect(arrows[4].hasPrefix("|== R P. seq 1:7(6) ack 1 win W (retransmission after"), "\(ladder.joined(separator: "\n"))")
    }

    @Test("set crafted feed against the kernel: the SYN-ACK to a crafted SYN reaches our stack only when fed")
    func craftedFeed() throws {
        let r = try Self.runInLab("""
            host2 'socat TCP-LISTEN:7,bind=10.0.1.1,reuseaddr EXEC:cat' as peer
            sleep 300ms
            inject S 10.0.0.1:40000 > 10.0.1.1:7 seq=1000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40000 ack=1001 within 1s
            sleep 50ms
            assert stack.packets_received == 0
            set crafted feed
            inject S 10.0.0.1:40001 > 10.0.1.1:7 seq=5000 win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:40001 ack=5001 within 1s
            sleep 50ms
            assert stack.packets_received >= 1
            """)
        #expect(r.status == 0, "\(r.stderr)\n--- output:\n\(r.stdout)")
    }

    @Test("break c.ooo > 0 against the kernel: true only between two segments of one command, it still stops at our duplicate ACK")
    func breakpointWithinOneBatch() throws {
        let r = try Self.runInLab("""
            host2 'nc -l 10.0.1.1 9' as peer
            sleep 300ms
            connect 10.0.1.1 9 as c
            break c.ooo > 0
            inject P. to c count=2 seq=c.rcv.nxt+10-10*i "0123456789"
            expect held . within 1s as dupack
            assert dupack.ack == c.rcv.nxt - 20
            continue
            delete 1
            recv c 20 within 1s
            """)
        #expect(r.status == 0, "\(r.stderr)\n--- output:\n\(r.stdout)")
        #expect(r.stdout.contains("break 1: c.ooo > 0 (after IP 10.0.1.1.9 > 10.0.0.1."), "\(r.stdout)")
    }
}
