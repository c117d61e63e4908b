import ToyTCPEngine
import ToyTCPLink
import ToyTCPWire

/// One parsed line: what to do and where it was written.
public struct Statement: Sendable {
    public var command: Command
    public var location: SourceLocation
    public var sourceLine: String
    /// A packetdrill-style time at the start of the line (`+0.1 inject …`), if any.
    public var time: StatementTime?

    public init(command: Command, location: SourceLocation, sourceLine: String, time: StatementTime? = nil) {
        self.command = command
        self.location = location
        self.sourceLine = sourceLine
        self.time = time
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
    /// The address, either family.
    public var ip: IPAddress
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) { self.ip = address; self.port = port }
    public init(address: IPv4Address, port: UInt16) { self.init(address: .v4(address), port: port) }
    public init(address: IPv6Address, port: UInt16) { self.init(address: .v6(address), port: port) }
    public init(_ endpoint: IPEndpoint) { self.init(address: endpoint.address, port: endpoint.port) }
    /// The IPv4 address, or `0.0.0.0` for an IPv6 endpoint: for IPv4-only callers written before IPv6
    /// (code that may see IPv6 reads `ip`).
    public var address: IPv4Address {
        get { ip.ipv4 ?? .any }
        set { ip = .v4(newValue) }
    }
    /// `10.0.0.1:80` or `[fd00::1]:80` (Wire's `IPEndpoint` text).
    public var description: String { IPEndpoint(address: ip, port: port).description }
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
    case congestionControl = "cc"
    case ecn, dsack, prr, rack
    case keepalive
    case synFloodDefense = "syn-defense"
    case synAckRetries = "synack-retries"
    case backlog

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
        case .congestionControl: return "congestion control: newreno (RFC 5681/6582) or cubic (RFC 9438)"
        case .ecn: return "ECN (RFC 3168): on/off"
        case .dsack: return "D-SACK (RFC 2883): on/off"
        case .prr: return "proportional rate reduction in recovery (RFC 6937): on/off"
        case .rack: return "RACK time-based loss detection (RFC 8985): on/off"
        case .keepalive: return "keep-alive (RFC 9293 §3.8.4): off, or IDLE,INTERVAL,COUNT (e.g. 10s,1s,3)"
        case .synFloodDefense: return "a full SYN backlog: cookies (RFC 4987 §3.6), recycle (§3.4) or drop"
        case .synAckRetries: return "SYN-ACK retransmissions before a half-open entry is dropped"
        case .backlog: return "SYN backlog of new listeners (half-open + accept queue)"
        }
    }
}

/// A setting of the lab's event loop (`set loop …`, `set loop-priority …`).
public enum LoopSetting: Hashable, Sendable {
    case wait(EventLoop.WaitPolicy)
    /// SCHED_FIFO at this priority, nil: the normal scheduler.
    case realTime(priority: Int32?)
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
    /// `send [NAME] [--urgent] DATA`: with `--urgent` the data is urgent (RFC 9293 §3.8.5, RFC 6093).
    case send(ConnectionRef, PayloadSource, urgent: Bool)
    case recv(ConnectionRef, count: Expr?, within: Duration?)
    case shutdown(ConnectionRef)
    case close(ConnectionRef)
    case abort(ConnectionRef)
    case status(ConnectionRef?)
    case set(StackOption?, value: String?, column: Int)
    /// `set expect strict|any`: how `expect` picks segments (a setting of the script, not the stack).
    case setExpect(strict: Bool)
    /// `set tolerance T`: how far a timed statement's event may be from its time (default 4ms).
    case setTolerance(Duration)
    /// `set numbers relative|absolute`.
    case setNumbers(relative: Bool)
    /// `set crafted keep|feed`: whether the answers to segments crafted from a port our stack does not
    /// use go to our stack (`CraftedConversationStage.feedsStack`).
    case setCrafted(feedsStack: Bool)
    /// `set loop sleep|busy-poll|spin T`, `set loop-priority realtime [N]|normal`: how the lab's event
    /// loop waits and is scheduled (a setting of the loop, not of the stack).
    case setLoop(LoopSetting, column: Int)
    case use(ConnectionRef)
    case inject(SegmentTemplate)
    case expect(SegmentTemplate, within: Duration, name: String?)
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
    /// Intercept and the commands on held segments (InterceptCommand.swift).
    case intercept(InterceptCommand)
    case help(String?)
    /// `host2 "COMMAND" as NAME`: a process in the lab's peer namespace for the script's lifetime.
    case host2(command: String, name: String)
    /// `stats`: the stack's counters.
    case stats
    /// `repeat N [as NAME] {`: opens a block (the script parser folds it into `repeatBlock`).
    case blockOpen(count: Expr, index: String)
    /// `}`: closes the innermost block.
    case blockClose
    /// A `repeat` block: the body runs `count` times with `index` = 0, 1, ….
    case repeatBlock(count: Expr, index: String, body: [Statement])
    case quit
    case empty
}

extension Command {
    var isExpect: Bool {
        if case .expect = self { return true }
        return false
    }
}
