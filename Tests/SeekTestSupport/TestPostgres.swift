import Foundation
import Logging
import PostgresNIO
import SeekStore
import Synchronization

/// The PostgreSQL server the test command starts (scripts/postgres), named by `SEEK_TEST_POSTGRES_URL`. Tests
/// that need it run only when it is set: `scripts/test` always sets it; a bare `swift test` skips them.
public enum TestPostgres {
    public static let url = ProcessInfo.processInfo.environment["SEEK_TEST_POSTGRES_URL"]
    public static var available: Bool { url != nil }
    public static let logger = Logger(label: "test-postgres")

    /// Runs `body` while the pools' clients run (a client runs once in its life).
    public static func running<T: Sendable>(_ pools: PostgresPool..., body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
            for pool in pools { group.addTask { await pool.client.run() } }
            do {
                let value = try await body()
                group.cancelAll()
                return value
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Runs the pool's client for the rest of the test process, for stores a test opens and never closes.
    public static func keepRunning(_ pool: PostgresPool) {
        Task.detached { await pool.client.run() }
    }

    /// The URL of a new, empty database on the test server.
    public static func freshDatabase() async throws -> String {
        guard let url else { throw TestPostgresUnavailable() }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresPool(url: url, poolSize: 1, logger: logger)
        try await running(admin) { _ = try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger) }
        guard var parts = URLComponents(string: url) else { throw TestPostgresUnavailable() }
        parts.path = "/" + name
        guard let fresh = parts.string else { throw TestPostgresUnavailable() }
        return fresh
    }
}

struct TestPostgresUnavailable: Error, CustomStringConvertible {
    var description: String { "SEEK_TEST_POSTGRES_URL does not name a PostgreSQL server (scripts/test starts one)." }
}
