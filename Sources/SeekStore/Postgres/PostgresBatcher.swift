import Logging
import PostgresNIO
import SeekCore
import Synchronization

/// Group commit: the calls of one kind waiting at one moment share one transaction, so that one WAL flush serves
/// the batch and a workspace's balance row, which every call of that workspace locks until its commit, is
/// locked once per batch (at its end, `LedgerTab`) rather than once per call.
///
/// A batch runs bare first: its calls' statements one after another, its ledger entries deferred to its end.
/// If any call fails, or the end would refuse credits, that attempt is rolled back whole and the batch runs
/// again isolated: each call in a savepoint of its own, each entry applied as it is posted, so that the call
/// that fails alone (a 402, a conflict) rolls back to its savepoint and the others commit. A savepoint costs
/// two round trips a call, which the bare run saves while nothing fails. A batch that fails as a whole (the
/// database went away) fails every call in it, none half done.
///
/// A batch takes the calls of one lane, and after them runs its lane's conclusion once, over the calls that
/// succeeded: finishes, laned by claimant, claim the next jobs for all their freed slots in one claim, which
/// takes the workspaces' claim locks in one order (a claim per finish would take them in none).
final class PostgresBatcher<Step: Sendable, Answer: Sendable>: Sendable {
    /// Batches of one kind in flight at once per process. One: a second batch only split the calls waiting, so
    /// that each job cost more statements and commits, and then queued for the rows the first held (the workspace's
    /// balance, its claim lock) until that commit. With one, `bench/postgres.py` went from 3,200–3,500 to
    /// 3,850–4,450 jobs/s on one node. Submits and finishes still run their batches side by side.
    static var concurrentBatches: Int { 1 }
    static var maxBatch: Int { 64 }

    /// Runs a body in one transaction, its ledger entries deferred to its end or not (`PostgresStore.write`).
    typealias Transact = @Sendable (_ deferringLedger: Bool, @escaping @Sendable (PostgresConnection) async throws -> Void) async throws -> Void
    /// In the batch's transaction, after its calls: what each call that succeeded answers, in their order.
    typealias Conclusion = @Sendable (PostgresConnection, [Step]) async throws -> [Answer]

    private struct State {
        var lanes: [String: [Call]] = [:]
        /// Lanes with calls waiting, oldest first.
        var waiting: [String] = []
        var running = 0

        /// The next batch: calls of the lane that has waited longest.
        mutating func take() -> [Call] {
            guard let lane = waiting.first, let calls = lanes[lane] else { return [] }
            let taken = Array(calls.prefix(PostgresBatcher.maxBatch))
            if taken.count == calls.count {
                lanes[lane] = nil
                waiting.removeFirst()
            } else {
                lanes[lane] = Array(calls.dropFirst(taken.count))
            }
            return taken
        }
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let conclude: Conclusion
    /// What a caller whose request ran out of time to wait is answered.
    private let tooLate: @Sendable () -> any Error

    init(logger: Logger, tooLate: @escaping @Sendable () -> any Error, conclude: @escaping Conclusion) {
        self.logger = logger
        self.tooLate = tooLate
        self.conclude = conclude
    }

    /// Runs `body` in the next batch of `lane`, which `transact` runs in one transaction (retrying it whole when
    /// PostgreSQL aborts it); `order` (the row it locks first) sorts a batch's calls in byte order, so that two
    /// batches, or a batch and a statement that locks rows in that order, take them in one order.
    func run(
        lane: String = "",
        order: String,
        transact: @escaping Transact,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Step
    ) async throws -> Answer {
        let tooLate = tooLate
        return try await StoreWaitBudget.wait(orElse: .failure(tooLate())) { answer in
            let call = Call(order: order, body: body, answer: answer, logger: logger)
            let starts = state.withLock { state -> Bool in
                if state.lanes[lane] == nil { state.waiting.append(lane) }
                state.lanes[lane, default: []].append(call)
                guard state.running < Self.concurrentBatches else { return false }
                state.running += 1
                return true
            }
            // Detached: the batches serve every request, and must not carry the store budget of the one that came first.
            if starts { Task.detached { await self.drain(transact) } }
        }
    }

