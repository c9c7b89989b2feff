import Foundation
import Logging
import PostgresNIO
import SeekCore
import Synchronization

/// Seek's store for many nodes: every node and runner process shares one PostgreSQL database. Each write is one
/// transaction on a pooled connection, except submits and finishes, which share one per batch
/// (`PostgresBatcher`); rows another writer may change at once are locked in a fixed order: the jobs, then the
/// workspaces' claim locks in id order, then their balances, last and in id order (`LedgerTab`).
public final class PostgresStore: StorageProbe, Sendable {
    let pool: PostgresPool
    let logger: Logger
    /// The workspace this node's last claim served last. Per node: nodes start their rounds in different places,
    /// which spreads them over the tenants; each claim still respects every plan's concurrency in the database.
    let claimCursor: ClaimCursor
    /// What this node tells the others after its commits (LISTEN/NOTIFY).
    let announcements: PostgresNews
    /// Whether the database answers, and when it last did: away, or only busy.
    let reachability: Reachability
    /// Submits waiting at once share a transaction.
    let submits: PostgresBatcher<SubmitResult, SubmitResult>
    /// So do one claimant's finishes, and they claim the next jobs for their slots together.
    let finishes: PostgresBatcher<FinishStep, FinishResult>
    /// Rate-limit leases waiting at once share a statement.
    let rateTakes: RateTakeBatcher

    /// A store on `pool`, whose client must be running (in the ServiceGroup); call `PostgresPool.migrate()` first.
    public init(pool: PostgresPool) {
        self.pool = pool
        self.logger = pool.logger
        announcements = PostgresNews(pool: pool, logger: pool.logger)
        let (cursor, logger, reachability) = (ClaimCursor(), pool.logger, Reachability())
        self.reachability = reachability
        claimCursor = cursor
        let tooLate = { @Sendable in Self.tooLate(reachability) }
        rateTakes = RateTakeBatcher(tooLate: tooLate)
        submits = PostgresBatcher(logger: logger, tooLate: tooLate) { _, results in results }
        finishes = PostgresBatcher(logger: logger, tooLate: tooLate) { db, steps in
            let recorded = try await FinishStep.recordWaiting(steps, on: db, logger: logger)
            return try await FinishStep.claimNext(for: recorded, cursor: cursor, on: db, logger: logger)
        }
    }

    /// Runs `body` in a transaction shared with the other calls of `batcher`'s `lane` waiting at the same moment
    /// (`PostgresBatcher`); `key` names the row it locks first (a submit's workspace, a finish's job), by which
    /// a batch's calls are sorted.
    func batchedWrite<Step: Sendable, Answer: Sendable>(
        _ batcher: PostgresBatcher<Step, Answer>,
        lane: String = "",
        locksFirst key: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Step
    ) async throws -> Answer {
        try await batcher.run(lane: lane, order: key, transact: { deferring, batch in try await self.write(deferringLedger: deferring, batch) }, body)
    }

    /// Runs `body` in one transaction, and again when PostgreSQL aborted it to break a deadlock or a serialization
    /// conflict (nothing of an aborted attempt remains). A database that cannot be reached is a 503.
    func write<T: Sendable>(
        deferringLedger: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await connected { connection in
                    try await connection.query("BEGIN", logger: self.logger)
                    LedgerTab.begin(on: connection, deferred: deferringLedger)
                    defer { LedgerTab.end(on: connection) }
                    do {
                        let value = try await body(connection)
                        try await LedgerTab.flush(on: connection, logger: self.logger)
                        try await connection.query("COMMIT", logger: self.logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: self.logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < Self.maxAttempts {
                attempt += 1
            }
        }
    }

    /// Runs `body` on a pooled connection outside any transaction: each statement sees what was committed when it began.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await connected(body)
    }

    /// How long a call waits for a pooled connection while no call has had an answer from the database: then it
    /// is a 503, since the pool would wait as long as the database is away, and a request must be refused rather
    /// than hang. While other calls get answers the database is only busy, and a call waits its turn.
    static let leaseTimeout: Duration = .seconds(3)
    /// The longest a caller waits for a call, connection and statements together, however busy the database: then
    /// it is a 503 that the caller may retry (a runner's finish does, and a client with an Idempotency-Key may).
    /// A request's calls share one such bound (`StoreWaitBudget`), which one call may spend whole.
    static let callTimeout: Duration = StoreWaitBudget.perRequest
    private static let watchInterval: Duration = .milliseconds(500)

    private func connected<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        // While the database is away, one call at a time waits to find out whether it is back; the others are
        // refused at once, so that a node answers 503 at once rather than after a wait per call.
        let admission = reachability.admit()
        guard admission != .refused else { throw Self.unreachable }
        defer { if admission == .probe { reachability.endProbe() } }
        do {
            return try await StoreWaitBudget.call(bounded: Self.callTimeout, exhausted: Self.tooLate(reachability)) { limit in
                try await withLeaseTimeout(limit: limit, body)
            }
        } catch let error as PSQLError where Self.isUnreachable(error) {
            // No server answered (refused, closed, shutting down): the caller may retry; a 202 was never sent.
            if reachability.lost() { logger.warning("The database is unreachable", metadata: ["error": "\(String(reflecting: error))"]) }
            throw Self.unreachable
        } catch let error as SeekError where error == Self.unreachable {
            if reachability.lost() { logger.warning("The database gives no connection") }
            throw error
        } catch {
            throw Self.meaning(of: error)
        }
    }

