import Foundation
import Testing
import ToyTCPTestSupport

/// Crafting round trips (issue 11): every field `inject` sets is read back from the wire by tcpdump
/// (`-nn -v`) and by tshark's fields, in a lab with its own prefix. The IP header checksum and total
/// length are not among them: the lab's raw socket uses IP_HDRINCL, with which Linux always fills
/// both in (raw(7)); they reach the wire as written on the simulated network.
@Suite("Crafting round trips through tcpdump and tshark", .serialized,
       .enabled(if: TestSupport.labAvailable || TestSupport.mustRunLab,
                "needs root to create network namespaces (run as root, or set CI=true to require it)"))
struct CraftRoundTripTests {
    static let script = """
        inject S 10.0.0.1:40000 > 10.0.1.1:9999 seq=1000 ttl=33 dscp=46 ecn=ce id=4242 df=0 ipopt=0x01010101 reserved=5 win=1234 urg=7 mss=1460 nop wscale=7 sackOK ts=100,0
        inject S 10.0.0.1:40001 > 10.0.1.1:9999 seq=2000 opt=0x1e09aabb nop nop nop nop
        inject P. 10.0.0.1:40002 > 10.0.1.1:9999 seq=3000 ack=77 csum=wrong "hi"
        inject . 10.0.0.1:40003 > 10.0.1.1:9999 seq=4000 ack=5 doff=6 csum=0x1234

        """

    @Test("IP and TCP fields, a malformed option and wrong checksums reach the wire as written")
    func roundTrip() throws {
        let root = TestSupport.packageRoot.path
        let prefix = "ttc\(getpid() % 100000)\(UInt16.random(in: 0...999))"
        let up = try TestSupport.run(root + "/scripts/lab-up.sh", ["--prefix", prefix], timeout: 30)
        defer { _ = try? TestSupport.run(root + "/scripts/lab-down.sh", ["--prefix", prefix, "--kill"], timeout: 30) }
        try #require(up.status == 0, "lab-up failed: \(up.stderr)")
        let dir = NSTemporaryDirectory() + "craft-\(prefix)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pcap = dir + "/wire.pcap", file = dir + "/craft.ttcp"
        try Self.script.write(toFile: file, atomically: true, encoding: .utf8)

        // tcpdump on host1's interface, bounded by count and time.
        let capture = try Subprocess(["ip", "netns", "exec", "\(prefix)-host1", "timeout", "20",
                                      "tcpdump", "-nn", "-U", "-c", "4", "-i", "h1-r", "-w", pcap, "tcp dst port 9999"])
        defer { capture.kill(); capture.removeOutput() }
        usleep(1_500_000)
        let run = try TestSupport.run(TestSupport.executable.path, ["run", "--netns", "\(prefix)-host1", file], timeout: 30)
        #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
        _ = capture.wait(timeout: .seconds(20))

        let dump = try TestSupport.run("/usr/bin/env", ["tcpdump", "-nn", "-v", "-r", pcap], timeout: 30).stdout
        #expect(dump.contains("tos 0xbb,CE, ttl 33, id 4242, offset 0, flags [none]"), "\(dump)")
        #expect(dump.contains("options (NOP,NOP,NOP,NOP)"))
        #expect(dump.contains("10.0.0.1.40000 > 10.0.1.1.9999: Flags [S], cksum"))
        #expect(dump.contains("seq 1000, win 1234, options [mss 1460,nop,wscale 7,sackOK,TS val 100 ecr 0], length 0"))
        #expect(dump.contains("10.0.0.1.40001 > 10.0.1.1.9999: Flags [S], cksum"))
        #expect(dump.contains("seq 2000, win 65535, options [[bad opt]"))
        #expect(dump.contains("(incorrect -> "), "the wrong checksum did not reach the wire")
        #expect(dump.contains("seq 3000:3002, ack 77"))
        #expect(dump.contains("[bad hdr length 24 - too long, > 20]"))

        let fields = ["ip.ttl", "ip.dsfield.dscp", "ip.dsfield.ecn", "ip.id", "ip.flags.df", "ip.hdr_len", "tcp.seq_raw",
                      "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.urgent_pointer", "tcp.options", "tcp.checksum"]
        let shark = try TestSupport.run("/usr/bin/env", ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=|"]
                                          + fields.flatMap { ["-e", $0] }, timeout: 60).stdout
        let rows = shark.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        try #require(rows.count == 4, "\(shark)")
        #expect(rows[0] == ["33", "46", "3", "0x1092", "0", "24", "1000", "0", "0x0a02", "1234", "7",
                            "020405b4010303070402080a0000006400000000", rows[0][12]], "\(rows[0])")
        // The option with length byte 9 over 4 bytes, as written.
        #expect(rows[1][11] == "1e09aabb01010101", "\(rows[1])")
        #expect(rows[3][12] == "0x1234", "\(rows[3])")
    }
}

/// Issue 11: the one-line SYN flood in the lab, against a toytcp listener (the `echoserver` example in
/// host2, started by the script itself).
@Suite("SYN flood in the lab", .serialized,
       .enabled(if: TestSupport.labAvailable || TestSupport.mustRunLab,
                "needs root to create network namespaces (run as root, or set CI=true to require it)"))
struct LabSynFloodTests {
    @Test("inject S … count=20000 sport=1024+i seq=1000+i: each copy varied, answered by a toytcp listener")
    func flood() throws {
        let root = TestSupport.packageRoot.path
        let prefix = "ttf\(getpid() % 100000)\(UInt16.random(in: 0...999))"
        // host1's kernel must not reset the SYN-ACKs to ports it never opened.
        let up = try TestSupport.run(root + "/scripts/lab-up.sh", ["--prefix", prefix, "--rst-filter", "host1"], timeout: 30)
        defer { _ = try? TestSupport.run(root + "/scripts/lab-down.sh", ["--prefix", prefix, "--kill"], timeout: 30) }
        try #require(up.status == 0, "lab-up failed: \(up.stderr)")
        let echoserver = TestSupport.executable.deletingLastPathComponent().appendingPathComponent("echoserver").path
        try #require(FileManager.default.isExecutableFile(atPath: echoserver), "build the echoserver example first")
        let file = NSTemporaryDirectory() + "flood-\(prefix).ttcp"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            host2 '\(echoserver) 10.0.1.1 7' as srv
            sleep 500ms
            inject S 10.0.0.1:1024 > 10.0.1.1:7 count=20000 sport=1024+i seq=1000+i win=65535
            expect S. 10.0.1.1:7 > 10.0.0.1:1024 ack=1001 within 1s
            expect S. 10.0.1.1:7 > 10.0.0.1:1100 ack=1077 within 1s
            expect S. 10.0.1.1:7 > 10.0.0.1:21023 ack=21000 within 2s
            assert srv.running

            """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try TestSupport.run(TestSupport.executable.path, ["run", "--netns", "\(prefix)-host1", file], timeout: 90)
        #expect(r.status == 0, "\(r.stderr)\n\(r.stdout)")
        #expect(r.stdout.contains("sent 20000 segments, varied per copy (last: IP 10.0.0.1.21023 > 10.0.1.1.7: Flags [S], seq 20999,"), "\(r.stdout)")
    }
}
