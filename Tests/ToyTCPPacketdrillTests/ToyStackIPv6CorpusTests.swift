import Foundation
import Testing
import ToyTCPPacketdrill

/// The Linux selftest corpus against our own stack in IPv6 (`--stack toytcp --ip_version=ipv6`): the
/// engine is family-generic, so every script gives the result it gives in IPv4 (ToyStackCorpusTests
/// holds that one to toytcp-expected.txt), except those listed here with why. In-process, virtual time.
@Suite struct ToyStackIPv6CorpusTests {
    /// Scripts whose IPv6 result differs from their IPv4 one, and why. Empty: none does.
    static let differences: [String: String] = [:]

    static func run(_ name: String, _ version: PktIPVersion) throws -> (status: Int32, output: String) {
        let text = try String(contentsOfFile: Corpus.folder + "/" + name, encoding: .utf8)
        var options = PktRunOptions()
        options.ipVersion = version
        options = options.forScript(text)
        var out: [String] = []
        let script: PktScript
        do { script = try PktParser(file: name, defines: options.allDefines).parse(text) } catch { return (1, error.description) }
        let status = PktRunner(script: script, options: options, stack: .toytcp, output: { out.append($0) }).run()
        return (status, out.joined(separator: "\n"))
    }

    @Test func corpusInIPv6GivesTheIPv4Results() throws {
        let scripts = Corpus.scripts
        #expect(scripts.count > 100, "the corpus at \(Corpus.folder)")
        var wrong: [String] = []
        var passing = 0
        for name in scripts {
            let v4 = try Self.run(name, .ipv4)
            let v6 = try Self.run(name, .ipv6)
            if v6.status == 0 { passing += 1 }
            let differs = (v4.status == 0) != (v6.status == 0)
            if differs && Self.differences[name] == nil {
                wrong.append("\(name): IPv4 \(v4.status == 0 ? "passes" : "fails"), IPv6 \(v6.status == 0 ? "passes" : "fails: " + v6.output.split(separator: "\n").prefix(3).joined(separator: " | "))")
            } else if !differs, let why = Self.differences[name] {
                wrong.append("\(name): listed as differing in IPv6 (\(why)) but gives the IPv4 result now")
            }
        }
        print("packetdrill corpus against toytcp in IPv6: \(passing) of \(scripts.count) pass")
        #expect(wrong.isEmpty, "\(wrong.count) scripts differ between IPv4 and IPv6:\n\(wrong.joined(separator: "\n"))")
    }

    @Test func ipv6SegmentsOfOurStackCarryIPv6Addresses() throws {
        // A failing expectation shows the live segment: our stack's SYN-ACK from fd00:0:0:1::1, with
        // the MSS of upstream's IPv6 --mtu=1520 (1520 - 40 - 20 = 1460).
        var options = PktRunOptions()
        options.ipVersion = .ipv6
        let text = """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1000,nop,wscale 8>
        """
        let script = try PktParser(file: "v6.pkt", defines: options.allDefines).parse(text)
        var out: [String] = []
        let status = PktRunner(script: script, options: options, stack: .toytcp, output: { out.append($0) }).run()
        let report = out.joined(separator: "\n")
        #expect(status == 1)
        #expect(report.contains("live packet field tcp_option mss: expected: 1000 (0x3e8) vs actual: 1460 (0x5b4)"), "\(report)")
        #expect(report.contains("actual (absolute): > fd00:0:0:1::1.8080 > fd00:0:0:2::1.40000: S."), "\(report)")
        #expect(report.contains("<mss 1460,"), "\(report)")
    }
}
