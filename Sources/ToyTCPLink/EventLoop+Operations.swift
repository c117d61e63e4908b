import ToyTCPEngine

/// What a waiting call waits for: any event of one connection, of one listener, or of the whole stack.
enum WaitKey: Hashable {
    case connection(ConnectionID)
    case listener(ListenerID)
    case anyEvent
}

/// How a connection ended, remembered after the engine deletes its TCB.
enum ConnectionEnding: Hashable {
    case closed
    case failed(EngineError)
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
/// queues what fits and waits for `writable`; `receive` waits for `readable` or `peerClosed`.
final class ParkedOperation {
    let attempt: (EventLoop, Instant) -> OperationStep
    let fail: (any Error) -> Void
    let deadline: Instant?

    init(deadline: Instant?, attempt: @escaping (EventLoop, Instant) -> OperationStep,
         fail: @escaping (any Error) -> Void) {
        self.deadline = deadline
        self.attempt = attempt
        self.fail = fail
    }
}

extension EventLoop {
    /// Runs `body` on the loop until it returns a value (`nil` means "wait for `key`"), then calls
    /// `completion` with it, or with the error `body` threw, or `EngineError.timedOut` at `timeout`.
    ///
    /// `body` runs with the stack in hand, on the loop thread; `completion` too (it must not block).
    /// With `inline`, an idle loop lets the calling thread make the first attempt itself (`runInline`):
    /// for a caller that waits for `completion` anyway.
    func perform<T>(timeout: Duration?, onAbandon: (@Sendable (EventLoop) -> Void)? = nil, inline: Bool = false,
                    _ body: @escaping @Sendable (EventLoop, Instant) throws -> Step<T>,
                    completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let start: @Sendable (EventLoop) -> Void = { loop in
            let now = monotonicNow()
            let operation = ParkedOperation(
                deadline: timeout.map { now + $0 },
                attempt: { loop, now in
                    do {
                        switch try body(loop, now) {
                        case .done(let value):
                            loop.admitListenerPorts()
                            completion(.success(value))
                            return .finished
                        case .wait(let key):
                            return .wait(key)
                        }
                    } catch {
                        completion(.failure(error))
                        return .finished
                    }
                },
                fail: { error in
                    onAbandon?(loop)
                    completion(.failure(error))
                })
            loop.run(operation, at: now)
        }
        if inline && runInline(start) { return }
        if !submit(start) { completion(.failure(EngineError.aborted)) }
    }

    /// Runs an operation once; parks it if it waits.
    func run(_ operation: ParkedOperation, at now: Instant) {
        guard running else { operation.fail(EngineError.aborted); return }
        switch operation.attempt(self, now) {
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

    /// Notes an engine event: remembers how connections end and which waiting operations to run again.
    func record(_ event: StackEvent) {
        switch event {
        case .connection(let id, let connectionEvent):
            switch connectionEvent {
            case .failed(let error): endings[id] = .failed(error)
            case .closed: if endings[id] == nil { endings[id] = .closed }
            default: break
            }
        default: break
        }
        // Most events concern no waiting call (a bulk transfer's ACKs): no key is hashed then.
        guard !parked.isEmpty else { return }
        switch event {
        case .connection(let id, _):
            if parked[.connection(id)] != nil { woken.insert(.connection(id)) }
        case .incoming(let listener):
            if parked[.listener(listener)] != nil { woken.insert(.listener(listener)) }
        }
        if parked[.anyEvent] != nil { woken.insert(.anyEvent) }
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
                        operation.fail(EngineError.timedOut)
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
