import Synchronization

/// How long one request may wait on the store, over every call it makes: a request that makes several calls
/// while the database is slow or away answers 503 within this bound, not within a bound per call added up.
///
/// It is a task-local, set per request by the HTTP layer, and only waiting for the store spends it: reading an
/// upload's body, a `Prefer: wait` or an event stream do not. Work that is not a request's (the runner, the
/// reaper, a batch that serves many requests) has none, and each of its calls is bounded alone.
public final class StoreWaitBudget: Sendable {
    @TaskLocal public static var current: StoreWaitBudget?

    /// A request's budget. Seek's statements take milliseconds: a request that waits this long waits on a lost
    /// connection or a convoy of locks, and a 503 it may retry serves it better.
    public static let perRequest: Duration = .seconds(8)

    private let left: Mutex<Duration>

    public init(_ total: Duration = StoreWaitBudget.perRequest) {
        left = Mutex(total)
    }

    /// What the request may still wait.
    public var remaining: Duration { left.withLock { $0 } }

    func spend(_ spent: Duration) {
        left.withLock { $0 -= spent }
    }

    /// Runs a store call that bounds its own wait by the `Duration` it is given: `bound`, or what the current
    /// request has left when that is less. A request with nothing left gets `exhausted` at once.
    static func call<T>(
        bounded bound: Duration,
        exhausted: @autoclosure () -> any Error,
        _ body: (Duration) async throws -> T
    ) async throws -> T {
        try await spending(orElse: .failure(exhausted())) { left in try await body(min(bound, left ?? bound)) }
    }

    /// Waits for an answer that another task gives (a batch's, another request's lease): `register` hands the
    /// `PendingAnswer` to it. When the current request's budget runs out first, the wait ends with `expired()`,
    /// and the answer, if it still comes, is dropped; a request with nothing left gets `expired()` at once.
    public static func wait<T: Sendable>(
        orElse expired: @autoclosure @escaping @Sendable () -> Result<T, any Error>,
        _ register: (PendingAnswer<T>) -> Void
    ) async throws -> T {
        try await spending(orElse: expired()) { left in
            try await withCheckedThrowingContinuation { continuation in
                let answer = PendingAnswer(continuation)
                register(answer)
                guard let left, !answer.isAnswered else { return }
                Expiry.shared.watch(until: .now + left, isAnswered: { answer.isAnswered }, expire: { answer.give(expired()) })
            }
        }
    }

    /// Runs `body` with what the current request has left to wait (nil outside a request), and spends the time it
    /// takes from the request's budget; a request with nothing left gets `exhausted()` instead.
    private static func spending<T>(
        orElse exhausted: @autoclosure () -> Result<T, any Error>,
        _ body: (Duration?) async throws -> T
    ) async throws -> T {
        guard let budget = current else { return try await body(nil) }
        let remaining = budget.remaining
        guard remaining > .zero else { return try exhausted().get() }
        let started = ContinuousClock.now
        defer { budget.spend(ContinuousClock.now - started) }
        return try await body(remaining)
    }

    /// Ends the waits whose time is up. One task sweeps every request's waits, and only while some wait: a timer
    /// per wait would cost a task on every submit.
    private final class Expiry: Sendable {
        static let shared = Expiry()
        /// How late past its deadline a wait may end.
        static let tick: Duration = .milliseconds(100)

        private struct Watched {
            let deadline: ContinuousClock.Instant
            let isAnswered: @Sendable () -> Bool
            let expire: @Sendable () -> Void
        }

        private struct State {
            var watched: [Watched] = []
            var sweeping = false
        }

        private let state = Mutex(State())

        /// Calls `expire` once `deadline` passes, unless `isAnswered` by then.
        func watch(until deadline: ContinuousClock.Instant, isAnswered: @escaping @Sendable () -> Bool, expire: @escaping @Sendable () -> Void) {
            let starts = state.withLock { state -> Bool in
                state.watched.append(Watched(deadline: deadline, isAnswered: isAnswered, expire: expire))
                defer { state.sweeping = true }
                return !state.sweeping
            }
            // Detached: the sweeper serves every request, and must not carry the budget of the one that started it.
            if starts { Task.detached { await self.sweep() } }
        }

        private func sweep() async {
            var sweeping = true
            while sweeping {
                try? await Task.sleep(for: Self.tick)
                let now = ContinuousClock.now
                let due = state.withLock { state -> [@Sendable () -> Void] in
                    var due: [@Sendable () -> Void] = []
                    state.watched.removeAll { watched in
                        if watched.isAnswered() { return true }
                        guard watched.deadline <= now else { return false }
                        due.append(watched.expire)
                        return true
                    }
                    state.sweeping = !state.watched.isEmpty
                    sweeping = state.sweeping
                    return due
                }
                for expire in due { expire() }
            }
        }
    }
}

/// The answer one caller waits for, given once: by the task that works it out, or by the end of the caller's
/// wait, whichever comes first.
public final class PendingAnswer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// Hands `result` to the caller; false if it had its answer already (then `result` is dropped).
    @discardableResult
    public func give(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }

    /// Whether the caller has its answer: a call whose caller stopped waiting before it ran need not run.
    public var isAnswered: Bool { continuation.withLock { $0 == nil } }
}
