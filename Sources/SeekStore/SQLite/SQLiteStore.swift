import Foundation
import GRDB
import SeekCore
import Synchronization

/// Seek's embedded store: one SQLite file in WAL mode, every commit fsynced, writes grouped.
public final class SQLiteStore: StorageProbe, Sendable {
    let pool: DatabasePool
    let writer: GroupCommitWriter
    /// The workspace the last claim served last, so that the next one starts after it.
    let claimCursor = ClaimCursor()
    /// How long a commit may wait for more work when commits are coming back to back.
    public static let defaultCommitDelay: TimeInterval = 0.002

    /// Opens (creating if needed) `seek.sqlite` in `directory` and brings its schema up to date.
    public init(directory: String, commitDelay: TimeInterval = defaultCommitDelay) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        // Admin commands may write while a server runs: wait for the lock instead of failing.
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.maximumReaderCount = 8
        let path = (directory as NSString).appendingPathComponent("seek.sqlite")
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB picks NORMAL for WAL; a 202 promises the job survives power loss, so every commit is fsynced.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try SQLiteMigrations.migrator().migrate(pool)
        writer = GroupCommitWriter(pool: pool, commitDelay: commitDelay)
    }

    /// Write transactions committed since the store opened.
    public var commitCount: Int { writer.commitCount }

    deinit {
        writer.close()
    }

    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}

extension Date {
    /// The current time at the precision it is stored with, so that a value returned before a
    /// read-back prints exactly like the value read back.
    static func storeNow() -> Date { Date(storedMillis: Date().storedMillis) }

    /// Milliseconds since 1970, as timestamps are stored.
    var storedMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(storedMillis: Int64) { self.init(timeIntervalSince1970: Double(storedMillis) / 1000) }
}

extension Row: StoredRow {
    func text(_ column: String) -> String? { self[column] }
    func integer(_ column: String) -> Int64? { self[column] }
}

/// Where the round robin of claims stands. In memory: one process claims from an SQLite database (the server),
/// and a restart only starts the round again.
final class ClaimCursor: Sendable {
    private let value = Mutex<String?>(nil)

    var lastServed: String? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
