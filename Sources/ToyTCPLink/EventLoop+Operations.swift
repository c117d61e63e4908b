import ToyTCPEngine

/// What a waiting call waits for: any event of one connection, of one listener, or of the whole stack.
enum WaitKey: Hashable {
    case connection(ConnectionID)
    case listener(ListenerID)
    case anyEvent
}

/// One step of a call run on the loop: finished (it delivered its result), or waiting for an event.
enum OperationStep {
    case finished
    case wait(WaitKey)
}

/// A call that runs on the loop thread, possibly several times: once when it arrives, then again each
/// time an event arrives for what it waits on, until it finishes, its deadline passes, or the loop stops.
///
/// This is how the blocking and async API is built: `send` of a large buffer is one operation that
/// queues what fits and waits for `writable`; `receive` waits for `readable` or `peerClosed`. Touched
/// only by whoever holds the loop (a subclass's own state says how it is shared: `BlockingCall`).
///
/// A subclass (`BlockingCall`, `CompletionCall`) sets `step` in its initializer, where its type is
/// concrete: the closure is compiled for it, so the loop drives calls of every result type without
/// generic code at run time (a generic override here looked up `Result<T, Error>` and `Step<T>`
/// metadata in the runtime's tables on every attempt, about 4,000 instructions a connect). One object
/// and one closure per call: separate closures, a waiter and an operation cost about 1,000
/// instructions a call more (callgrind, README "The lab at kernel speed").
class ParkedOperation: @unchecked Sendable {
    /// What the loop asks of a call.
    enum Input {
        /// Try again (the first time, or after an event for what it waits on).
        case attempt
        /// End with this error (deadline passed, loop stopped), undoing what it started.
        case fail(any Error)
        /// End with this error without having run (the loop had stopped).
        case refuse(any Error)
    }

    let deadline: Instant?
    /// The call's reaction to `Input`; `.finished` once it has delivered its result.
    var step: (EventLoop, Instant, Input) -> OperationStep = { _, _, _ in .finished }

    init(timeout: Duration?) { deadline = timeout.map { monotonicNow() + $0 } }

    func attempt(_ loop: EventLoop, at now: Instant) -> OperationStep { step(loop, now, .attempt) }

    func fail(_ error: any Error, on loop: EventLoop) { _ = step(loop, monotonicNow(), .fail(error)) }
}

/// The part of a step every call shares: runs `body` once and hands a value or what it threw to
/// `deliver`; or, for `.fail`, undoes what the call started (`onAbandon`) and delivers the error.
@inline(__always)
func callStep<T>(_ input: ParkedOperation.Input, _ loop: EventLoop, _ now: Instant,
                 body: (EventLoop, Instant) throws -> Step<T>, onAbandon: (@Sendable (EventLoop) -> Void)?,
                 deliver: (Result<T, any Error>) -> Void) -> OperationStep {
    switch input {
    case .attempt:
        do {
            switch try body(loop, now) {
            case .done(let value):
                loop.admitListenerPorts()
                deliver(.success(value))
                return .finished
            case .wait(let key):
                return .wait(key)
            }
        } catch {
            deliver(.failure(error))
            return .finished
        }
    case .fail(let error):
        onAbandon?(loop)
        deliver(.failure(error))
        return .finished
    case .refuse(let error):
        deliver(.failure(error))
        return .finished
    }
}

/// A call whose result goes to `completion`, on the loop thread (the async API, `connect(…onLoop:)`).
final class CompletionCall<T: Sendable>: ParkedOperation, @unchecked Sendable {
    init(timeout: Duration?, onAbandon: (@Sendable (EventLoop) -> Void)?,
         body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>,
         completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        super.init(timeout: timeout)
        step = { loop, now, input in
            callStep(input, loop, now, body: body, onAbandon: onAbandon, deliver: completion)
        }
    }
}

