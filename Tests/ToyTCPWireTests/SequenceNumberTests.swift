import Testing
@testable import ToyTCPWire

@Suite("Sequence numbers compare and add modulo 2^32 (RFC 9293 §3.4, RFC 1982)")
struct SequenceNumberTests {
    @Test("Comparisons across the 2^32 wrap (RFC 9293 §3.4)")
    func wrapComparisons() {
        let high: SequenceNumber = 0xFFFF_FFF0
        let low: SequenceNumber = 0x0000_0010
        #expect(high < low)
        #expect(high <= low)
        #expect(low > high)
        #expect(low >= high)
        #expect(!(low < high))
        #expect(!(high > low))
        #expect(high <= high && high >= high && !(high < high))
        #expect(SequenceNumber.max(high, low) == low)
        #expect(SequenceNumber.min(high, low) == high)
        // Just under half the space apart: ordered as the shorter way round says.
        let a: SequenceNumber = 0
        #expect(a < SequenceNumber(0x7FFF_FFFF))
        #expect(a > SequenceNumber(0x8000_0001))
    }

    @Test("Addition wraps; distance is signed and takes the short way round (RFC 9293 §3.4)")
    func arithmetic() {
        let s: SequenceNumber = 0xFFFF_FFFE
        #expect(s + 3 == SequenceNumber(1))
        #expect(s + UInt32(3) == SequenceNumber(1))
        #expect(s + (-0xFFFF_FFFE) == SequenceNumber(0))
        #expect(SequenceNumber(1) - 3 == s)
        var t = s
        t += 5
        #expect(t == SequenceNumber(3))
        t += UInt32(0xFFFF_FFFF)
        #expect(t == SequenceNumber(2))
        #expect(SequenceNumber(1) - s == 3)
        #expect(s - SequenceNumber(1) == -3)
        #expect(s.distance(to: 1) == 3)
        #expect(SequenceNumber(1).distance(to: s) == -3)
        #expect(SequenceNumber(0).distance(to: SequenceNumber(0x7FFF_FFFF)) == Int(Int32.max))
        #expect(SequenceNumber(0).distance(to: SequenceNumber(0x8000_0000)) == Int(Int32.min))
        #expect(s.description == "4294967294")
    }

    @Test("Window test start <= x < start + length across the wrap (RFC 9293 §3.4, §3.10.7.4)")
    func window() {
        let start: SequenceNumber = 0xFFFF_FF00
        #expect(start.isInWindow(start: start, length: 0x200))
        #expect(SequenceNumber(0xFFFF_FFFF).isInWindow(start: start, length: 0x200))
        #expect(SequenceNumber(0).isInWindow(start: start, length: 0x200))
        #expect(SequenceNumber(0xFF).isInWindow(start: start, length: 0x200))
        #expect(!SequenceNumber(0x100).isInWindow(start: start, length: 0x200))
        #expect(!SequenceNumber(0xFFFF_FEFF).isInWindow(start: start, length: 0x200))
        // A zero window contains nothing, not even its start (RFC 9293 §3.10.7.4 table, RCV.WND = 0).
        #expect(!start.isInWindow(start: start, length: 0))
        // The largest window contains everything but the point before the start.
        #expect(SequenceNumber(0xFFFF_FEFE).isInWindow(start: start, length: .max))
        #expect(!SequenceNumber(0xFFFF_FEFF).isInWindow(start: start, length: .max))
    }
}
