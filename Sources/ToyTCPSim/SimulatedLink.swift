import ToyTCPEngine

/// A point-to-point link between two nodes, with one `LinkChannel` (impairments, counters) per direction.
public final class SimulatedLink: CustomStringConvertible {
    /// `a-b` from the node names unless given.
    public let name: String
    public let a: any SimulatedNode
    public let b: any SimulatedNode
    /// Index in the network's link table.
    public let linkIndex: Int
    /// `channels[0]` carries a → b, `channels[1]` carries b → a.
    var channels: [LinkChannel]

    init(name: String, a: any SimulatedNode, b: any SimulatedNode, index: Int, channels: [LinkChannel]) {
        self.name = name; self.a = a; self.b = b; linkIndex = index; self.channels = channels
    }

    /// The side (0 or 1) from which `node` sends, or `nil` if it is not on this link.
    func side(of node: any SimulatedNode) -> Int? {
        if node === a { return 0 }
        if node === b { return 1 }
        return nil
    }

    /// The node at the far end from side `side`.
    func far(from side: Int) -> any SimulatedNode { side == 0 ? b : a }

    /// The impairments of the direction leaving `node`.
    public func impairments(from node: any SimulatedNode) -> LinkImpairments? {
        side(of: node).map { channels[$0].impairments }
    }

    /// Sets the impairments of the direction leaving `from` (`nil`: both directions).
    public func setImpairments(_ impairments: LinkImpairments, from: (any SimulatedNode)? = nil) throws(SimulationError) {
        try impairments.validate()
        if let from {
            guard let s = side(of: from) else { throw .noLink(from.name, name) }
            channels[s].impairments = impairments
        } else {
            channels[0].impairments = impairments
            channels[1].impairments = impairments
        }
    }

    /// Changes the fields `text` names (`loss 10% delay 5ms`, see `LinkImpairments.apply(parsing:)`)
    /// on the direction leaving `from`, or on both directions (`nil`), keeping the others.
    public func updateImpairments(parsing text: String, from: (any SimulatedNode)? = nil) throws(SimulationError) {
        let sides: [Int]
        if let from {
            guard let s = side(of: from) else { throw .noLink(from.name, name) }
            sides = [s]
        } else {
            sides = [0, 1]
        }
        var updated: [LinkImpairments] = []
        for s in sides {
            var i = channels[s].impairments
            try i.apply(parsing: text)
            updated.append(i)
        }
        for (s, i) in zip(sides, updated) { channels[s].impairments = i }
    }

    /// The counters of the direction leaving `node`.
    public func statistics(from node: any SimulatedNode) -> LinkStatistics? {
        side(of: node).map { channels[$0].statistics }
    }

    public func resetStatistics() {
        channels[0].resetStatistics()
        channels[1].resetStatistics()
    }

    /// Adds a tap stage to both directions (see `LinkChannel.addTap`).
    func addTap(_ tap: any PacketStage, at point: TapPoint) {
        for c in channels { c.addTap(tap, at: point) }
    }

    /// `host1 <-> router: host1->router perfect; router->host1 loss 10%`.
    public var description: String {
        "\(name): \(a.name)->\(b.name) \(channels[0].impairments); \(b.name)->\(a.name) \(channels[1].impairments)"
    }
}
