import Foundation
import Testing
@testable import ToyTCPPacketdrill

/// The Linux selftest corpus (../shared/packetdrill), found from this file's place in the checkout.
enum Corpus {
    static var folder: String {
        if let env = ProcessInfo.processInfo.environment["TOYTCP_PACKETDRILL_CORPUS"] { return env }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        // Tests/ToyTCPPacketdrillTests/FILE -> checkout; shared/ sits beside the checkout (../shared).
        let candidates = [url.deletingLastPathComponent().appendingPathComponent("shared/packetdrill/linux-selftests").path,
                          url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/packetdrill/linux-selftests").path,
                          "/work/shared/packetdrill/linux-selftests"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }
    static var scripts: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".pkt") }.sorted()
    }
    static var expectedPass: [String] {
        let path = (folder as NSString).deletingLastPathComponent + "/EXPECTED-PASS.txt"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

@Suite struct PktParserTests {
    @Test func everyCorpusScriptParses() throws {
        let scripts = Corpus.scripts
        #expect(scripts.count == 151, "corpus at \(Corpus.folder)")
        var failures: [String] = []
        var events = 0
        for name in scripts {
            let text = try String(contentsOfFile: Corpus.folder + "/" + name, encoding: .utf8)
            do {
                let s = try PktParser(file: name, defines: PacketdrillDefaults.defines(local: "10.0.0.1", remote: "10.0.1.1")).parse(text)
                events += s.events.count
                if s.events.isEmpty { failures.append("\(name): no events") }
            } catch {
                failures.append(error.description)
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(events == 2696, "events: \(events)")
    }

    @Test func packetLineParsesIntoFields() throws {
        let s = try PktParser(file: "t.pkt").parse("""
        +.01 < S. 0:0(0) ack 1 win 5792 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 7>
        +0 > [ect0] P. 1:1001(1000) ack 1 <nop,nop,sack 1:2 3:4,...>
        """)
        guard case .packet(let p) = s.events[0].kind, case .packet(let q) = s.events[1].kind else {
            Issue.record("not packets"); return
        }
        #expect(s.events[0].time == PktTime(kind: .relative, start: 0.01))
        #expect(p.inbound && p.flags == "S." && p.ack == 1 && p.window == 5792)
        #expect(p.options == [.mss(1460), .sackOK, .timestamps(value: 700, echo: 100), .nop, .wscale(7)])
        #expect(!q.inbound && q.ecn == "ect0" && q.seq == 1 && q.length == 1000)
        #expect(q.options == [.nop, .nop, .sack([(1, 2), (3, 4)]), .ellipsis])
    }

    @Test func multiLineSyscallWithStructuresAndErrno() throws {
        let s = try PktParser(file: "t.pkt").parse("""
           +0...0.5 recvmsg(3, {msg_name(...)=...,
                    msg_iov(1)=[{..., 1000}],
                    msg_flags=0}, 0) = 1000
           +0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
        """)
        guard case .syscall(let c) = s.events[0].kind, case .syscall(let r) = s.events[1].kind else {
            Issue.record("not calls"); return
        }
        #expect(s.events[0].time == PktTime(kind: .relative, start: 0, end: 0.5))
        #expect(c.name == "recvmsg" && c.result == .integer(1000))
        #expect(c.arguments[1].field("msg_iov") == .list([.structure([PktField(name: nil, value: .ellipsis), PktField(name: nil, value: .integer(1000))])]))
        #expect(r.result == .integer(-1) && r.errno == "EAGAIN")
        #expect(s.events[1].location == PktLocation(line: 4, column: 7))
    }

    @Test func badLinesGiveLineAndColumn() {
        func message(_ text: String) -> String {
            do { _ = try PktParser(file: "bad.pkt").parse(text); return "parsed" } catch { return error.description }
        }
        #expect(message("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460,bogus 3>") ==
                "bad.pkt:2:25: unsupported TCP option 'bogus': supported are mss sackOK TS nop eol wscale sack FO FOEXP md5 ECN ...")
        #expect(message("+0 > SX 0:0(0)") == "bad.pkt:1:6: unknown TCP flag 'X' in 'SX': expected S F R P U E W A . - and an ACE digit 0-7")
        #expect(message("+0 < S 0:5(0) win 10") == "bad.pkt:1:8: inconsistent sequence range '0:5(0)': END - START must be LENGTH")
        #expect(message("+0 write(3, ..., 10) 10") == "bad.pkt:1:22: expected '= RESULT' after write(…)")
        #expect(message("+x close(3) = 0") == "bad.pkt:1:1: expected a time (0.1, +0.1, * or +0...0.5)")
    }
}

@Suite struct FastOpenCookieTests {
    @Test func labAddressesGiveTheKernelsCookies() {
        let d = PacketdrillDefaults.defines(local: "10.0.0.1", remote: "10.0.1.1")
        #expect(d["TFO_COOKIE"] == "4f93754e049ffa97")
        #expect(d["TFO_COOKIE_ZERO"] == "f7e320e91a3d7ee0")
    }
    @Test func upstreamAddressesGiveUpstreamCookies() {
        // ksft_runner.sh's values for local 192.168.0.1, remote 192.0.2.1.
        let d = PacketdrillDefaults.defines(local: "192.168.0.1", remote: "192.0.2.1")
        #expect(d["TFO_COOKIE"] == "3021b9d889017eeb")
        #expect(d["TFO_COOKIE_ZERO"] == "b7c12350a90dc8f5")
    }
}