    /// What a statement's error means to the caller, where it means more than a server error.
    static func meaning(of error: any Error) -> any Error {
        // character_not_in_repertoire: PostgreSQL's text holds no NUL, which SQLite's does.
        guard let failure = error as? PSQLError, failure.serverInfo?[.sqlState] == "22021" else { return error }
        return SeekError(.badRequest, "Text values may not contain the NUL character (U+0000).")
    }

    /// No server answered, or it is shutting down or starting (class 57, operator intervention) or lost the
    /// connection (class 08): a retry later may succeed.
    static func isUnreachable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return true }
        return state.hasPrefix("57P") || state.hasPrefix("08")
    }

    static let unreachable = SeekError(.serviceUnavailable, "The database is unreachable. Retry in a few seconds.")
    static let busy = SeekError(.serviceUnavailable, "The database is too busy to answer in time. Retry in a few seconds.")

    /// What a caller that stopped waiting is told: the database is away, or only slow.
    static func tooLate(_ reachability: Reachability) -> SeekError {
        reachability.isDown ? unreachable : busy
    }

    /// Runs `body` on a pooled connection, unless none is leased in time (`leaseTimeout`). Nothing else cancels
    /// the call: a body that has its connection runs to its end, rollback included, even when the caller is
    /// cancelled, so that no connection goes back to the pool in the middle of a transaction that holds locks.
    /// But the caller stops waiting for a body that runs on while the database is away (a connection that died
    /// mid-query may never answer), or past `limit` (`callTimeout`, or less when the caller's request has less
    /// left to wait): it gets a 503, as a client whose connection broke would.
    private func withLeaseTimeout<T: Sendable>(
        limit: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let lease = LeaseState()
        let answers = reachability
        let started = ContinuousClock.now
        let logger = logger
        return try await withCheckedThrowingContinuation { continuation in
            let outcome = PendingAnswer(continuation)
            let work = Task {
                try await self.pool.client.withConnection { connection in
                    // Abandoned while it waited: the connection goes back untouched.
                    guard lease.take() else { throw Self.unreachable }
                    let value = try await body(connection)
                    answers.record()
                    return value
                }
            }
            let watcher = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: min(Self.watchInterval, limit - (ContinuousClock.now - started)))
                    let waited = ContinuousClock.now - started
                    // Away: waiting for a connection while nothing answers, or running while calls find no database.
                    // Busy: past the limit while other calls get answers; that says nothing of the database's health.
                    let away =
                        lease.isWaiting ? waited >= min(Self.leaseTimeout, limit) && !answers.within(Self.leaseTimeout) : answers.isDown
                    if away || waited >= limit {
                        if lease.isWaiting, lease.abandon() { work.cancel() }
                        outcome.give(.failure(away ? Self.unreachable : Self.busy))
                        return
                    }
                }
            }
            Task {
                let result: Result<T, any Error>
                do {
                    result = .success(try await work.value)
                } catch {
                    result = .failure(lease.isAbandoned ? Self.unreachable : error)
                }
                watcher.cancel()
                if !outcome.give(result), lease.isLeased {
                    // Its caller had its 503: whatever this call did stands (a retry finds it), and it held a
                    // connection all along.
                    let seconds = (ContinuousClock.now - started).seconds
                    logger.warning("A database call ended after its caller stopped waiting", metadata: ["seconds": "\(seconds)"])
                }
            }
        }
    }

    static let maxAttempts = 5

    static func isRetryable(_ error: PSQLError) -> Bool {
        // serialization_failure, deadlock_detected
        ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

    public var waitsOnNetwork: Bool { true }

    public func ping() async throws {
        let logger = logger
        try await read { db in try await db.run("SELECT 1", logger: logger) }
    }

    /// A counter of `store_counters` that every node reads.
    static func counter(_ name: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.first("SELECT value FROM store_counters WHERE name = \(name)", logger: logger)?.integer("value") ?? 0
    }

    static func moveCounter(_ name: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("UPDATE store_counters SET value = value + 1 WHERE name = \(name)", logger: logger)
    }
}

