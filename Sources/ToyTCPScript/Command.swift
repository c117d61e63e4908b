import ToyTCPEngine
import ToyTCPWire

/// One parsed line: what to do and where it was written.
public struct Statement: Sendable {
    public var command: Command
    public var location: SourceLocation
    public var sourceLine: String

    public init(command: Command, location: SourceLocation, sourceLine: String) {
        self.command = command
        self.location = location
        self.sourceLine = sourceLine
    }
}

/// An expression with the column it was written at (for errors when it is evaluated).
public typealias Expr = Expression

/// A connection named in a command, or the current one (`nil` name) when the command leaves it out.
public struct ConnectionRef: Hashable, Sendable {
    public var name: String?
    public var column: Int
    public init(name: String?, column: Int) { self.name = name; self.column = column }
}

/// An address and port written `10.0.1.1:7` (or tcpdump's `10.0.1.1.7`).
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16
    public init(address: IPv4Address, port: UInt16) { self.address = address; self.port = port }
    public var description: String { "\(address):\(port)" }
}

/// Bytes to send: written as a string with escapes, hex, a file, or a filler of N bytes.
public enum PayloadSource: Hashable, Sendable {
    case bytes([UInt8])
    /// `@path`: the file's contents, read when the command runs.
    case file(String, column: Int)
    /// `fill=N`: N bytes of a repeating `a…z` pattern (handy to fill a window).
    case fill(Expr)
    /// An expression that evaluates to data (`c.data`, `synack.payload`).
    case expression(Expr)
}

/// A TCP option to put in a crafted segment, in the order written.
public enum OptionSpec: Hashable, Sendable {
    case mss(Expr)
    case windowScale(Expr)
    case sackPermitted
    case timestamps(Expr, Expr)
    case sack([SACKBlockSpec])
    case nop
    case eol
    /// `opt=HEX`: raw option bytes, copied as they are.
    case raw([UInt8])
}

/// One SACK block to craft (`sack=L:R,L:R`), edges as expressions.
public struct SACKBlockSpec: Hashable, Sendable {
    public var left: Expr
    public var right: Expr
    public init(left: Expr, right: Expr) { self.left = left; self.right = right }
}

/// Where a crafted or expected segment travels.
public enum Route: Hashable, Sendable {
    /// Explicit `SRC > DST`.
    case explicit(source: Endpoint, destination: Endpoint)
    /// Along a connection of our stack: `on c` is from us to the peer, `to c` from the peer to us.
    case connection(ConnectionRef, towardUs: Bool)
    /// Not said: the current connection (REPL), us → peer for `inject`.
    case unspecified
}

/// A segment to craft and send (`inject`): every field may be an expression over live variables.
public struct CraftSpec: Hashable, Sendable {
    public var flags: TCPFlags
    public var route: Route = .unspecified
    public var seq: Expr?
    public var ack: Expr?
    public var window: Expr?
    public var urgent: Expr?
    public var options: [OptionSpec] = []
    public var payload: PayloadSource?
    /// `csum=`: a checksum to write instead of the right one.
    public var checksum: Expr?
    public var ttl: Expr?
    /// `count=`: how many copies to send (bounded by `Interpreter.maximumCount`).
    public var count: Expr?
    /// `rate=`: segments per second for `count` copies; as fast as possible when absent.
    public var rate: Expr?

    public init(flags: TCPFlags) { self.flags = flags }
}

/// A `set` option of the stack (StackConfiguration).
public enum StackOption: String, Hashable, Sendable, CaseIterable {
    case mss, window, wscale, sack, timestamps, nagle, delack
    case delackTimeout = "delack-timeout"
    case rtoInitial = "rto-initial"
    case rtoMin = "rto-min"
    case rtoMax = "rto-max"
    case synRetries = "syn-retries"
    case sendBuffer = "sndbuf"
    case initialWindow = "initcwnd"

    /// What the option does, and the values it takes (for `help set`).
    public var summary: String {
        switch self {
        case .mss: return "MSS we announce (bytes, 88...65495)"
        case .window: return "receive buffer = largest window we offer (bytes)"
        case .wscale: return "window scaling: on, off, or a fixed shift 0...14"
        case .sack: return "SACK (RFC 2018): on/off"
        case .timestamps: return "timestamps (RFC 7323): on/off"
        case .nagle: return "Nagle's algorithm: on/off"
        case .delack: return "delayed ACKs: on/off"
        case .delackTimeout: return "delayed-ACK timeout (e.g. 40ms)"
        case .rtoInitial: return "initial RTO (e.g. 1s)"
        case .rtoMin: return "RTO lower bound (e.g. 200ms)"
        case .rtoMax: return "RTO upper bound (e.g. 60s)"
        case .synRetries: return "SYN retransmissions before connect fails"
        case .sendBuffer: return "send buffer (bytes)"
        case .initialWindow: return "initial congestion window (segments)"
        }
    }
}

/// A peer application started on the simulated network.
public enum PeerKind: String, Hashable, Sendable, CaseIterable {
    /// Echoes every byte back.
    case echo
    /// Reads and drops everything.
    case discard
    /// Sends N bytes to whoever connects, then closes.
    case send
}

/// Everything the shell and scripts can do. One implementation serves the REPL and `.ttcp` files.
public enum Command: Sendable {
    case connect(remote: Endpoint, local: Endpoint?, localPortOnly: UInt16?, within: Duration?, name: String?)
    case listen(local: Endpoint?, port: UInt16, name: String?)
    case accept(listener: ConnectionRef, within: Duration?, name: String?)
    case send(ConnectionRef, PayloadSource)
    case recv(ConnectionRef, count: Expr?, within: Duration?)
    case shutdown(ConnectionRef)
    case close(ConnectionRef)
    case abort(ConnectionRef)
    case status(ConnectionRef?)
    case set(StackOption?, value: String?, column: Int)
    case use(ConnectionRef)
    case inject(CraftSpec)
    case expect(SegmentPattern, within: Duration, name: String?)
    case wait(ConnectionRef, TCPState, within: Duration)
    case trace(Bool)
    case show(String?, column: Int)
    case record(String?)
    case let_(String, Expr)
    case sleep(Duration)
    case assert(Expr, text: String)
    case print(Expr)
    /// A peer server on `endpoint`, or (with `connectTo`) a client from `endpoint.address` to it.
    case peer(PeerKind, Endpoint, count: Int?, connectTo: Endpoint?)
    /// `ladder [NAME]`: the arrow diagram of a connection's segments so far (Interpreter+Pictures).
    case ladder(ConnectionRef)
    /// `graph [NAME] --out FILE [--html] [--from T] [--to T]`: its time-sequence graph and variable plots.
    case graph(ConnectionRef, path: String, html: Bool, from: Duration?, to: Duration?)
    case help(String?)
    case quit
    case empty
}
