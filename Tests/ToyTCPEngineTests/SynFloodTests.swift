// RFC 4987 (TCP SYN flooding attacks and common mitigations): §3.6 SYN cookies, §3.4 recycling the
// oldest half-open TCB; and Linux's limits on SYN-ACKs (tcp_synack_retries, one SYN-ACK per 500 ms for
// repeated SYNs).
import Testing
import ToyTCPWire
@testable import ToyTCPEngine

@Suite("SYN floods (RFC 4987)")
struct SynFloodTests {
    /// Fills a backlog of `n` with half-open connections from ports 1...n and drains their SYN-ACKs.
    private func fill(_ h: Harness, _ n: UInt16) {
        for port in 1...n { h.deliver(.syn, seq: 1000, sourcePort: port) }
        for _ in 1...n { _ = h.expectTransmit([.syn, .ack]) }
        h.expectNothing()
    }

    @Test("a full backlog answers with a SYN cookie; the returning ACK establishes the connection (RFC 4987 §3.6)")
    func cookieHandshake() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080, backlog: 2)
        fill(h, 2)
        h.deliver(.syn, seq: 7000, options: [.mss(1400)], sourcePort: 50)
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 7001))
        #expect(synAck.options.mss == 1460)
        // No state kept: still two connections.
        #expect(h.stack.connectionIDs.count == 2)
        #expect(h.stack.statistics.synCookiesSent == 1)
        let cookie = synAck.sequenceNumber.rawValue
        // The third ACK, with data, rebuilds the connection.
        h.deliver([.ack, .psh], seq: 7001, ack: cookie &+ 1, payload: bytes(100), sourcePort: 50)
        let id = try #require(h.stack.accept(l))
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.state == .established)
        #expect(snap.snd.iss.rawValue == cookie)
        #expect(snap.rcv.irs == 7000)
        // The largest MSS in the cookie table not above the peer's 1400.
        #expect(snap.mss == 1300)
        #expect(snap.receiveQueued == 100)
        let ls = try #require(h.stack.listenerSnapshot(l))
        #expect(ls.cookiesSent == 1 && ls.cookiesValidated == 1 && ls.halfOpen == 2 && ls.acceptQueued == 0)
        #expect(h.stack.statistics.counters.contains { $0.name == "syn_cookies_validated" && $0.value == 1 })
    }

    @Test("the cookie's timestamp carries window scale and SACK back (Linux cookie_init_timestamp)")
    func cookieTimestampOptions() throws {
        let h = Harness(testConfiguration { $0.timestamps = true; $0.sack = true; $0.windowScaling = true })
        let l = try h.stack.listen(port: 8080, backlog: 1)
        fill(h, 1)
        h.deliver(.syn, seq: 7000, options: [.mss(1460), .sackPermitted, .timestamps(value: 555, echoReply: 0),
                                            .windowScale(7)], at: .ms(12345), sourcePort: 50)
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 7001))
        let tsval = try #require(synAck.options.timestamps?.value)
        #expect(synAck.options.contains(.sackPermitted))
        h.deliver(.ack, seq: 7001, ack: synAck.sequenceNumber.rawValue &+ 1, window: 100,
                  options: [.timestamps(value: 556, echoReply: tsval)], at: .ms(12350), sourcePort: 50)
        let id = try #require(h.stack.accept(l))
        let snap = try #require(h.stack.snapshot(id))
        #expect(snap.sackEnabled && snap.timestampsEnabled)
        #expect(snap.snd.windowShift == 7)
        #expect(snap.snd.wnd == 100 << 7)
    }

    @Test("a forged or stale cookie draws a RST and no connection (RFC 4987 §3.6)")
    func forgedCookie() throws {
        // The half-open connection filling the backlog outlives the test.
        let h = Harness(testConfiguration { $0.synAckRetries = 100 })
        let l = try h.stack.listen(port: 8080, backlog: 1)
        fill(h, 1)
        h.deliver(.syn, seq: 7000, sourcePort: 50)
        let cookie = try #require(h.expectTransmit([.syn, .ack])).sequenceNumber.rawValue
        h.deliver(.ack, seq: 7001, ack: (cookie ^ 0x5A_5A00) &+ 1, sourcePort: 50)
        h.expectTransmit(.rst, seq: (cookie ^ 0x5A_5A00) &+ 1)
        // The right cookie from another port.
        h.deliver(.ack, seq: 7001, ack: cookie &+ 1, sourcePort: 51)
        h.expectTransmit(.rst, seq: cookie &+ 1)
        // The right cookie, four minutes late (valid for two ticks of 60 s).
        h.at(.ms(200_000))
        while h.transmit() != nil {}
        h.deliver(.syn, seq: 7000, sourcePort: 52)
        let late = try #require(h.expectTransmit([.syn, .ack])).sequenceNumber.rawValue
        h.deliver(.ack, seq: 7001, ack: late &+ 1, at: .ms(440_000), sourcePort: 52)
        h.expectTransmit(.rst, seq: late &+ 1)
        #expect(h.stack.accept(l) == nil)
        // The late one was not even decoded: no cookie went out in the last two minutes.
        #expect(h.stack.statistics.synCookiesRejected == 2)
    }

    @Test("recycling mode evicts the oldest half-open connection for a new SYN (RFC 4987 §3.4)")
    func recycleOldest() throws {
        let h = Harness(testConfiguration { $0.synFloodDefense = .recycleOldest })
        let l = try h.stack.listen(port: 8080, backlog: 2)
        fill(h, 2)
        let oldest = h.stack.connectionIDs[0]
        h.deliver(.syn, seq: 9000, sourcePort: 60)
        let synAck = try #require(h.expectTransmit([.syn, .ack], ack: 9001))
        h.expectNothing()
        #expect(h.stack.snapshot(oldest) == nil)
        #expect(h.stack.connectionIDs.count == 2)
        h.deliver(.ack, seq: 9001, ack: synAck.sequenceNumber.rawValue &+ 1, sourcePort: 60)
        #expect(h.stack.accept(l) != nil)
        #expect(h.stack.statistics.halfOpenRecycled == 1)
    }

    @Test("a half-open connection retransmits its SYN-ACK 5 times, then is dropped (Linux tcp_synack_retries)")
    func synAckRetries() throws {
        let h = Harness()
        let l = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000)
        _ = h.expectTransmit([.syn, .ack])
        var retransmitted = 0
        var steps = 0
        while let d = h.stack.nextDeadline, steps < 20 {
            steps += 1
            h.at(d)
            while let s = h.transmit() {
                #expect(s.flags == [.syn, .ack])
                retransmitted += 1
            }
        }
        #expect(retransmitted == 5)
        #expect(h.stack.connectionIDs.isEmpty)
        #expect(h.stack.listenerSnapshot(l)?.synAckRetransmissions == 5)
        #expect(h.stack.statistics.synAckRetransmissions == 5)
    }

    @Test("1,000 copies of a SYN in 0.5 s draw at most two SYN-ACKs (one per 500 ms, as Linux)")
    func repeatedSynRateLimit() throws {
        let h = Harness()
        _ = try h.stack.listen(port: 8080)
        h.deliver(.syn, seq: 1000, at: .ms(0))
        var synAcks = 0
        for i in 0..<1000 {
            h.deliver(.syn, seq: 1000, at: Instant(nanoseconds: Int64(i) * 500_000))
            while let s = h.transmit() { if s.flags == [.syn, .ack] { synAcks += 1 } }
        }
        #expect(synAcks >= 1 && synAcks <= 2, "\(synAcks) SYN-ACKs")
        #expect(h.stack.statistics.duplicateSynsIgnored >= 998)
    }
}

