import Testing
import ToyTCPDecode
import ToyTCPWire

/// Crafts the packets of a conversation between A = 10.0.0.1:40000 and B = 10.0.0.2:80, one step at a time.
struct Conversation {
    static let a = IPv4Address(10, 0, 0, 1), b = IPv4Address(10, 0, 0, 2)
    var packets: [LadderPacket] = []
    var time: Int64 = 0

    /// A segment from A (`fromA`) or B; `seq`/`ack` absolute; time advances 10 ms per segment.
    mutating func add(fromA: Bool, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, win: UInt16 = 65535,
                      payload: Int = 0, options: [TCPOption] = [], lost: Bool = false, reason: String? = nil) {
        let seg = TCPSegment(sourcePort: fromA ? 40000 : 80, destinationPort: fromA ? 80 : 40000,
                             sequenceNumber: SequenceNumber(seq), acknowledgmentNumber: SequenceNumber(ack),
                             flags: flags, window: win, options: options,
                             payload: Array(repeating: 0x61, count: payload))
        let packet = IPv4Packet(header: IPv4Header(source: fromA ? Self.a : Self.b, destination: fromA ? Self.b : Self.a),
                                segment: seg)
        packets.append(LadderPacket(time: time, bytes: packet.bytes(), reason: reason, lost: lost))
        time += 10_000_000
    }

    /// The three-way handshake, ISNs 1000 (A) and 5000 (B) (RFC 9293 §3.5 Figure 6).
    mutating func handshake() {
        add(fromA: true, .syn, seq: 1000, options: [.mss(1460)])
        add(fromA: false, [.syn, .ack], seq: 5000, ack: 1001, options: [.mss(1460)])
        add(fromA: true, .ack, seq: 1001, ack: 5001)
    }

    func ladder(width: Int = 80) -> String {
        LadderDiagram.render(packets, options: .init(width: width))
    }
}

