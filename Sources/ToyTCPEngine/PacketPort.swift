import ToyTCPWire

/// The one packet path between a `Stack` and whatever carries its packets: bytes in (with the time they
/// arrived), bytes out, the next deadline, and an ordered chain of `PacketStage`s in between.
///
/// Every driver uses it and nothing else: the simulated host, the event loop on a raw socket, the
/// script networks. They only move bytes and time; none drains the stack its own way, so trace, pcap
/// recording, observers, the crafted-conversation filter and intercept exist once, as stages, and
/// behave the same on every network.
///
/// It lives in the engine module because it is sans-IO like the stack (no socket, thread or clock:
/// time is passed in) and every driver already depends on the engine; a module of its own would add
/// a target and nothing else.
///
/// Use, after every input (`receive`, `transmit(crafted:)`, `handleTimeout`, `release`, a user call on
/// `stack`): drain `pollTransmit` until it returns `false`, then `pollEvent` until `nil`; sleep until
/// `nextDeadline`. With no stage installed the path costs one branch per packet: packets go straight
/// between the stack and the caller's buffer.
///
/// Confined to one thread, like the stack.
public final class PacketPort {
    public let stack: Stack
    /// From the stack (index 0) to the wire; see `PacketStage`.
    public var stages: [any PacketStage] { chain }
    /// Packets a stage holds (intercept), oldest first.
    public var held: [HeldPacket] { parked }

    // Private stored state: the compiler can then check exclusive access statically, and the path
    // with nothing installed costs no runtime access checks.
    private var chain: [any PacketStage] = []
    private var parked: [HeldPacket] = []
    /// No stage, nothing queued: packets go straight between the stack and the caller.
    private var direct = true

    /// A packet parked by a `.hold` verdict: released with `release(_:_:at:)`.
    public struct HeldPacket: Sendable {
        public let id: Int
        public let record: PacketRecord
        /// When it was held (the driver's clock).
        public let since: Instant
        /// The stage the packet goes on to once released.
        let next: Int
    }

    private struct Delayed {
        var due: Instant
        var record: PacketRecord
        var next: Int
    }

    private var delayed: [Delayed] = []
    // No run-time exclusivity checks on these two (see `Stack`); the chain and the held packets keep
    // them, since stages are the user's code and may change the port.
    @exclusivity(unchecked) private var outbox = FIFOQueue<[UInt8]>()
    @exclusivity(unchecked) private var scratch = ByteWriter(capacity: 2048)
    private var nextHeldID = 1

    public init(stack: Stack) {
        self.stack = stack
    }

    // MARK: Stages

    /// Inserts `stage` at `index` (0 is next to the stack); default: at the wire end.
    public func addStage(_ stage: any PacketStage, at index: Int? = nil) {
        let i = min(max(0, index ?? chain.count), chain.count)
        chain.insert(stage, at: i)
        direct = false
    }

    public func removeStage(_ stage: any PacketStage) {
        chain.removeAll { $0 === stage }
        direct = chain.isEmpty && outbox.isEmpty
    }

    // MARK: Inputs

    /// A packet from the wire, arrived at `now`: through the stages (wire end first) to the stack.
    public func receive(_ bytes: UnsafeRawBufferPointer, at now: Instant) {
        if direct {
            stack.handle(packet: bytes, at: now)
            return
        }
        run(PacketRecord(time: now, direction: .inbound, bytes: Array(bytes)), from: chain.count - 1, at: now)
    }

    /// A packet from the wire that reached the host at `arrival` (a link's receive timestamp, e.g.
    /// the kernel's SO_TIMESTAMPNS), handled by the stack at `now`: the stages (trace, record) see when
    /// it arrived, while the stack's clock never goes back to an earlier packet's stamp.
    public func receive(_ bytes: UnsafeRawBufferPointer, arrivedAt arrival: Instant, at now: Instant) {
        if direct {
            stack.handle(packet: bytes, at: now)
            return
        }
        run(PacketRecord(time: arrival, direction: .inbound, bytes: Array(bytes)), from: chain.count - 1, at: now)
    }

    /// A packet from the wire (or crafted and addressed to our own stack: `crafted: true`).
    public func receive(_ bytes: [UInt8], at now: Instant, crafted: Bool = false) {
        if chain.isEmpty {
            bytes.withUnsafeBytes { stack.handle(packet: $0, at: now) }
            return
        }
        run(PacketRecord(time: now, direction: .inbound, bytes: bytes, crafted: crafted), from: chain.count - 1, at: now)
    }

