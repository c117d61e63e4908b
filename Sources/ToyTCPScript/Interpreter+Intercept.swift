import ToyTCPDecode
import ToyTCPEngine
import ToyTCPWire

/// Intercept's state in a session: the stage (installed on the port the first time) and the held
/// segment the commands act on (the one `expect held` bound, else the oldest).
final class Interception {
    var stage: InterceptStage?
    var current: Int?
    /// Breakpoints by number, in the order set; expression ones keep their last value (edge-triggered).
    var breaks: [(number: Int, condition: BreakCondition, last: Bool)] = []
    var nextBreak = 1
    var hasExpressionBreaks = false
}

/// `intercept`, `step`, `drop`, `delay`, `dup`, `edit`, `continue`, `expect held`: step a live TCP like
/// a debugger. The stage holds matching segments in the port (`PacketPort.held`); these commands
/// release them with a verdict. On the simulated network virtual time stands still while a segment
/// is held; on the lab the stack's timers keep running (the prompt shows what is held, for how long).
extension Interpreter {
    func intercept(_ command: InterceptCommand, _ ctx: inout Context) throws(ScriptError) {
        // What was seen before this command is old for the next line's `expect`; what the command
        // causes (a released segment going out, the stack's answer to one let in) is new.
        absorb()
        quietSerial = serialCounter
        switch command {
        case let .on(direction, template, connection):
            let stage = installInterceptStage()
            var resolved: ResolvedTemplate? = nil
            if let template {
                var r = try resolve(template, &ctx)
                if case .unspecified = template.route {
                    r.direction = template.direction
                } else {
                    try resolveAddresses(template, &r, &ctx)
                    if template.direction == nil { r.direction = nil; r.eitherWay = true }
                }
                resolved = r
            }
            var pair: (Endpoint, Endpoint)? = nil
            if let connection {
                let e = try entry(connection, &ctx)
                guard let s = e.snapshot else { throw ctx.error("\(e.name) has no addresses yet", connection.column) }
                pair = (Endpoint(s.tuple.local),
                        Endpoint(s.tuple.remote))
            }
            network.withPort { _, _ in
                stage.direction = direction
                stage.template = resolved
                stage.endpoints = pair
                stage.enabled = true
            }
            let what = direction.map { $0 == .inbound ? "arriving" : "leaving" } ?? "in and out"
            output("intercepting segments \(what)\(connection?.name.map { " on \($0)" } ?? "")\(template != nil ? " that match" : "")")
        case .off:
            if let stage = interception.stage { network.withPort { _, _ in stage.enabled = false; stage.stopped = false } }
            let n = releaseAll()
            output("intercept off\(n > 0 ? "; \(n) held segment\(n == 1 ? "" : "s") let go" : "")")
        case .step:
            let h = try heldTarget(&ctx)
            release(h, .pass, "let go")
        case .drop:
            let h = try heldTarget(&ctx)
            release(h, .drop, "dropped")
        case .delay(let d):
            let h = try heldTarget(&ctx)
            release(h, .delay(until: network.now + d), "delayed \(format(d))")
        case .dup(let n):
            let h = try heldTarget(&ctx)
            release(h, .duplicate(n), "sent with \(n) cop\(n == 1 ? "y" : "ies")")
        case .edit(let change):
            let h = try heldTarget(&ctx)
            let bytes = try edited(h.record.bytes, change, &ctx)
            release(h, .replace(bytes), "edited to " + TcpdumpLine.absoluteText(bytes))
        case .continue_:
            if let stage = interception.stage { network.withPort { _, _ in stage.stopped = false } }
            let n = releaseAll()
            output("continue: \(n) held segment\(n == 1 ? "" : "s") let go")
        case .breakpoint(let condition):
            let stage = installInterceptStage()
            let n = interception.nextBreak
            interception.nextBreak += 1
            var initial = false
            if case .expression(let e, _) = condition {
                // Edge-triggered: a condition already true fires when it next becomes true.
                initial = (try? e.evaluate(in: self, location: ctx.statement.location, sourceLine: ""))?.truthValue ?? false
                interception.hasExpressionBreaks = true
                // Evaluated where the stack runs before every packet the stage sees, so a condition
                // true only between two packets of one batch (the lab's loop reads many at once)
                // still stops the session; the session also checks after each batch it absorbs.
                let names = connections.mapValues(\.id)
                network.withPort { port, _ in
                    stage.expressionBreaks.append(.init(number: n, expression: e,
                                                        scope: StackSnapshotScope(stack: port.stack, connections: names),
                                                        last: initial))
                }
            } else {
                network.withPort { _, _ in stage.segmentBreaks.append((n, condition)) }
            }
            interception.breaks.append((n, condition, initial))
            output("break \(n): \(condition)")
        case .listBreaks:
            if interception.breaks.isEmpty { output("no breakpoints (break CONDITION sets one)") }
            for b in interception.breaks { output("\(b.number): \(b.condition)") }
        case let .link(direction, text):
            do {
                output(try network.link(direction, text))
            } catch {
                throw ctx.error(error.message)
            }
        case .deleteBreak(let n):
            guard let i = interception.breaks.firstIndex(where: { $0.number == n }) else {
                throw ctx.error("no breakpoint \(n) (breaks lists them)")
            }
            interception.breaks.remove(at: i)
            interception.hasExpressionBreaks = interception.breaks.contains { if case .expression = $0.condition { true } else { false } }
            if let stage = interception.stage {
                network.withPort { _, _ in
                    stage.segmentBreaks.removeAll { $0.number == n }
                    stage.expressionBreaks.removeAll { $0.number == n }
                }
            }
            output("deleted breakpoint \(n)")
        case let .expectHeld(template, within, name):
            try expectHeld(template, within, name, &ctx)
        }
        network.flush()
    }

