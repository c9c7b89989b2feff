import Foundation
import GRDB
import SeekCore

/// Seek's embedded store: one SQLite file in WAL mode, every commit fsynced, writes grouped.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool
    let writer: GroupCommitWriter

    /// Opens (creating if needed) `seek.sqlite` in `directory` and brings its schema up to date.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        // Admin commands may write while a server runs: wait for the lock instead of failing.
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.maximumReaderCount = 8
        pool = try DatabasePool(path: (directory as NSString).appendingPathComponent("seek.sqlite"), configuration: configuration)
        // GRDB picks NORMAL for WAL; a 202 promises the job survives power loss, so every commit is fsynced.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try SQLiteMigrations.migrator().migrate(pool)
        writer = GroupCommitWriter(pool: pool)
    }

    /// Write transactions committed since the store opened.
    public var commitCount: Int { writer.commitCount }

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

extension Row {
    func date(_ column: String) -> Date? {
        (self[column] as Int64?).map(Date.init(storedMillis:))
    }
}
