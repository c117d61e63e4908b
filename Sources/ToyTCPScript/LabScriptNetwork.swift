#if canImport(Glibc)
import Glibc
#endif
import ToyTCPEngine
import ToyTCPLink
import ToyTCPWire

/// The kernel lab for scripts and the shell: our stack on a raw socket (ToyTCPLink's `RawSocketLink`)
/// inside a network namespace, in wall-clock time.
///
/// The interpreter's thread drives the stack itself (a small poll loop: packets in, timers, packets
/// out), rather than through `EventLoop`'s thread: the shell needs the stack between commands, every
/// packet in both directions, and one thing `EventLoop` cannot do, keep the answers to hand-crafted
/// segments away from the stack, which would reset them (a SYN-ACK to a port we crafted a SYN from is
/// a stray to the stack, RFC 9293 §3.10.7.1). Every wait is bounded by its deadline.
public final class LabScriptNetwork: ScriptNetwork {
    public let namespace: String?
    public let stack: Stack
    public let localAddress: IPv4Address
    private let addresses: [IPv4Address]
    private let link: RawSocketLink
    private var observations: [Observation] = []
    private let buffer: UnsafeMutableRawBufferPointer
    /// Local (address, port) pairs that crafted segments came from, whose answers the stack must not see.
    private var rawEndpoints: Set<UInt64> = []
    /// Source endpoints already classified (a flood checks its source once, not per copy).
    private var checkedEndpoints: Set<UInt64> = []
    private var sendErrors = 0

