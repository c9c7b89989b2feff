import ArgumentParser
import Foundation
import Logging
import SeekCore
import SeekStore
import ServiceLifecycle

/// Where the data lives; shared by `serve` and every `admin` command. The one place that chooses the store:
/// SQLite in `--data-dir` (the embedded default), or PostgreSQL at `--database-url` for many nodes.
struct StorageOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "SQLite data directory, and the node's id and lock (env SEEK_DATA_DIR, default ./seek-data).")
    var dataDir: String?

    @Option(name: .customLong("files-dir"), help: "Where files are kept (env SEEK_FILES_DIR, default DATA_DIR/files).")
    var filesDir: String?
    @Option(name: .customLong("database-url"), help: "postgres://user@host:5432/db to use PostgreSQL (env SEEK_DATABASE_URL).")
    var databaseURL: String?
    @Option(
        name: .customLong("database-pool-size"),
        help: "PostgreSQL connections this process opens at most (env SEEK_DATABASE_POOL_SIZE, default 20)."
    )
    var databasePoolSize: Int?

    var resolvedDataDir: String { dataDir ?? Environment.value("SEEK_DATA_DIR") ?? "./seek-data" }
    var resolvedDatabaseURL: String? { databaseURL ?? Environment.value("SEEK_DATABASE_URL") }

    /// The store, its schema brought up to date; safe while servers run on the same storage (admin commands are
    /// another process).
    func openStore(commitDelay: TimeInterval = SQLiteStore.defaultCommitDelay, logger: Logger = Logger(label: "seek")) async throws -> OpenedStore {
        guard let url = resolvedDatabaseURL else {
            return OpenedStore(store: try SQLiteStore(directory: resolvedDataDir, commitDelay: commitDelay), client: nil)
        }
        let size = try databasePoolSize ?? Environment.value("SEEK_DATABASE_POOL_SIZE").map { try Serve.integer($0, "SEEK_DATABASE_POOL_SIZE") } ?? 20
        guard (1...1000).contains(size) else { throw ValidationError("--database-pool-size is 1 to 1000.") }
        let pool: PostgresPool
        do {
            pool = try PostgresPool(url: url, poolSize: size, logger: logger)
        } catch {
            throw ValidationError(error.message)
        }
        // The client serves queries while it runs: from now until the service group stops it, last of all.
        let client = Task { await pool.client.run() }
        do {
            try await pool.migrate()
        } catch {
            client.cancel()
            throw ValidationError("The database at \(pool.location.host):\(pool.location.port) could not be prepared: \(String(reflecting: error))")
        }
        return OpenedStore(store: PostgresStore(pool: pool), client: client)
    }

    /// Files under the data directory, or `--files-dir` (a mount every node shares).
    func openFiles(retention: TimeInterval = 7 * 24 * 3600) throws -> any FileStore {
        try LocalFileStore(
            directory: filesDir ?? Environment.value("SEEK_FILES_DIR") ?? (resolvedDataDir as NSString).appendingPathComponent("files"),
            retention: retention
        )
    }
}

/// A store and what keeps it reachable: PostgreSQL's client runs until the service group stops `lifetime`.
struct OpenedStore: Sendable {
    let store: any SeekStore
    let client: Task<Void, Never>?

    /// Goes first in a service group, which stops services in reverse: the database stays reachable until every
    /// other service has stopped.
    var lifetime: any Service { ClientLifetime(client: client) }
}

private struct ClientLifetime: Service {
    let client: Task<Void, Never>?

    /// How long the client gets to close its connections: one held by a call that never ends (a connection that
    /// died mid-query) would keep the process from exiting.
    static let closeTimeout: Duration = .seconds(10)

    func run() async throws {
        try? await gracefulShutdown()
        guard let client else { return }
        client.cancel()
        // Whichever comes first; a child task awaiting `client.value` could not be cut short.
        let (ended, signal) = AsyncStream.makeStream(of: Void.self)
        Task {
            await client.value
            signal.yield()
        }
        Task {
            try? await Task.sleep(for: Self.closeTimeout)
            signal.yield()
        }
        for await _ in ended { break }
    }
}
