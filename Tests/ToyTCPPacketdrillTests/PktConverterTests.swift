import Foundation
import Testing
import ToyTCPScript
@testable import ToyTCPPacketdrill

/// `toytcp-shell convert`: every corpus script becomes a `.ttcp` that the script language parses.
@Suite struct PktConverterTests {
    @Test func everyCorpusScriptConvertsToParseableTtcp() throws {
        var bad: [String] = []
        for name in Corpus.scripts {
            let text = try String(contentsOfFile: Corpus.folder + "/" + name, encoding: .utf8)
            let script = try PktParser(file: name, defines: PktRunOptions().allDefines).parse(text)
            let ttcp = PktConverter().convert(script)
            let (_, errors) = Parser(file: name + ".ttcp").parse(script: ttcp)
            bad += errors.map { "\($0)" }
        }
        #expect(Corpus.scripts.count == 151)
        #expect(bad.isEmpty, "\(bad.prefix(10).joined(separator: "\n"))")
    }

    @Test func passiveOpenBecomesListenInjectExpectAccept() throws {
        let script = try PktParser(file: "t.pkt").parse("""
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
           +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 write(4, ..., 1000) = 1000
           +0 > P. 1:1001(1000) ack 1
        """)
        let lines = PktConverter().convert(script).split(separator: "\n").map(String.init)
        #expect(lines.contains("+0 listen 10.0.0.1 8080 as s"))
        #expect(lines.contains("+0 inject S 10.0.1.1:40000 > 10.0.0.1:8080 seq=0 win=32792 mss=1000 sackOK nop nop nop wscale=7"))
        #expect(lines.contains("+0 expect out S. 10.0.0.1:8080 > 10.0.1.1:40000 seq=0 ack=1 mss=1460 nop nop sackOK nop wscale=8 len=0"))
        #expect(lines.contains("+0.1 inject . 10.0.1.1:40000 > 10.0.0.1:8080 seq=1 ack=1 win=257"))
        #expect(lines.contains("+0 accept s as c"))
        #expect(lines.contains("+0 send c fill=1000"))
        #expect(lines.contains("+0 expect out P. on c seq=1 ack=1 noopts len=1000"))
        #expect(lines.contains("# line 1: socket(..., SOCK_STREAM, IPPROTO_TCP) = 3"))
    }
}