extension EventLoop {
    /// Runs `call` on the loop until it delivers its result: a value, the error its body threw, or
    /// `EngineError.timedOut` at its deadline. With `inline`, an idle loop lets the calling thread make
    /// the first attempt itself (`runInline`): for a caller that waits for the result anyway.
    func perform(_ call: ParkedOperation, inline: Bool = false) {
        if inline && runInline({ loop, now in loop.run(call, at: now) }) { return }
        if !submit({ loop in loop.run(call, at: monotonicNow()) }) {
            _ = call.step(self, monotonicNow(), .refuse(EngineError.aborted))
        }
    }

    /// Runs an operation once; parks it if it waits.
    func run(_ operation: ParkedOperation, at now: Instant) {
        guard running else { operation.fail(EngineError.aborted, on: self); return }
        switch operation.attempt(self, at: now) {
        case .finished:
            return
        case .wait(let key):
            parked[key, default: []].append(operation)
            if let deadline = operation.deadline {
                parkedWithDeadline += 1
                earliestOperationDeadline = earliestOperationDeadline.map { min($0, deadline) } ?? deadline
            }
        }
    }

    /// Takes the engine's events: remembers how connections end, hands each event to the observer, and
    /// notes which waiting operations to run again. A key is looked up once for a run of events of the
    /// same connection (a SYN-ACK brings four or five), `.anyEvent` once for the whole round, and no key
    /// at all when nothing waits (a bulk transfer's ACKs).
    func recordEvents(at now: Instant) {
        var last: WaitKey? = nil
        var sawEvent = false
        while let event = port.pollEvent() {
            sawEvent = true
            let key: WaitKey
            switch event {
            case .connection(let id, let connectionEvent):
                switch connectionEvent {
                case .failed(let error): endings.remember(.failed(error), for: id)
                case .closed: if endings[id] == nil { endings.remember(.closed, for: id) }
                default: break
                }
                key = .connection(id)
            case .incoming(let listener):
                key = .listener(listener)
            }
            if key != last, !parked.isEmpty, parked[key] != nil { woken.insert(key) }
            last = key
            eventObserver?(event, now)
        }
        if sawEvent, !parked.isEmpty, parked[.anyEvent] != nil { woken.insert(.anyEvent) }
    }

    /// Runs again the operations whose keys saw an event.
    func resumeWokenOperations(at now: Instant) {
        // Bounded: an operation that finishes may cause events (a send's data goes out on the next
        // flush, not here), so one pass over the keys woken so far is enough.
        // The keys move to a spare set (whose storage is kept) rather than being copied: a copy would
        // allocate a new set each round.
        swap(&woken, &wokenInProgress)
        defer { wokenInProgress.removeAll(keepingCapacity: true) }
        for key in wokenInProgress {
            guard let operations = parked.removeValue(forKey: key) else { continue }
            for operation in operations {
                if operation.deadline != nil { parkedWithDeadline -= 1 }
                run(operation, at: now)
            }
        }
    }

    /// Fails the operations whose deadline has passed; returns the earliest deadline still ahead.
    func expireOperations(at now: Instant) -> Instant? {
        var earliest: Instant? = nil
        for (key, operations) in parked where operations.contains(where: { $0.deadline != nil }) {
            var kept: [ParkedOperation] = []
            for operation in operations {
                if let deadline = operation.deadline {
                    if deadline <= now {
                        parkedWithDeadline -= 1
                        operation.fail(EngineError.timedOut, on: self)
                        continue
                    }
                    earliest = earliest.map { min($0, deadline) } ?? deadline
                }
                kept.append(operation)
            }
            parked[key] = kept.isEmpty ? nil : kept
        }
        return earliest
    }

    /// The error to report for a call on connection `id` that the engine rejected with `error`: once
    /// the TCB is gone, the reason it ended (reset, refused, timed out) says more than "unknown".
    func explain(_ error: EngineError, for id: ConnectionID) -> EngineError {
        guard error == .unknownConnection, let ending = endings[id] else { return error }
        switch ending {
        case .failed(let reason): return reason
        case .closed: return .notConnected
        }
    }
}

/// The result of one attempt of a call: its value, or "wait for this key and try again".
enum Step<T> {
    case done(T)
    case wait(WaitKey)
}