    /// Runs batches while calls wait, then lets the slot go.
    private func drain(_ transact: Transact) async {
        while true {
            let batch = state.withLock { state -> [Call] in
                let taken = state.take()
                if taken.isEmpty { state.running -= 1 }
                return taken
            }
            guard !batch.isEmpty else { return }
            // A call whose caller stopped waiting before its batch began is not run: its 503 stays true.
            let sorted = batch.filter { !$0.answer.isAnswered }.sorted { $0.order.utf8.lexicographicallyPrecedes($1.order.utf8) }
            guard !sorted.isEmpty else { continue }
            let answers = Mutex<[Answer]>([])
            let conclude = conclude
            let batchBody = { @Sendable (isolated: Bool) -> @Sendable (PostgresConnection) async throws -> Void in
                { db in
                    for call in sorted { try await call.perform(on: db, isolated: isolated) }
                    let steps = sorted.compactMap(\.step)
                    let concluded = try await conclude(db, steps)
                    answers.withLock { $0 = concluded }
                }
            }
            do {
                do {
                    try await transact(true, batchBody(false))
                } catch let error where Self.isolates(error) {
                    try await transact(false, batchBody(true))
                }
                var concluded = answers.withLock { $0 }[...]
                var unheard = 0
                for call in sorted {
                    let given =
                        if call.step != nil, let answer = concluded.popFirst() {
                            call.answer.give(.success(answer))
                        } else {
                            call.answer.give(.failure(call.failure ?? PostgresStore.unreachable))
                        }
                    if !given { unheard += 1 }
                }
                if unheard > 0 {
                    // Their callers had their 503s: what these calls did stands, and a retry finds it.
                    logger.warning("Batched calls ended after their callers stopped waiting", metadata: ["calls": "\(unheard)"])
                }
            } catch {
                for call in sorted { call.answer.give(.failure(error)) }
            }
        }
    }

    /// A call of a bare batch failed: the batch must run again isolated.
    private struct Isolate: Error {}

    /// Whether a bare batch that failed so runs again isolated: a call failed, or the end would refuse credits, or
    /// the rows its calls left for the end were refused (which one's, only the isolated run can tell). A
    /// database away or too slow to answer (a 503) fails the batch: running it again would only wait again.
    private static func isolates(_ error: any Error) -> Bool {
        guard let failure = error as? SeekError else { return true }
        return failure.code != .serviceUnavailable
    }

    private final class Call: @unchecked Sendable {
        let order: String
        private let body: @Sendable (PostgresConnection) async throws -> Step
        // Set by `perform` and read once the batch ends, one after the other in the batch's task.
        private var result: Result<Step, any Error>?
        let answer: PendingAnswer<Answer>
        private let logger: Logger

        init(
            order: String,
            body: @escaping @Sendable (PostgresConnection) async throws -> Step,
            answer: PendingAnswer<Answer>,
            logger: Logger
        ) {
            self.order = order
            self.body = body
            self.answer = answer
            self.logger = logger
        }

        var step: Step? { try? result?.get() }
        var failure: (any Error)? {
            guard case let .failure(error) = result else { return nil }
            return PostgresStore.meaning(of: error)
        }

        /// Runs the call and keeps its result: bare, where any failure ends the attempt (`Isolate`), or isolated in
        /// a savepoint, where it throws only what ends the whole transaction.
        func perform(on db: PostgresConnection, isolated: Bool) async throws {
            guard isolated else {
                do {
                    result = .success(try await body(db))
                } catch let error as PSQLError where PostgresStore.isRetryable(error) || PostgresStore.isUnreachable(error) {
                    // The whole batch's: a deadlock's retry, or a database gone away.
                    throw error
                } catch {
                    throw Isolate()
                }
                return
            }
            var attempt = 1
            while true {
                try await db.query("SAVEPOINT call", logger: logger)
                let tab = LedgerTab.tab(on: db)
                do {
                    result = .success(try await body(db))
                    return
                } catch {
                    // The savepoint's rollback fails only when the transaction is lost: then the batch is.
                    try await db.query("ROLLBACK TO SAVEPOINT call", logger: logger)
                    LedgerTab.restore(tab, on: db)
                    if let failure = error as? PSQLError, PostgresStore.isRetryable(failure), attempt < PostgresStore.maxAttempts {
                        attempt += 1
                        continue
                    }
                    result = .failure(error)
                    return
                }
            }
        }
    }
}