    /// The stage, installed between the crafted-conversation rule and the observer the first time.
    func installInterceptStage() -> InterceptStage {
        if let stage = interception.stage { return stage }
        let stage = InterceptStage(notify: { [weak network] in network?.observe(.held($0, breakpoint: $1)) },
                                   notifyBreak: { [weak network] in network?.observe(.breakpoint($0, after: $1)) })
        network.withPort { port, _ in port.addStage(stage, at: min(1, port.stages.count)) }
        interception.stage = stage
        return stage
    }

    /// Prints a newly held segment with why our stack sent it, and makes it `LAST` for `show`.
    func announceHeld(_ p: PacketRecord, breakpoint: Int?) {
        let c = Captured(observed: p, packet: IPPacket.parseForMatching(p.bytes), serial: serialCounter)
        last = c
        if let n = breakpoint, let b = interception.breaks.first(where: { $0.number == n }) {
            output("break \(n): \(b.condition)")
        }
        let why = p.reason.map { ", \($0)" } ?? ""
        output("held \(p.direction == .outbound ? "out" : "in ") \(TcpdumpLine.absoluteText(p.bytes))\(why)"
               + " (step, drop, delay T, dup [N], edit FIELD=V, continue)")
    }

    /// The held segment a command acts on: the one `expect held` bound if still held, else the oldest.
    func heldTarget(_ ctx: inout Context) throws(ScriptError) -> PacketPort.HeldPacket {
        let held = network.withPort { port, _ in port.held }
        if let id = interception.current, let h = held.first(where: { $0.id == id }) { return h }
        guard let h = held.first else {
            throw ctx.error("nothing is held (intercept on … holds segments; expect held waits for one)")
        }
        return h
    }

    func release(_ h: PacketPort.HeldPacket, _ verdict: PacketVerdict, _ what: String) {
        network.withPort { port, now in _ = port.release(h.id, verdict, at: now) }
        if interception.current == h.id { interception.current = nil }
        output("\(what): \(TcpdumpLine.absoluteText(h.record.bytes))")
    }

    /// Lets every held segment go, oldest first; returns how many.
    func releaseAll() -> Int {
        interception.current = nil
        return network.withPort { port, now in
            let ids = port.held.map(\.id)
            for id in ids { port.release(id, .pass, at: now) }
            return ids.count
        }
    }