    /// A hand-crafted packet to put on the wire (`inject`): it passes the stages like the stack's own
    /// output (a recorder sees it), marked `crafted`.
    public func transmit(crafted bytes: [UInt8], at now: Instant) {
        run(PacketRecord(time: now, direction: .outbound, bytes: bytes, crafted: true), from: 0, at: now)
    }

    /// The stack's timers, and delayed packets whose time has come.
    public func handleTimeout(at now: Instant) {
        if !delayed.isEmpty {
            var due: [Delayed] = []
            delayed.removeAll { d in
                if d.due <= now { due.append(d); return true }
                return false
            }
            for d in due.sorted(by: { $0.due < $1.due }) { run(d.record, from: d.next, at: now) }
        }
        stack.handleTimeout(at: now)
    }

    /// Lets a held packet go on with `verdict` (`.pass`: from the stage after the one that held it;
    /// `.drop`, `.delay`, `.duplicate`, `.replace` as from a stage). `false` if no packet has that id.
    @discardableResult
    public func release(_ id: Int, _ verdict: PacketVerdict = .pass, at now: Instant) -> Bool {
        guard let i = parked.firstIndex(where: { $0.id == id }) else { return false }
        let h = parked.remove(at: i)
        apply(verdict, to: h.record, next: h.next, at: now, fromRelease: true)
        return true
    }

    // MARK: Outputs

    /// The next packet to put on the wire, appended to `writer`; `false` when there is none now.
    public func pollTransmit(into writer: inout ByteWriter, at now: Instant) -> Bool {
        if direct { return stack.pollTransmit(into: &writer, at: now) }
        if let bytes = takeOutbox() {
            writer.write(contentsOf: bytes)
            return true
        }
        if chain.isEmpty {
            direct = true
            return stack.pollTransmit(into: &writer, at: now)
        }
        while true {
            scratch.bytes.removeAll(keepingCapacity: true)
            guard stack.pollTransmit(into: &scratch, at: now) else { return false }
            run(PacketRecord(time: now, direction: .outbound, bytes: scratch.bytes, reason: stack.lastTransmitReason),
                from: 0, at: now)
            if let bytes = takeOutbox() {
                writer.write(contentsOf: bytes)
                return true
            }
        }
    }

    /// The stack's next event.
    public func pollEvent() -> StackEvent? { stack.pollEvent() }

    /// When `handleTimeout` must next be called: the stack's next timer or the next delayed packet.
    public var nextDeadline: Instant? {
        var next = stack.nextDeadline
        for d in delayed where next.map({ d.due < $0 }) ?? true { next = d.due }
        return next
    }

    // MARK: The chain

    /// Runs `record` through the stages from `index` on (towards the wire when outbound, towards the
    /// stack when inbound), then delivers it at the end of the chain.
    private func run(_ record: PacketRecord, from index: Int, at now: Instant) {
        var record = record
        if let (verdict, next) = walkStages(chain, &record, from: index, step: record.direction == .outbound ? 1 : -1, at: now) {
            apply(verdict, to: record, next: next, at: now)
        } else {
            deliver(record, at: now)
        }
    }

    /// What a verdict does to a packet whose next stage is `next`.
    private func apply(_ verdict: PacketVerdict, to record: PacketRecord, next: Int, at now: Instant,
                       fromRelease: Bool = false) {
        switch verdict {
        case .pass:
            run(record, from: next, at: now)
        case .drop:
            // Only intercept releases with `.drop` (a stage's own drop is a filter and stays silent):
            // every stage hears of it, so an observer that saw it arrive, or would have seen it
            // leave, reports it as dropped.
            guard fromRelease else { return }
            var r = record
            r.fate = .droppedByIntercept
            for stage in chain { stage.dropped(r, at: now) }
        case .hold:
            parked.append(HeldPacket(id: nextHeldID, record: record, since: now, next: next))
            nextHeldID += 1
        case .delay(let due):
            delayed.append(Delayed(due: due, record: record, next: next))
        case .duplicate(let copies):
            // Bounded: a typo in `dup` must not flood the host.
            run(record, from: next, at: now)
            var copy = record
            copy.fate = .duplicate
            for _ in 0..<min(max(0, copies), 1000) { run(copy, from: next, at: now) }
        case .replace(let bytes):
            var r = record
            r.bytes = bytes
            run(r, from: next, at: now)
        }
    }

    private func deliver(_ record: PacketRecord, at now: Instant) {
        switch record.direction {
        case .outbound:
            outbox.append(record.bytes)
            direct = false
        case .inbound: record.bytes.withUnsafeBytes { stack.handle(packet: $0, at: now) }
        }
    }

    private func takeOutbox() -> [UInt8]? { outbox.pop() }
}
