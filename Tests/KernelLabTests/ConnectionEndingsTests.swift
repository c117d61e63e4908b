import Testing
import ToyTCPEngine
@testable import ToyTCPLink

/// The loop's memory of how connections ended, without a lab.
@Suite("Connection endings: remembered for the latest connections, bounded")
struct ConnectionEndingsRules {
    @Test("The last `capacity` endings are kept, the oldest forgotten first; a second ending replaces the first without taking a place")
    func boundedOldestFirst() {
        var endings = ConnectionEndings(capacity: 3)
        for raw in 1...3 { endings.remember(.closed, for: ConnectionID(rawValue: UInt64(raw))) }
        // A later ending of a remembered connection replaces it and keeps its place.
        endings.remember(.failed(.connectionReset), for: ConnectionID(rawValue: 2))
        #expect(endings.count == 3)
        endings.remember(.failed(.timedOut), for: ConnectionID(rawValue: 4))
        #expect(endings.count == 3)
        #expect(endings[ConnectionID(rawValue: 1)] == nil, "the oldest is forgotten first")
        #expect(endings[ConnectionID(rawValue: 2)] == .failed(.connectionReset))
        #expect(endings[ConnectionID(rawValue: 4)] == .failed(.timedOut))
        // Many more: the memory stays at its capacity, holding the newest.
        for raw in 5...10_000 { endings.remember(.closed, for: ConnectionID(rawValue: UInt64(raw))) }
        #expect(endings.count == 3)
        #expect((9_998...10_000).allSatisfy { endings[ConnectionID(rawValue: UInt64($0))] == .closed })
        #expect(endings[ConnectionID(rawValue: 9_997)] == nil)
    }
}
