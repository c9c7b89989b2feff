import Logging
import PostgresNIO
import Synchronization

/// Group commit for submits: the submits waiting at one moment share one transaction, each in a savepoint of
/// its own, so that one WAL flush serves the batch and a workspace's balance row, which every submit of that
/// workspace locks until its commit, is locked once per batch (at its end, `LedgerTab`) rather than once per
/// job. A call that fails alone (a 402, a conflict) rolls back to its savepoint and the others commit; a batch
/// that fails as a whole (the database went away) fails every call in it, none half done. Finishes are not
/// batched: a finish that claims the next job takes its workspace's claim lock, and batches holding several
/// such locks in no fixed order would deadlock with one another.
final class PostgresBatcher: Sendable {
    /// Batches in flight at once per process: a commit's flush overlaps the next batch's statements.
    static let concurrentBatches = 2
    static let maxBatch = 64

    private struct State {
        var pending: [any BatchEntry] = []
        var running = 0
    }

    /// Runs a body in one transaction (`PostgresStore.writeDeferringLedger`).
    typealias Transact = @Sendable (@escaping @Sendable (PostgresConnection) async throws -> Void) async throws -> Void

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Runs `body` in the next batch, which `transact` runs in one transaction (retrying it whole when
    /// PostgreSQL aborts it); `order` (the workspace it locks first) sorts a batch's calls, so that two batches
    /// take the balance rows in one order.
    func run<T: Sendable>(
        order: String,
        transact: @escaping Transact,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(Entry(order: order, body: body, continuation: continuation, logger: logger), transact: transact)
        }
    }

    private func enqueue(_ entry: any BatchEntry, transact: @escaping Transact) {
        let starts = state.withLock { state -> Bool in
            state.pending.append(entry)
            guard state.running < Self.concurrentBatches else { return false }
            state.running += 1
            return true
        }
        if starts { Task { await self.drain(transact) } }
    }

    /// Runs batches while calls wait, then lets the slot go.
    private func drain(_ transact: Transact) async {
        while true {
            let batch = state.withLock { state -> [any BatchEntry] in
                let taken = Array(state.pending.prefix(Self.maxBatch))
                state.pending.removeFirst(taken.count)
                if taken.isEmpty { state.running -= 1 }
                return taken
            }
            guard !batch.isEmpty else { return }
            let sorted = batch.sorted { $0.order < $1.order }
            let batchBody: @Sendable (PostgresConnection) async throws -> Void = { db in
                for entry in sorted { try await entry.perform(on: db) }
            }
            do {
                // If a call would be refused its credits, the batch runs again with each entry applied as it is
                // posted, and that call alone gets its 402.
                try await transact(batchBody)
                for entry in sorted { entry.deliver() }
            } catch {
                for entry in sorted { entry.fail(error) }
            }
        }
    }
}

private protocol BatchEntry: Sendable {
    var order: String { get }
    /// Runs the call in a savepoint and keeps its result; throws only what ends the whole transaction.
    func perform(on db: PostgresConnection) async throws
    /// The batch committed: the call's kept result goes to its caller.
    func deliver()
    /// The batch did not commit.
    func fail(_ error: any Error)
}

private final class Entry<T: Sendable>: BatchEntry, @unchecked Sendable {
    let order: String
    private let body: @Sendable (PostgresConnection) async throws -> T
    // Set by `perform` and read by `deliver`, one after the other in the batch's task.
    private var result: Result<T, any Error>?
    private let continuation: CheckedContinuation<T, any Error>
    private let logger: Logger

    init(
        order: String,
        body: @escaping @Sendable (PostgresConnection) async throws -> T,
        continuation: CheckedContinuation<T, any Error>,
        logger: Logger
    ) {
        self.order = order
        self.body = body
        self.continuation = continuation
        self.logger = logger
    }

    func perform(on db: PostgresConnection) async throws {
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

    func deliver() {
        continuation.resume(with: (result ?? .failure(PostgresStore.unreachable)).mapError { PostgresStore.meaning(of: $0) })
    }

    func fail(_ error: any Error) {
        continuation.resume(throwing: error)
    }
}