@Suite("SYN cookie encoding (Linux secure_tcp_syn_cookie)")
struct SynCookieCodecTests {
    let tuple = FourTuple(localAddress: localAddress, localPort: 80, remoteAddress: peerAddress, remotePort: 1234)

    @Test("every MSS index round-trips within two ticks and fails after")
    func roundTrip() {
        let codec = SynCookieCodec(secret: 9)
        for index: UInt32 in 0..<4 {
            let c = codec.encode(tuple, peerISN: 77, mssIndex: index, at: .ms(5_000))
            #expect(codec.decode(tuple, peerISN: 77, cookie: c, at: .ms(5_000)) == index)
            #expect(codec.decode(tuple, peerISN: 77, cookie: c, at: .ms(125_000)) == index)
            #expect(codec.decode(tuple, peerISN: 77, cookie: c, at: .ms(185_000)) == nil)
            #expect(codec.decode(tuple, peerISN: 77 + 1000, cookie: c, at: .ms(5_000)) == nil)
            let other = FourTuple(localAddress: localAddress, localPort: 80, remoteAddress: peerAddress, remotePort: 1235)
            #expect(codec.decode(other, peerISN: 77, cookie: c, at: .ms(5_000)) == nil)
            #expect(SynCookieCodec(secret: 10).decode(tuple, peerISN: 77, cookie: c, at: .ms(5_000)) == nil)
        }
    }

    @Test("the timestamp's low six bits carry the shift and SACK, never ahead of the clock")
    func timestampOptions() {
        for clock: UInt32 in [0, 63, 64, 1_000_000, UInt32.max] {
            let ts = SynCookieCodec.timestampValue(clock: clock, windowShift: 7, sack: true)
            #expect(Int32(bitPattern: clock &- ts) >= 0 && clock &- ts < 128)
            let o = SynCookieCodec.options(fromEcho: ts)
            #expect(o.windowShift == 7 && o.sack)
        }
        let none = SynCookieCodec.options(fromEcho: SynCookieCodec.timestampValue(clock: 999, windowShift: nil, sack: false))
        #expect(none.windowShift == nil && !none.sack)
    }
}

@Suite("Statistics as a list")
struct StatisticsCounterTests {
    @Test("`counters` lists every counter of StackStatistics once, by a snake_case name, with its value")
    func everyCounterListed() {
        var s = StackStatistics()
        // Give every stored counter a distinct value, through reflection of the stored properties.
        let labels = Mirror(reflecting: s).children.compactMap(\.label)
        s.packetsReceived = 1; s.synCookiesSent = 2; s.keepaliveProbes = 3; s.dsacksReceived = 4; s.spuriousUndos = 5
        s.ecnCEReceived = 6; s.resetsSent = 7; s.challengeAcksSent = 8
        let counters = s.counters
        #expect(counters.count == labels.count, "\(labels.count) stored counters, \(counters.count) listed")
        #expect(Set(counters.map(\.name)).count == counters.count, "names are unique")
        #expect(counters.allSatisfy { $0.name.allSatisfy { $0.isLowercase || $0 == "_" } })
        let byName = Dictionary(uniqueKeysWithValues: counters.map { ($0.name, $0.value) })
        #expect(byName["packets_received"] == 1 && byName["syn_cookies_sent"] == 2 && byName["keepalive_probes"] == 3)
        #expect(byName["dsacks_received"] == 4 && byName["spurious_undos"] == 5 && byName["ecn_ce_received"] == 6)
        #expect(byName["rsts_sent"] == 7 && byName["challenge_acks"] == 8)
    }
}
