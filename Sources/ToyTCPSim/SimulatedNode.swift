import ToyTCPWire

/// A host or a router of a `SimulatedNetwork`: something with a name and addresses that links join.
public protocol SimulatedNode: AnyObject, CustomStringConvertible {
    /// Unique within the network (`host1`, `router`).
    var name: String { get }
    /// The addresses the node owns, both families.
    var localAddresses: [IPAddress] { get }
    /// Position in the network's node table (routing uses it).
    var nodeIndex: Int { get }
}

extension SimulatedNode {
    /// The IPv4 ones among `localAddresses`.
    public var addresses: [IPv4Address] { localAddresses.compactMap(\.ipv4) }

    /// The IPv6 ones among `localAddresses`.
    public var ipv6Addresses: [IPv6Address] {
        localAddresses.compactMap { if case .v6(let a) = $0 { return a } else { return nil } }
    }

    public var description: String {
        "\(name) (\(localAddresses.map(\.description).joined(separator: ", ")))"
    }
}
