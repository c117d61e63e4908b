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
/// A subclass (`BlockingCall`, `CompletionCall`) passes its `step` from its initializer, where its type
/// is concrete: the function is compiled for it, so the loop drives calls of every result type without
/// generic code at run time (a generic override here looked up `Result<T, Error>` and `Step<T>`
/// metadata in the runtime's tables on every attempt, about 4,000 instructions a connect). The step
/// captures nothing (it gets the call as its argument), so a call is one object: a waiter, an operation
/// and closures apart cost about 1,500 instructions a call more (callgrind, README "The lab at kernel
/// speed").
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

    /// A call's reaction to `Input`, given the call itself; `.finished` once it has delivered its result.
    typealias StepFunction = (ParkedOperation, EventLoop, Instant, Input) -> OperationStep

    let deadline: Instant?
    private let step: StepFunction

    init(timeout: Duration?, step: @escaping StepFunction) {
        deadline = timeout.map { monotonicNow() + $0 }
        self.step = step
    }

    func attempt(_ loop: EventLoop, at now: Instant) -> OperationStep { step(self, loop, now, .attempt) }

    func fail(_ error: any Error, on loop: EventLoop) { _ = step(self, loop, monotonicNow(), .fail(error)) }

    /// Ends a call that never ran (the loop had stopped).
    func refuse(_ error: any Error, on loop: EventLoop) { _ = step(self, loop, monotonicNow(), .refuse(error)) }
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
    private let body: @Sendable (EventLoop, Instant) throws -> Step<T>
    private let onAbandon: (@Sendable (EventLoop) -> Void)?
    private let completion: @Sendable (Result<T, any Error>) -> Void

    init(timeout: Duration?, onAbandon: (@Sendable (EventLoop) -> Void)?,
         body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>,
         completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        self.body = body
        self.onAbandon = onAbandon
        self.completion = completion
        super.init(timeout: timeout) { operation, loop, now, input in
            let call = unsafeDowncast(operation, to: CompletionCall<T>.self)
            return callStep(input, loop, now, body: call.body, onAbandon: call.onAbandon, deliver: call.completion)
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
            call.refuse(EngineError.aborted, on: self)
        }
    }

    /// Runs an operation once; parks it if it waits.
    func run(_ operation: ParkedOperation, at now: Instant) {
        guard running else { operation.fail(EngineError.aborted, on: self); return }
        switch operation.attempt(self, at: now) {
        case .finished:
            return
        case .wait(let key):
            // A call run inline waits in its own slot while its caller holds the loop (`inlineWait`).
            if runningInline && inlineWait == nil {
                inlineWait = (key, operation)
            } else {
                park(operation, on: key)
            }
        }
    }

    /// Puts `operation` among those waiting for `key`.
    func park(_ operation: ParkedOperation, on key: WaitKey) {
        parked[key, default: []].append(operation)
        if let deadline = operation.deadline {
            parkedWithDeadline += 1
            earliestOperationDeadline = earliestOperationDeadline.map { min($0, deadline) } ?? deadline
        }
    }

    /// Ends an inline run: a call still waiting in the inline slot joins the others (`parked`), woken
    /// again at the next flush if an event came for it meanwhile.
    func parkInlineWait() {
        runningInline = false
        guard let (key, operation) = inlineWait else { return }
        inlineWait = nil
        park(operation, on: key)
        if inlineWoken { woken.insert(key) }
        inlineWoken = false
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
            if let wait = inlineWait, wait.key == key || wait.key == .anyEvent { inlineWoken = true }
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
        // The inline run's call after those parked before it, as its place in `parked` would have it.
        if inlineWoken, let (_, operation) = inlineWait {
            inlineWoken = false
            inlineWait = nil
            run(operation, at: now)
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
