import Foundation
import Testing
import ToyTCPWire
@testable import ToyTCPPacketdrill

/// A system under test that sends a fixed list of segments at fixed (virtual) times and takes
/// whatever is injected: the runner's own rules (aggregation, tolerance, python blocks) tested
/// without a kernel.
final class ReplaySystem: PktSystemUnderTest {
    let name = "replay"
    var now = 0.0
    var toSend: [(bytes: [UInt8], time: Double)]
    var sent: [(bytes: [UInt8], time: Double)] = []
    var injected: [[UInt8]] = []
    /// When a started (blocking) call returns 0.
    var callReturnsAt: Double?
    var started = false

    init(sending: [(IPPacket, Double)]) { toSend = sending.map { ($0.0.bytes(), $0.1) } }

    func unsupported(_ event: PktEvent) -> String? { nil }
    func setUp() throws {}
    func tearDown() {}
    func elapsed() -> Double { now }
    func pass(until t: Double, stopEarly: Bool) {
        let next = min(toSend.first?.time ?? .infinity, started ? callReturnsAt ?? .infinity : .infinity)
        now = max(now, stopEarly ? min(t, next) : t)
        while let p = toSend.first, p.time <= now { sent.append(toSend.removeFirst()) }
    }
    func takeOutbound() -> [(bytes: [UInt8], time: Double)] {
        pass(until: now, stopEarly: false)
        defer { sent.removeAll() }
        return sent
    }
    func inject(_ bytes: [UInt8], gsoSize: Int?) -> Bool { injected.append(bytes); return true }
    func run(_ call: PktSyscall) throws(SyscallError) -> SyscallOutcome { throw SyscallError(description: "no calls here") }
    func begin(_ call: PktSyscall) { started = true }
    var finished: (Result<SyscallOutcome, SyscallError>, Double)? {
        guard started, let at = callReturnsAt, at <= now else { return nil }
        started = false
        return (.success(SyscallOutcome(result: 0, errno: 0)), at)
    }
    func bind(scriptFD: Int32, to live: Int32, underTest: Bool) {}
    func closed(scriptFD: Int32) {}
    func tcpInfoPrelude() -> String { "" }
    func shell(_ command: String) -> (status: Int32, output: String) { (0, "") }
}

/// Rules of the original packetdrill that the runner follows, so that a script passing there passes
/// here: outbound aggregation (run_packet.c), `--tolerance_percent` (run.c `verify_time`), python
/// blocks ending in a line continuation.
@Suite struct PktPacketdrillRulesTests {
    static let isn: UInt32 = 7_000_000

