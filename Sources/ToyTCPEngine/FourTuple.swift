import ToyTCPWire

/// The four numbers that name a connection (RFC 9293 §3.3.1 "socket pair"), from our side, in either
/// family: both ends are IPv4 or both are IPv6 (a connection never mixes families; an IPv4-mapped IPv6
/// address, RFC 4291 §2.5.5.2, is an IPv6 address here, as it is on the wire).
public struct FourTuple: Hashable, Sendable, CustomStringConvertible {
    public var local: IPEndpoint
    public var remote: IPEndpoint

    public init(local: IPEndpoint, remote: IPEndpoint) {
        self.local = local
        self.remote = remote
    }

    public init(localAddress: IPAddress, localPort: UInt16, remoteAddress: IPAddress, remotePort: UInt16) {
        self.init(local: IPEndpoint(address: localAddress, port: localPort),
                  remote: IPEndpoint(address: remoteAddress, port: remotePort))
    }

    /// The IPv4 form kept for the callers written before IPv6 (sim, link, scripts, benches).
    public init(localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16) {
        self.init(localAddress: .v4(localAddress), localPort: localPort,
                  remoteAddress: .v4(remoteAddress), remotePort: remotePort)
    }

    public var localPort: UInt16 {
        get { local.port }
        set { local.port = newValue }
    }

    public var remotePort: UInt16 {
        get { remote.port }
        set { remote.port = newValue }
    }

    /// Whether the connection runs over IPv6.
    public var isIPv6: Bool { local.address.isIPv6 }

    /// The local address if it is IPv4, else `0.0.0.0`: for IPv4-only callers written before IPv6.
    /// Code that may see IPv6 connections reads `local.address`.
    public var localAddress: IPv4Address { local.address.ipv4 ?? .any }

    /// The remote address if it is IPv4, else `0.0.0.0` (see `localAddress`).
    public var remoteAddress: IPv4Address { remote.address.ipv4 ?? .any }

    /// `10.0.0.1:80 <-> 10.0.1.1:40000` or `[fd00::1]:80 <-> [fd00:0:0:2::1]:40000`.
    public var description: String { "\(local) <-> \(remote)" }
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
