import ToyTCPWire

/// The four numbers that name a connection (RFC 9293 §3.3.1 "socket pair"), from our side.
public struct FourTuple: Hashable, Sendable, CustomStringConvertible {
    public var localAddress: IPv4Address
    public var localPort: UInt16
    public var remoteAddress: IPv4Address
    public var remotePort: UInt16

    public init(localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    public var description: String { "\(localAddress):\(localPort) <-> \(remoteAddress):\(remotePort)" }
}

/// A connection's stable identity inside one `Stack` (never reused while the stack lives).
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: ConnectionID, b: ConnectionID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// A listener's identity inside one `Stack`.
public struct ListenerID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "L\(rawValue)" }
}