    /// The client's segment at relative sequence `seq` with `length` bytes (ack 1, window 502).
    static func segment(_ flags: TCPFlags, seq: UInt32, length: Int = 0, window: UInt16 = 502, ack: UInt32? = 1) -> IPPacket {
        .v4(IPv4Packet(header: IPv4Header(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 1, 1)),
                   segment: TCPSegment(sourcePort: 50000, destinationPort: 8080, sequenceNumber: SequenceNumber(isn &+ seq),
                                       acknowledgmentNumber: SequenceNumber(ack ?? 0), flags: flags, window: window,
                                       payload: [UInt8](repeating: 0, count: length))))
    }

    /// A connect handshake, then `data` (relative times after it).
    static let handshake = """
        0 > S 0:0(0)
       +0 < S. 0:0(0) ack 1 win 65535 <mss 1000>
       +0 > . 1:1(0) ack 1

    """

    static func run(_ text: String, sending: [(IPPacket, Double)], options: PktRunOptions = PktRunOptions(),
                    callReturnsAt: Double? = nil) throws -> (Int32, String) {
        let script = try PktParser(file: "t.pkt").parse(text)
        var out = ""
        let runner = PktRunner(script: script, options: options, output: { out += $0 + "\n" }) { _ in
            let system = ReplaySystem(sending: sending)
            system.callReturnsAt = callReturnsAt
            return system
        }
        return (runner.run(), out)
    }

    static let opening: [(IPPacket, Double)] = [(segment(.syn, seq: 0, ack: nil), 0), (segment(.ack, seq: 1), 0)]

    @Test func aBurstSentAsSmallerSegmentsMatchesAsOne() throws {
        // Linux sends a 10-MSS burst as five 2-MSS skbs after a slow handshake (BBR's pacing rate):
        // packetdrill reads them until the script's 10000 bytes and matches the whole.
        let parts = (0..<5).map { (Self.segment([.ack], seq: 1 + UInt32($0) * 2000, length: 2000), 0.0001 * Double($0)) }
        let (status, out) = try Self.run(Self.handshake + "   +0 > P. 1:10001(10000) ack 1\n",
                                         sending: Self.opening + parts.dropLast() + [(Self.segment([.ack, .psh], seq: 8001, length: 2000), 0.0004)])
        #expect(status == 0, "\(out)")
    }

    @Test func strictSegmentsMatchesEachSegmentAlone() throws {
        let parts = (0..<2).map { (Self.segment([.ack, .psh], seq: 1 + UInt32($0) * 1000, length: 1000), 0.0) }
        let (status, out) = try Self.run("--strict_segments\n" + Self.handshake + "   +0 > P. 1:2001(2000) ack 1\n", sending: Self.opening + parts)
        #expect(status == 1)
        #expect(out.contains("live packet field tcp_payload_len: expected: 2000 (0x7d0) vs actual: 1000 (0x3e8)"), "\(out)")
    }

    @Test func segmentsThatDoNotContinueEachOtherAreNotJoined() throws {
        // A different window on the second segment: not one burst; the match reports the first alone.
        let parts = [(Self.segment([.ack], seq: 1, length: 1000), 0.0), (Self.segment([.ack, .psh], seq: 1001, length: 1000, window: 600), 0.0)]
        let (status, out) = try Self.run(Self.handshake + "   +0 > P. 1:2001(2000) ack 1\n", sending: Self.opening + parts)
        #expect(status == 1)
        #expect(out.contains("tcp_payload_len: expected: 2000 (0x7d0) vs actual: 1000 (0x3e8)"), "\(out)")
    }

    @Test func continuationRules() {
        let a = Self.segment([.ack], seq: 1, length: 1000)
        #expect(PktRunner.continues(Self.segment([.ack, .psh], seq: 1001, length: 1000), after: a, isLast: false))
        #expect(PktRunner.continues(Self.segment([.ack, .psh], seq: 1001, length: 300), after: a, isLast: true))
        #expect(!PktRunner.continues(Self.segment([.ack], seq: 1001, length: 300), after: a, isLast: false), "only the last may be shorter")
        #expect(!PktRunner.continues(Self.segment([.ack], seq: 2001, length: 1000), after: a, isLast: true), "a gap")
        #expect(!PktRunner.continues(Self.segment([.ack], seq: 1001, length: 1000, ack: 2), after: a, isLast: true), "another ACK number")
        #expect(!PktRunner.continues(Self.segment([.ack, .syn], seq: 1001, length: 1000), after: a, isLast: true), "SYN differs")
    }

    @Test func aLongWaitIsTimedWithinItsPercentage() throws {
        // A retransmission 1.032 s after the segment (a 1 s RTO on HZ=250's timer wheel): packetdrill
        // allows 12.5% of the 1 s since the previous event, not just 4 ms.
        let sending = Self.opening + [(Self.segment([.ack, .psh], seq: 1, length: 100), 0.0), (Self.segment([.ack, .psh], seq: 1, length: 100), 1.032)]
        let text = Self.handshake + "   +0 > P. 1:101(100) ack 1\n   +1 > P. 1:101(100) ack 1\n"
        #expect(try Self.run(text, sending: sending).0 == 0)
        var flat = PktRunOptions()
        flat.tolerancePercent = 0
        let (status, out) = try Self.run(text, sending: sending, options: flat)
        #expect(status == 1)
        #expect(out.contains("t.pkt:5: error handling packet: Timed out waiting for packet (expected outbound packet at 1.0000 sec)"), "\(out)")
        // 12.5% of +0 is nothing: a segment 10 ms late after +0 is still late.
        let late = Self.opening + [(Self.segment([.ack, .psh], seq: 1, length: 100), 0.010)]
        #expect(try Self.run(Self.handshake + "   +0 > P. 1:101(100) ack 1\n", sending: late).0 == 1)
    }

    @Test func aBlockingCallsReturnIsTimedWithinThePercentageOfItsWait() throws {
        // packetdrill's run_system_call.c: the share counts from the call's start.
        let text = "0...1 read(3, ..., 1000) = 0\n"
        #expect(try Self.run(text, sending: [], callReturnsAt: 1.05).0 == 0)
        var flat = PktRunOptions()
        flat.tolerancePercent = 0
        let (status, out) = try Self.run(text, sending: [], options: flat, callReturnsAt: 1.05)
        #expect(status == 1)
        #expect(out.contains("expected system call to return at 1.000000 sec but happened at 1.050000 sec; tolerance 0.004000 sec"), "\(out)")
    }

    @Test func aPythonBlockMayEndInALineContinuation() throws {
        let text = Self.handshake + "   +0 %{ assert 1 + 1 == 2, 'sum';\\\n         assert 2 * 2 == 4, 'product';\\\n}%\n"
        let (status, out) = try Self.run(text, sending: Self.opening)
        #expect(status == 0, "\(out)")
    }
}
