import ToyTCPWire

/// A host or a router of a `SimulatedNetwork`: something with a name and addresses that links join.
public protocol SimulatedNode: AnyObject, CustomStringConvertible {
    /// Unique within the network (`host1`, `router`).
    var name: String { get }
    /// The IPv4 addresses the node owns.
    var addresses: [IPv4Address] { get }
    /// Position in the network's node table (routing uses it).
    var nodeIndex: Int { get }
}

extension SimulatedNode {
    public var description: String {
        "\(name) (\(addresses.map(\.description).joined(separator: ", ")))"
    }
}
