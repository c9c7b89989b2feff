import Foundation
import Logging
import PostgresNIO
import SeekCore
import Synchronization

/// Seek's store for many nodes: every node and runner process shares one PostgreSQL database. Each write is one
/// transaction on a pooled connection (PostgreSQL groups the commits of concurrent transactions itself); rows
/// another writer may change at once are locked in a fixed order: the job, then the workspace's balance.
public final class PostgresStore: StorageProbe, Sendable {
    let pool: PostgresPool
    let logger: Logger
    /// The workspace this node's last claim served last. Per node: nodes start their rounds in different places,
    /// which spreads them over the tenants; each claim still respects every plan's concurrency in the database.
    let claimCursor = ClaimCursor()

    /// A store on `pool`, whose client must be running (in the ServiceGroup); call `PostgresPool.migrate()` first.
    public init(pool: PostgresPool) {
        self.pool = pool
        self.logger = pool.logger
    }

    /// Runs `body` in one transaction, and again when PostgreSQL aborted it to break a deadlock or a serialization
    /// conflict (nothing of an aborted attempt remains). A database that cannot be reached is a 503.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await connected { connection in
                    try await connection.query("BEGIN", logger: self.logger)
                    do {
                        let value = try await body(connection)
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

    /// How long a call waits for a pooled connection before it is a 503: the pool waits as long as the database is
    /// away, and a request must be refused rather than hang.
    static let leaseTimeout: Duration = .seconds(3)

    private func connected<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await withLeaseTimeout(body)
        } catch let error as PSQLError where error.serverInfo == nil {
            // No server answered (refused, closed): the caller may retry; a 202 was never sent.
            logger.warning("The database is unreachable", metadata: ["error": "\(String(reflecting: error))"])
            throw Self.unreachable
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "22021" {
            // character_not_in_repertoire: PostgreSQL's text holds no NUL, which SQLite's does.
            throw SeekError(.badRequest, "Text values may not contain the NUL character (U+0000).")
        }
    }

    static let unreachable = SeekError(.serviceUnavailable, "The database is unreachable. Retry in a few seconds.")

    /// Runs `body` on a pooled connection, unless none is leased within `leaseTimeout`. Only the wait for a lease is
    /// cut short: a body that has its connection runs to its end, so that no connection goes back to the pool in
    /// the middle of a transaction.
    private func withLeaseTimeout<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LeaseFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.pool.client.withConnection { connection in
                    leased.value.store(true, ordering: .releasing)
                    return try await body(connection)
                }
            }
            group.addTask {
                try await Task.sleep(for: Self.leaseTimeout)
                guard leased.value.load(ordering: .acquiring) else { throw Self.unreachable }
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw Self.unreachable
        }
    }

    static let maxAttempts = 5

    private static func isRetryable(_ error: PSQLError) -> Bool {
        // serialization_failure, deadlock_detected
        ["40001", "40P01"].contains(error.serverInfo?[.sqlState] ?? "")
    }

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

/// Whether a call got its connection (set by the call, read by its timeout).
private final class LeaseFlag: Sendable {
    let value = Atomic<Bool>(false)
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
