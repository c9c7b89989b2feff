import Foundation
import Logging
import NIOSSL
import PostgresNIO
import SeekCore

/// The PostgreSQL database that many nodes share, reached through one pooled `PostgresClient` per process. The client is a
/// service: it serves queries while its `run()` is running (in the ServiceGroup, or a test's task).
public final class PostgresPool: Sendable {
    /// `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`, as libpq reads it
    /// (without sslmode: prefer, as libpq does).
    public struct Location: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var sslMode: String

        public init(url: String) throws(SeekError) {
            guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
                let host = parts.host, !host.isEmpty, let user = parts.user, !user.isEmpty
            else {
                throw SeekError(.badRequest, "The database URL must look like postgres://user:password@host:5432/database.")
            }
            let database = String(parts.path.drop { $0 == "/" })
            let sslMode = parts.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
            guard ["disable", "prefer", "require"].contains(sslMode) else {
                throw SeekError(.badRequest, "The database URL's sslmode must be disable, prefer or require, not \(sslMode).")
            }
            (self.host, port, username, password) = (host, parts.port ?? 5432, user, parts.password)
            (self.database, self.sslMode) = (database.isEmpty ? user : database, sslMode)
        }
    }

    /// Held while migrating, so that nodes starting together migrate one at a time.
    static let migrationLock: Int64 = 0x5EE4_0001

    public let client: PostgresClient
    public let location: Location
    let logger: Logger

    public init(url: String, poolSize: Int = 20, logger: Logger) throws(SeekError) {
        location = try Location(url: url)
        let tls: PostgresClient.Configuration.TLS =
            switch location.sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: tls
        )
        configuration.options.maximumConnections = max(1, poolSize)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Applies the migrations this database lacks, under an advisory lock: a node that starts while another
    /// migrates waits, then finds nothing left to do. Each migration commits with its record, or not at all.
    /// Returns the names applied here.
    @discardableResult
    public func migrate() async throws -> [String] {
        let logger = logger
        return try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                let applied = try await Self.apply(on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    private static func apply(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS seek_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            logger: logger
        )
        var done = Set<String>()
        for try await name in try await connection.query("SELECT name FROM seek_migrations", logger: logger).decode(String.self) {
            done.insert(name)
        }
        var applied: [String] = []
        for migration in PostgresMigrations.all where !done.contains(migration.name) {
            try await connection.withTransaction(logger: logger) { transaction in
                for statement in migration.statements { try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await transaction.query("INSERT INTO seek_migrations (name) VALUES (\(migration.name))", logger: logger)
            }
            logger.info("Migrated the database", metadata: ["migration": .string(migration.name)])
            applied.append(migration.name)
        }
        return applied
    }
}