@Suite("Ladder diagrams (RFC 9293 §3.5, §3.6 figures)")
struct LadderDiagramTests {
    @Test("The three-way handshake (RFC 9293 §3.5 Figure 6)")
    func handshake() {
        var c = Conversation()
        c.handshake()
        #expect(c.ladder() == """
              time (s) 10.0.0.1:40000                                           10.0.0.2:80
                       CLOSED       |                                         | LISTEN
              0.000000 SYN-SENT     |-- S seq 0 win 65535 mss 1460 ---------->| SYN-RECEIVED
              0.010000 ESTABLISHED  |<--- S. seq 0 ack 1 win 65535 mss 1460 --|
              0.020000              |-- . seq 1 ack 1 win 65535 ------------->| ESTABLISHED

            """)
    }
}

extension LadderDiagramTests {
    @Test("A data exchange: lengths, relative seq/ack and windows on each arrow")
    func dataExchange() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: true, [.psh, .ack], seq: 1001, ack: 5001, payload: 100)
        c.add(fromA: false, [.psh, .ack], seq: 5001, ack: 1101, win: 65435, payload: 200)
        c.add(fromA: true, .ack, seq: 1101, ack: 5201, win: 65335)
        #expect(c.ladder().split(separator: "\n").suffix(3).joined(separator: "\n") + "\n" == """
              0.030000              |-- P. seq 1:101(100) ack 1 win 65535 --->|
              0.040000              |<- P. seq 1:201(200) ack 101 win 65435 --|
              0.050000              |-- . seq 101 ack 201 win 65335 --------->|

            """)
    }

    @Test("Close, one side first (RFC 9293 §3.6 Figure 12): FIN-WAIT-1, CLOSE-WAIT, LAST-ACK, TIME-WAIT")
    func normalClose() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: true, [.fin, .ack], seq: 1001, ack: 5001)
        c.add(fromA: false, .ack, seq: 5001, ack: 1002)
        c.add(fromA: false, [.fin, .ack], seq: 5001, ack: 1002)
        c.add(fromA: true, .ack, seq: 1002, ack: 5002)
        #expect(c.ladder().split(separator: "\n").suffix(4).joined(separator: "\n") + "\n" == """
              0.030000 FIN-WAIT-1   |-- F. seq 1 ack 1 win 65535 ------------>| CLOSE-WAIT
              0.040000 FIN-WAIT-2   |<------------- . seq 1 ack 2 win 65535 --|
              0.050000 TIME-WAIT    |<------------ F. seq 1 ack 2 win 65535 --| LAST-ACK
              0.060000              |-- . seq 2 ack 2 win 65535 ------------->| CLOSED

            """)
    }

    @Test("Simultaneous close (RFC 9293 §3.6 Figure 13): both FINs cross, both sides CLOSING, then TIME-WAIT")
    func simultaneousClose() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: true, [.fin, .ack], seq: 1001, ack: 5001)
        c.add(fromA: false, [.fin, .ack], seq: 5001, ack: 1001)
        c.add(fromA: true, .ack, seq: 1002, ack: 5002)
        c.add(fromA: false, .ack, seq: 5002, ack: 1002)
        #expect(c.ladder().split(separator: "\n").suffix(4).joined(separator: "\n") + "\n" == """
              0.030000 FIN-WAIT-1   |-- F. seq 1 ack 1 win 65535 ------------>|
              0.040000 CLOSING      |<------------ F. seq 1 ack 1 win 65535 --| CLOSING
              0.050000              |-- . seq 2 ack 2 win 65535 ------------->| TIME-WAIT
              0.060000 TIME-WAIT    |<------------- . seq 2 ack 2 win 65535 --|

            """)
    }

    @Test("A RST answers a SYN to a closed port (RFC 9293 §3.10.7.1): both ends CLOSED")
    func resetRefusal() {
        var c = Conversation()
        c.add(fromA: true, .syn, seq: 1000)
        c.add(fromA: false, [.rst, .ack], seq: 0, ack: 1001, win: 0)
        #expect(c.ladder() == """
              time (s) 10.0.0.1:40000                                           10.0.0.2:80
                       CLOSED       |                                         | CLOSED
              0.000000 SYN-SENT     |-- S seq 0 win 65535 ------------------->|
              0.010000 CLOSED       |<---------------- R. seq 0 ack 1 win 0 --|

            """)
    }

    @Test("A RST in ESTABLISHED closes both ends (RFC 9293 §3.10.7.4)")
    func resetEstablished() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: false, .rst, seq: 5001, win: 0)
        #expect(c.ladder().split(separator: "\n").last == "  0.030000 CLOSED       |<----------------------- R seq 1 win 0 --| CLOSED")
    }

    @Test("A lost segment ends in X; its retransmission is drawn with = and marked R")
    func lossAndRetransmission() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: true, [.psh, .ack], seq: 1001, ack: 5001, payload: 100, lost: true)
        c.add(fromA: true, [.psh, .ack], seq: 1001, ack: 5001, payload: 100, reason: "RTO")
        #expect(c.ladder(width: 100).split(separator: "\n").suffix(2).joined(separator: "\n") + "\n" == """
              0.030000              |-- P. seq 1:101(100) ack 1 win 65535 --X                     |
              0.040000              |== R P. seq 1:101(100) ack 1 win 65535 (RTO) ===============>|

            """)
    }

    @Test("Colour only when asked: ANSI codes around the arrows and states")
    func colour() {
        var c = Conversation()
        c.handshake()
        let coloured = LadderDiagram.render(c.packets, options: .init(width: 80, color: true))
        #expect(coloured.contains("\u{1B}[32m-- S seq 0"))
        #expect(!c.ladder().contains("\u{1B}"))
    }

    @Test("The lane shrinks and grows with the width")
    func width() {
        var c = Conversation()
        c.handshake()
        for w in [60, 80, 132] {
            let lines = LadderDiagram.render(c.packets, options: .init(width: w)).split(separator: "\n")
            #expect(lines.allSatisfy { $0.count <= w }, "width \(w)")
        }
    }
}

extension LadderDiagramTests {
    @Test("Close in three segments, the right side first: its peer's FIN carries the ACK (FIN-WAIT-1 straight to TIME-WAIT)")
    func threeSegmentClose() {
        var c = Conversation()
        c.handshake()
        c.add(fromA: false, [.fin, .ack], seq: 5001, ack: 1001)
        c.add(fromA: true, [.fin, .ack], seq: 1001, ack: 5002)
        c.add(fromA: false, .ack, seq: 5002, ack: 1002)
        let states = c.ladder().split(separator: "\n").suffix(3).map { line in
            (line.dropFirst(11).prefix(12).trimmingCharacters(in: .whitespaces),
             line.split(separator: "|", omittingEmptySubsequences: false).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
        }
        #expect(states.map(\.0) == ["CLOSE-WAIT", "LAST-ACK", "CLOSED"])
        #expect(states.map(\.1) == ["FIN-WAIT-1", "TIME-WAIT", ""])
    }

    @Test("Simultaneous open (RFC 9293 §3.5 Figure 8): both SYN-SENT, then SYN-RECEIVED, then ESTABLISHED")
    func simultaneousOpen() {
        var c = Conversation()
        c.add(fromA: true, .syn, seq: 1000)
        c.add(fromA: false, .syn, seq: 5000)
        c.add(fromA: true, [.syn, .ack], seq: 1000, ack: 5001)
        c.add(fromA: false, [.syn, .ack], seq: 5000, ack: 1001)
        let lines = c.ladder().split(separator: "\n").map(String.init)
        #expect(lines[1].hasPrefix("           CLOSED       |") && lines[1].hasSuffix("| CLOSED"))
        #expect(lines[2].hasPrefix("  0.000000 SYN-SENT     |-- S seq 0 ") && lines[2].hasSuffix("|"))
        #expect(lines[3].hasPrefix("  0.010000 SYN-RECEIVED |<") && lines[3].hasSuffix("| SYN-RECEIVED"))
        #expect(lines[4].hasSuffix("| ESTABLISHED") && !lines[4].contains("ESTABLISHED  |"))
        #expect(lines[5].hasPrefix("  0.030000 ESTABLISHED  |<"))
    }
}
