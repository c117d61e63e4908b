import Testing
import ToyTCPPacketdrill

/// `--stack both`'s comparison: the first observation that differs, with the kernel's scheduling
/// jitter among simultaneous things ignored.
@Suite struct PktSideBySideTests {
    func o(_ t: Double, _ what: String) -> PktObservation { PktObservation(time: t, what: what) }

    @Test func theSameBehaviourHasNoDifference() {
        let k = [o(0.0001, "socket(…) = 3"), o(0.1012, "> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 12345 ecr 100>")]
        let t = [o(0, "socket(…) = 3"), o(0.1, "> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 999 ecr 100>")]
        let d = PktSideBySide(kernel: k, toytcp: t, tolerance: 0.004)
        #expect(d.firstDifference == nil, "timestamps are each system's own clock; 1.2 ms is within the tolerance")
    }

    @Test func aDifferentWindowIsTheFirstDifference() {
        let k = [o(0, "socket(…) = 3"), o(0.2, "> . 1:1(0) ack 1001 win 1046")]
        let t = [o(0, "socket(…) = 3"), o(0.2, "> . 1:1(0) ack 1001 win 2105")]
        let d = PktSideBySide(kernel: k, toytcp: t, tolerance: 0.004)
        #expect(d.firstDifference == 1)
        #expect(d.report.contains("! kernel 0.200000 > . 1:1(0) ack 1001 win 1046"))
        #expect(d.report.contains("! toytcp 0.200000 > . 1:1(0) ack 1001 win 2105"))
    }

    @Test func aTimeBeyondTheToleranceIsADifference() {
        let k = [o(0.3, "> P. 1:101(100) ack 1")]
        let t = [o(0.2, "> P. 1:101(100) ack 1")]
        #expect(PktSideBySide(kernel: k, toytcp: t, tolerance: 0.004).firstDifference == 0)
    }

    @Test func simultaneousThingsInTheKernelsOrder() {
        // The kernel's accept thread reported after the ACK it sent a moment later; ours in script order.
        let k = [o(0.2019, "> . 1:1(0) ack 1001 win 1046"), o(0.2025, "accept(…) = 4")]
        let t = [o(0.2, "accept(…) = 4"), o(0.2, "> . 1:1(0) ack 1001 win 2105")]
        let d = PktSideBySide(kernel: k, toytcp: t, tolerance: 0.004)
        #expect(d.firstDifference == 0)
        #expect(d.toytcp.map(\.what) == ["> . 1:1(0) ack 1001 win 2105", "accept(…) = 4"])
    }

    @Test func oneSideEndingEarlyIsADifference() {
        let k = [o(0, "socket(…) = 3"), o(0.1, "> S 0:0(0) win 65535")]
        let t = [o(0, "socket(…) = 3")]
        let d = PktSideBySide(kernel: k, toytcp: t, tolerance: 0.004)
        #expect(d.firstDifference == 1)
        #expect(d.report.contains("! toytcp (nothing: the run ended)"))
    }
}
