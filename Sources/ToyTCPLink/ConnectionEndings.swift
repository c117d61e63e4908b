import ToyTCPEngine

/// How a connection ended, remembered after the engine deletes its TCB.
enum ConnectionEnding: Hashable {
    case closed
    case failed(EngineError)
}

/// The endings of the most recent connections, so that a call on a connection that has ended can say
/// why (reset, refused, timed out) rather than "unknown connection".
///
/// Bounded: a loop that has seen a million connections remembers the last `capacity` endings, oldest
/// forgotten first. (A plain dictionary grew by one entry per connection for the life of the loop.) A
/// call on a connection forgotten this way reports what the engine says (`unknownConnection`).
struct ConnectionEndings {
    let capacity: Int
    private var endings: [ConnectionID: ConnectionEnding] = [:]
    /// The ids in `endings` in the order they were first remembered: a ring once full, whose oldest
    /// entry is at `oldest`.
    private var order: [ConnectionID] = []
    private var oldest = 0

    init(capacity: Int = 65_536) {
        precondition(capacity > 0, "ConnectionEndings needs room for one ending")
        self.capacity = capacity
    }

    subscript(id: ConnectionID) -> ConnectionEnding? { endings[id] }

    var count: Int { endings.count }

    /// Remembers how `id` ended (replacing what was remembered for it), forgetting the oldest ending
    /// when full.
    mutating func remember(_ ending: ConnectionEnding, for id: ConnectionID) {
        if endings.updateValue(ending, forKey: id) != nil { return }
        if order.count < capacity {
            order.append(id)
            return
        }
        endings[order[oldest]] = nil
        order[oldest] = id
        oldest = (oldest + 1) % capacity
    }
}