    /// The held packet with the fields of `change` written over it (options kept unless given).
    func edited(_ bytes: [UInt8], _ change: HeldEdit, _ ctx: inout Context) throws(ScriptError) -> [UInt8] {
        guard let base = try? IPPacket.parse(bytes) else { throw ctx.error("the held packet does not parse; it can only go as it is") }
        var r = try resolve(change.template, &ctx)
        var flags = base.segment.flags
        flags.formUnion(change.setFlags)
        flags.subtract(change.clearFlags)
        r.flags = flags
        if r.options.isEmpty && !r.noOptions {
            var w = ByteWriter(capacity: 40)
            for o in base.segment.options { o.emit(into: &w) }
            w.write(contentsOf: base.segment.optionPadding)
            if !w.bytes.isEmpty { r.options = [.raw(w.bytes)] }
        }
        do {
            return try r.bytes(base: base)
        } catch {
            throw ctx.error("edit: \(error.message)")
        }
    }

    /// `expect held TEMPLATE [within T] [as NAME]`: waits until a segment that matches is held, and
    /// makes it the one `step`, `drop`, … act on.
    func expectHeld(_ t: SegmentTemplate, _ within: Duration, _ name: String?, _ ctx: inout Context) throws(ScriptError) {
        guard interception.stage != nil else { throw ctx.error("expect held needs intercept on first") }
        var r = try resolve(t, &ctx)
        if case .unspecified = t.route { r.direction = t.direction } else { try resolveAddresses(t, &r, &ctx) }
        let template = r
        var found: PacketPort.HeldPacket?
        func scan() -> Bool {
            let held = network.withPort { port, _ in port.held }
            found = held.first { h in
                guard let p = IPPacket.parseForMatching(h.record.bytes) else { return false }
                return template.isCandidate(p, direction: h.record.direction) && template.mismatches(p).isEmpty
            }
            return found != nil
        }
        if !scan() { _ = wait(for: within) { scan() } }
        guard let h = found else {
            let held = network.withPort { port, _ in port.held }
            var err = ctx.error("expected a held segment like " + r.tcpdumpLine)
            err.showsColumn = false
            err.details = held.isEmpty ? ["nothing was held within \(format(within))"]
                : held.map { "held: " + TcpdumpLine.absoluteText($0.record.bytes) }
            throw err
        }
        interception.current = h.id
        let c = Captured(observed: h.record, packet: IPPacket.parseForMatching(h.record.bytes), serial: serialCounter)
        if let name { segments[name] = c }
        last = c
    }

    /// For the prompt: how many segments are held and for how long the oldest has been (nil: none).
    public var heldSummary: String? {
        guard interception.stage != nil else { return nil }
        let (count, since) = network.withPort { port, _ in (port.held.count, port.held.first?.since) }
        guard count > 0, let since else { return nil }
        return "held \(count) for \(format(network.now - since))"
    }

    /// An expression breakpoint the stage saw become true (before a packet, where the stack runs).
    func announceBreak(_ n: Int, after: PacketRecord?) {
        guard let i = interception.breaks.firstIndex(where: { $0.number == n }),
              case .expression(_, let text) = interception.breaks[i].condition else { return }
        interception.breaks[i].last = true
        let what = after.map { " (after " + TcpdumpLine.absoluteText($0.bytes) + ")" } ?? ""
        output("break \(n): \(text)\(what); segments are held until continue")
    }

    /// Evaluates the expression breakpoints (after the packets and events just absorbed): the
    /// fallback for conditions the stage cannot evaluate (names the stack does not know) or that
    /// became true after the last packet. One that became true stops the session: every segment is
    /// held from now on, until `continue`. One the stage already saw true is left to it.
    func checkBreakpoints() {
        let location = SourceLocation(file: "<break>", line: 0, column: 1)
        for i in interception.breaks.indices {
            guard case .expression(let e, let text) = interception.breaks[i].condition else { continue }
            let now = (try? e.evaluate(in: self, location: location, sourceLine: ""))?.truthValue ?? false
            defer { interception.breaks[i].last = now }
            guard now, !interception.breaks[i].last, let stage = interception.stage else { continue }
            let n = interception.breaks[i].number
            let stageSawIt = network.withPort { _, _ -> Bool in
                if let j = stage.expressionBreaks.firstIndex(where: { $0.number == n }) {
                    if stage.expressionBreaks[j].last { return true }
                    stage.expressionBreaks[j].last = true
                }
                stage.stopped = true
                return false
            }
            if stageSawIt { continue }
            let after = last.map { " (after " + TcpdumpLine.absoluteText($0.observed.bytes) + ")" } ?? ""
            output("break \(n): \(text)\(after); segments are held until continue")
        }
    }
}
