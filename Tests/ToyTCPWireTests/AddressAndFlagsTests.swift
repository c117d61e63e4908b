import Testing
@testable import ToyTCPWire

@Suite("IPv4 addresses (RFC 791 §3.1) and TCP flags (RFC 9293 §3.1)")
struct AddressAndFlagsTests {
    @Test("Dotted quads that parse", arguments: [
        ("10.0.0.1", UInt32(0x0A00_0001)), ("0.0.0.0", 0), ("255.255.255.255", 0xFFFF_FFFF),
        ("127.0.0.1", 0x7F00_0001), ("192.168.100.200", 0xC0A8_64C8), ("1.2.3.0", 0x0102_0300),
    ])
    func goodAddresses(text: String, raw: UInt32) throws {
        let a = try #require(IPv4Address(text))
        #expect(a.rawValue == raw)
        #expect(a.description == text)
        #expect(IPv4Address(Substring(text)) == a)
    }

    @Test("Text that is not a dotted quad", arguments: [
        "", "10", "10.0.0", "10.0.0.1.", ".10.0.0.1", "10..0.1", "10.0.0.256", "1000.0.0.1", "10.0.0.-1",
        "10.0.0.1 ", " 10.0.0.1", "a.b.c.d", "10.0.0.1/24", "10.0.0.0001", "010.0.0.1", "10.00.0.1", "0x0a.0.0.1",
        "1.2.3.4.5", "١٠.0.0.1",
    ])
    func badAddresses(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("Octets, ordering, prefix membership")
    func addressHelpers() {
        let a = IPv4Address(10, 0, 1, 7)
        #expect(a.octets == (10, 0, 1, 7))
        #expect(IPv4Address(10, 0, 0, 255) < a)
        #expect(a.isIn(network: IPv4Address(10, 0, 1, 0), prefixLength: 24))
        #expect(!a.isIn(network: IPv4Address(10, 0, 0, 0), prefixLength: 24))
        #expect(a.isIn(network: IPv4Address(10, 0, 0, 0), prefixLength: 23))
        #expect(a.isIn(network: a, prefixLength: 32))
        #expect(!IPv4Address(10, 0, 1, 8).isIn(network: a, prefixLength: 32))
        #expect(a.isIn(network: .any, prefixLength: 0))
        #expect(IPv4Address.loopback.description == "127.0.0.1")
    }

    @Test("tcpdump letters in tcpdump's order (RFC 9293 §3.1 control bits)")
    func flagDescriptions() {
        #expect(TCPFlags([]).description == "none")
        #expect(TCPFlags.syn.description == "S")
        #expect(TCPFlags([.syn, .ack]).description == "S.")
        #expect(TCPFlags([.ack, .psh]).description == "P.")
        #expect(TCPFlags([.fin, .ack]).description == "F.")
        #expect(TCPFlags([.rst, .ack]).description == "R.")
        #expect(TCPFlags([.syn, .ece, .cwr]).description == "SEW")
        #expect(TCPFlags(rawValue: 0x1FF).description == "FSRP.UEWe")
        #expect(TCPFlags(rawValue: 0xFFFF).rawValue == 0x1FF)
    }

    @Test("Flags parse from tcpdump and packetdrill spellings")
    func flagParsing() throws {
        #expect(try TCPFlags.parse("S").get() == .syn)
        #expect(try TCPFlags.parse("S.").get() == [.syn, .ack])
        #expect(try TCPFlags.parse("SA").get() == [.syn, .ack])
        #expect(try TCPFlags.parse("PA").get() == [.psh, .ack])
        #expect(try TCPFlags.parse("F.").get() == [.fin, .ack])
        #expect(try TCPFlags.parse("R").get() == .rst)
        #expect(try TCPFlags.parse(".").get() == .ack)
        #expect(try TCPFlags.parse("none").get() == [])
        #expect(try TCPFlags.parse("0").get() == [])
        #expect(try TCPFlags.parse("SEWe").get() == [.syn, .ece, .cwr, .ae])
        #expect(try TCPFlags.parse("SEC").get() == [.syn, .ece, .cwr])
        #expect(try TCPFlags.parse("U").get() == .urg)
        // Every description parses back to the same flags.
        for raw in UInt16(0)...0x1FF {
            let f = TCPFlags(rawValue: raw)
            #expect(try TCPFlags.parse(f.description).get() == f)
        }
        switch TCPFlags.parse("SX") {
        case .success: Issue.record("SX parsed")
        case .failure(let e):
            #expect(e.index == 1 && e.character == "X")
            #expect(e.description == "'X' is not a TCP flag (use F S R P A or . U E W e)")
        }
        if case .success = TCPFlags.parse("s") { Issue.record("lower-case s is not SYN") }
    }
}