extension PostgresStore: StoreNewsSource {
    public func news() -> AsyncStream<StoreNews> { announcements.stream() }
}

/// Whether the database answers: when it last did (on the monotonic clock), and while it does not, whether a
/// call is finding out.
final class Reachability: Sendable {
    enum Admission { case normal, probe, refused }

    private static let origin = ContinuousClock.now
    private let lastAnswer = Atomic<Int64>(Int64.min)
    private let down = Atomic<Bool>(false)
    private let probing = Atomic<Bool>(false)

    /// A call had its answer: the database is up.
    func record() {
        let elapsed = ContinuousClock.now - Self.origin
        lastAnswer.store(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000, ordering: .relaxed)
        down.store(false, ordering: .releasing)
    }

    /// Whether an answer came within the last `window`.
    func within(_ window: Duration) -> Bool {
        let last = lastAnswer.load(ordering: .relaxed)
        guard last != Int64.min else { return false }
        let now = ContinuousClock.now - Self.origin
        return now - .nanoseconds(last) < window
    }

    /// Whether the last call that tried found no database.
    var isDown: Bool { down.load(ordering: .acquiring) }

    /// A call found no database; true if it was up until now.
    func lost() -> Bool {
        !down.exchange(true, ordering: .acquiringAndReleasing)
    }

    func admit() -> Admission {
        guard down.load(ordering: .acquiring) else { return .normal }
        return probing.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged ? .probe : .refused
    }

    func endProbe() { probing.store(false, ordering: .releasing) }
}

/// Where a call's wait for a connection stands: waiting, then either leased (by the call) or abandoned (by its
/// timeout), whichever comes first; never both.
private final class LeaseState: Sendable {
    private static let waiting = 0, leased = 1, abandoned = 2
    private let value = Atomic<Int>(LeaseState.waiting)

    /// The call has its connection; false if it was abandoned first.
    func take() -> Bool {
        value.compareExchange(expected: Self.waiting, desired: Self.leased, ordering: .acquiringAndReleasing).exchanged
    }

    /// The timeout gives up on the call; false if it has its connection already.
    func abandon() -> Bool {
        value.compareExchange(expected: Self.waiting, desired: Self.abandoned, ordering: .acquiringAndReleasing).exchanged
    }

    var isWaiting: Bool { value.load(ordering: .acquiring) == Self.waiting }
    var isAbandoned: Bool { value.load(ordering: .acquiring) == Self.abandoned }
    var isLeased: Bool { value.load(ordering: .acquiring) == Self.leased }
}

/// A PostgreSQL row read by column name.
struct PostgresStoredRow: StoredRow {
    let cells: PostgresRandomAccessRow

    func text(_ column: String) throws -> String? { try cells[column].decode(String?.self) }
    func integer(_ column: String) throws -> Int64? { try cells[column].decode(Int64?.self) }
    func flag(_ column: String) throws -> Bool { try cells[column].decode(Bool.self) }
}

extension PostgresConnection {
    func all(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresStoredRow] {
        try await self.query(query, logger: logger).collect().map { PostgresStoredRow(cells: $0.makeRandomAccess()) }
    }

    func first(_ query: PostgresQuery, logger: Logger) async throws -> PostgresStoredRow? {
        try await all(query, logger: logger).first
    }

    /// Runs a statement; with `RETURNING 1`, the count is the number of rows it changed.
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await self.query(query, logger: logger).collect().count
    }
}