    /// Opens the lab network: enters `namespace` (if given) on the calling thread, then opens the raw
    /// socket there. Errors say what to do (run as root, bring the lab up).
    public init(namespace: String?, configuration: StackConfiguration = StackConfiguration()) throws(ScriptError) {
        let loc = SourceLocation(file: "<lab>", line: 0, column: 0)
        self.namespace = namespace
        do throws(LinkError) {
            if let namespace { try NetworkNamespace.enter(namespace) }
            let usable = try InterfaceAddress.usable()
            guard let first = usable.first else {
                throw LinkError.addressNotOnInterface(.any, available: [])
            }
            addresses = usable
            localAddress = first
            link = try RawSocketLink()
        } catch {
            throw ScriptError("\(error) (run as root with the lab up: scripts/lab-up.sh; or use --sim)", at: loc)
        }
        var config = configuration
        // A fresh secret per run: ISNs (RFC 6528) and ephemeral ports (RFC 6056) unpredictable across runs.
        config.secret = UInt64.random(in: .min ... .max)
        stack = Stack(addresses: addresses, configuration: config)
        buffer = .allocate(byteCount: 65_536 + 1, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        link.close()
    }

    public var kind: NetworkKind { .lab(namespace: namespace) }
    public var label: String { namespace ?? "lab" }
    public var banner: String {
        "toytcp shell on the kernel lab\(namespace.map { " in namespace \($0)" } ?? ""), \(addresses.map(\.description).joined(separator: ", ")) (wall-clock time); "
            + "for the simulated network run with --sim"
    }
    public var rawAddress: IPv4Address? { nil }

    /// Only the lab's subnets (and loopback): crafting never leaves the namespaces we made.
    public func mayCraft(to address: IPv4Address) -> Bool {
        address.isIn(network: IPv4Address(10, 0, 0, 0), prefixLength: 24)
            || address.isIn(network: IPv4Address(10, 0, 1, 0), prefixLength: 24)
            || address.isIn(network: IPv4Address(127, 0, 0, 0), prefixLength: 8)
    }

    public var now: Instant { monotonicNow() }

    private static func key(_ a: IPv4Address, _ port: UInt16) -> UInt64 { UInt64(a.rawValue) << 16 | UInt64(port) }

    public func flush() {
        let t = now
        var budget = 100_000
        while budget > 0, let packet = stack.pollTransmit(at: t) {
            budget -= 1
            let bytes = packet.bytes()
            send(bytes)
            observations.append(.packet(ObservedPacket(time: t, direction: .outbound, bytes: bytes)))
        }
        while let e = stack.pollEvent() { observations.append(.event(e, t)) }
    }

    private func send(_ bytes: [UInt8]) {
        let result = bytes.withUnsafeBytes { buf in Result { () throws(LinkError) in try link.send(buf) } }
        switch result {
        case .success(.done): break
        case .success(.wouldBlock):
            // The socket's queue is full: wait (bounded) until it drains, then try once more.
            var p = pollfd(fd: link.descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, 100)
            _ = bytes.withUnsafeBytes { try? link.send($0) }
        case .failure: sendErrors += 1
        }
    }

    public func transmit(_ bytes: [UInt8], observe: Bool) throws(ScriptError) {
        if bytes.count >= 24 {
            let src = IPv4Address(rawValue: UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15]))
            let ihl = Int(bytes[0] & 0x0F) * 4
            if bytes.count >= ihl + 2 {
                let port = UInt16(bytes[ihl]) << 8 | UInt16(bytes[ihl + 1])
                let key = Self.key(src, port)
                // A crafted segment from a local port no connection of ours uses: its answers are
                // for the person crafting, not for the stack.
                if !rawEndpoints.contains(key), !checkedEndpoints.contains(key) {
                    checkedEndpoints.insert(key)
                    if addresses.contains(src), stack.connectionIDs.allSatisfy({ stack.snapshot($0)?.tuple.localPort != port }) {
                        rawEndpoints.insert(key)
                    }
                }
            }
        }
        send(bytes)
        if observe { observations.append(.packet(ObservedPacket(time: now, direction: .outbound, bytes: bytes))) }
    }

    public func deliverLocally(_ bytes: [UInt8]) {
        let t = now
        observations.append(.packet(ObservedPacket(time: t, direction: .inbound, bytes: bytes)))
        bytes.withUnsafeBytes { stack.handle(packet: $0, at: t) }
        flush()
    }

    /// Reads every waiting packet: each one for our addresses is observed, and handed to the stack
    /// unless it answers a crafted segment.
    private func receiveAll() {
        for _ in 0..<4096 {
            let r = Result { () throws(LinkError) in try link.receive(into: buffer) }
            guard case .success(.done(let n)) = r, n > 0 else { return }
            let length = min(n, buffer.count - 1)
            let packet = UnsafeRawBufferPointer(rebasing: buffer[0..<length])
            guard length >= 20 else { continue }
            let dst = IPv4Address(rawValue: UInt32(packet[16]) << 24 | UInt32(packet[17]) << 16 | UInt32(packet[18]) << 8 | UInt32(packet[19]))
            guard addresses.contains(dst) else { continue }
            let t = now
            observations.append(.packet(ObservedPacket(time: t, direction: .inbound, bytes: Array(packet))))
            let ihl = Int(packet[0] & 0x0F) * 4
            if length >= ihl + 4 {
                let port = UInt16(packet[ihl + 2]) << 8 | UInt16(packet[ihl + 3])
                if rawEndpoints.contains(Self.key(dst, port)) { continue }
            }
            stack.handle(packet: packet, at: t)
        }
    }

    public func run(until deadline: Instant, interrupted: () -> Bool, _ condition: () -> Bool) -> WaitOutcome {
        while true {
            receiveAll()
            let t = now
            if let d = stack.nextDeadline, d <= t { stack.handleTimeout(at: t) }
            flush()
            if condition() { return .satisfied }
            if interrupted() { return .interrupted }
            let t2 = now
            if t2 >= deadline { return .timedOut }
            // Sleep until a packet, the next timer, the deadline, or 50 ms (to notice Ctrl-C).
            var wake = min(deadline, t2 + .milliseconds(50))
            if let d = stack.nextDeadline, d < wake { wake = d }
            let ms = max(0, Int32((wake - t2).nanosecondsClamped / 1_000_000))
            var p = pollfd(fd: link.descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, ms == 0 && wake > t2 ? 1 : ms)
        }
    }

    public func takeObservations() -> [Observation] {
        defer { observations.removeAll(keepingCapacity: true) }
        return observations
    }

    public func startPeer(_ kind: PeerKind, at endpoint: Endpoint, count: Int?, connectTo: Endpoint?) throws(ScriptError) -> String {
        throw ScriptError("peer runs on the simulated network only; in the lab start a real one, e.g. ip netns exec host2 nc -l \(endpoint.port)",
                          at: SourceLocation(file: "<lab>", line: 0, column: 0))
    }

    public func shutdown() {
        let t = now
        for id in stack.connectionIDs {
            if let s = stack.snapshot(id), s.state == .synSent || s.state == .synReceived { stack.abort(id, at: t) }
            else { try? stack.close(id, at: t) }
        }
        flush()
        _ = run(until: now + .seconds(2), interrupted: { false }) {
            self.stack.connectionIDs.allSatisfy {
                let st = self.stack.snapshot($0)?.state
                return st == nil || st == .timeWait || st == .finWait2 || st == .closed
            }
        }
    }
}
