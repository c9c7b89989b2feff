import Foundation
import GRDB
import SeekCore

extension SQLiteStore: WorkerStore {
    public func createWorker(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker {
        let now = Date.storeNow()
        return try await writer.write { db in
            guard try Self.workerRow(id: manifest.id, in: db) == nil else {
                throw SeekError.invalidManifest(at: "/id", "\(manifest.id) is taken")
            }
            try db.execute(
                sql: "INSERT INTO workers (id, owner_id, state, current_version, created_at) VALUES (?, ?, 'draft', 1, ?)",
                arguments: [manifest.id, owner, now.storedMillis]
            )
            try Self.insertVersion(manifest, number: 1, at: now, in: db)
            try Self.moveCounter("workers", in: db)
            return PublishedWorker(
                ownerWorkspaceID: owner,
                state: .draft,
                current: WorkerVersion(number: 1, manifest: manifest, createdAt: now),
                createdAt: now
            )
        }
    }

    public func addVersion(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker {
        let now = Date.storeNow()
        return try await writer.write { db in
            guard var worker = try Self.ownedWorker(id: manifest.id, owner: owner, in: db) else {
                throw SeekError.notFound("Worker \(manifest.id)")
            }
            let used = try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM worker_versions WHERE worker_id = ? AND version = ?)",
                arguments: [manifest.id, manifest.version]
            )
            guard used != true else {
                throw SeekError.invalidManifest(at: "/version", "version \(manifest.version) of \(manifest.id) exists already")
            }
            let number = worker.current.number + 1
            try Self.insertVersion(manifest, number: number, at: now, in: db)
            try db.execute(sql: "UPDATE workers SET current_version = ? WHERE id = ?", arguments: [number, manifest.id])
            try Self.moveCounter("workers", in: db)
            worker.current = WorkerVersion(number: number, manifest: manifest, createdAt: now)
            return worker
        }
    }

    public func setWorkerState(id: String, owner: String, _ state: PublishedWorker.State) async throws -> PublishedWorker {
        try await writer.write { db in
            guard var worker = try Self.ownedWorker(id: id, owner: owner, in: db) else { throw SeekError.notFound("Worker \(id)") }
            guard worker.state != state else { return worker }
            try db.execute(sql: "UPDATE workers SET state = ? WHERE id = ?", arguments: [state.rawValue, id])
            try Self.moveCounter("workers", in: db)
            worker.state = state
            return worker
        }
    }

    public func publishedWorker(id: String) async throws -> PublishedWorker? {
        try await read { db in try Self.workerRow(id: id, in: db) }
    }

    public func workerVersion(id: String, number: Int) async throws -> WorkerVersion? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT number, manifest, created_at FROM worker_versions WHERE worker_id = ? AND number = ?",
                arguments: [id, number]
            ).map(StoredShapes.workerVersion)
        }
    }

    public func publishedWorkers(owner: String?) async throws -> [PublishedWorker] {
        try await read { db in
            let filter = owner == nil ? "w.state = 'published'" : "w.owner_id = ?"
            let rows = try Row.fetchAll(
                db,
                sql: "\(StoredShapes.selectWorker) WHERE \(filter) ORDER BY w.id",
                arguments: owner.map { [$0] } ?? []
            )
            return try rows.map(StoredShapes.worker)
        }
    }

    public func jobsEnded(workerIDs: [String], from start: Date, until end: Date) async throws -> [String: Int] {
        guard !workerIDs.isEmpty else { return [:] }
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT worker_id, COUNT(*) AS jobs FROM jobs
                    WHERE worker_id IN (\(workerIDs.map { _ in "?" }.joined(separator: ", "))) AND worker_version IS NOT NULL
                          AND completed_at >= ? AND completed_at < ?
                    GROUP BY worker_id
                    """,
                arguments: StatementArguments(workerIDs) + [start.storedMillis, end.storedMillis]
            )
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["worker_id"], $0["jobs"]) })
        }
    }

    public func createRunnerToken(workerID: String, owner: String) async throws -> (record: RunnerTokenRecord, token: String) {
        let now = Date.storeNow()
        let token = Secrets.makeRunnerToken()
        let record = RunnerTokenRecord(
            id: IDKind.rtk.make(now: now),
            workerID: workerID,
            workspaceID: owner,
            prefix: Secrets.displayPrefix(of: token),
            createdAt: now
        )
        try await writer.write { db in
            guard try Self.ownedWorker(id: workerID, owner: owner, in: db) != nil else { throw SeekError.notFound("Worker \(workerID)") }
            try db.execute(
                sql: """
                    INSERT INTO runner_tokens (id, worker_id, workspace_id, prefix, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [record.id, workerID, owner, record.prefix, Secrets.hashAPIKey(token), now.storedMillis]
            )
        }
        return (record, token)
    }

    public func runnerTokens(workerID: String, owner: String) async throws -> [RunnerTokenRecord] {
        try await read { db in
            guard try Self.ownedWorker(id: workerID, owner: owner, in: db) != nil else { throw SeekError.notFound("Worker \(workerID)") }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM runner_tokens WHERE worker_id = ? ORDER BY id DESC",
                arguments: [workerID]
            ).map(StoredShapes.runnerToken)
        }
    }

    public func revokeRunnerToken(workerID: String, owner: String, tokenID: String) async throws -> RunnerTokenRecord {
        let now = Date.storeNow()
        return try await writer.write { db in
            guard
                var record = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM runner_tokens WHERE id = ? AND worker_id = ? AND workspace_id = ?",
                    arguments: [tokenID, workerID, owner]
                ).map(StoredShapes.runnerToken)
            else { throw SeekError.notFound("Runner token \(tokenID)") }
            guard record.revokedAt == nil else { return record }
            try db.execute(sql: "UPDATE runner_tokens SET revoked_at = ? WHERE id = ?", arguments: [now.storedMillis, tokenID])
            try Self.moveCounter("credentials", in: db)
            record.revokedAt = now
            return record
        }
    }

    public func runnerIdentity(forTokenHash hash: String) async throws -> RunnerIdentity? {
        try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, worker_id, workspace_id FROM runner_tokens WHERE token_hash = ? AND revoked_at IS NULL"),
                arguments: [hash]
            ).map { RunnerIdentity(tokenID: try $0.string("id"), workerID: try $0.string("worker_id"), workspaceID: try $0.string("workspace_id")) }
        }
    }

    public func runnerTokenIsLive(id: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM runner_tokens WHERE id = ? AND revoked_at IS NULL)"),
                arguments: [id]
            ) ?? false
        }
    }

    public func recordRunnerSeen(_ identity: RunnerIdentity, claimant: String, at date: Date) async throws {
        try await writer.write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO runner_presence (claimant, worker_id, last_seen) VALUES (?, ?, ?)
                    ON CONFLICT (claimant) DO UPDATE SET last_seen = excluded.last_seen
                    """
            ).execute(arguments: [claimant, identity.workerID, date.storedMillis])
            try db.cachedStatement(
                sql: "UPDATE runner_tokens SET last_used_at = ? WHERE id = ?"
            ).execute(arguments: [date.storedMillis, identity.tokenID])
        }
    }

    public func runnersOnline(workerIDs: [String], since: Date) async throws -> [String: Int] {
        guard !workerIDs.isEmpty else { return [:] }
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT worker_id, COUNT(*) AS runners FROM runner_presence
                    WHERE worker_id IN (\(workerIDs.map { _ in "?" }.joined(separator: ", "))) AND last_seen >= ?
                    GROUP BY worker_id
                    """,
                arguments: StatementArguments(workerIDs) + [since.storedMillis]
            )
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["worker_id"], $0["runners"]) })
        }
    }

    public func workersEpoch() async throws -> Int64 {
        try await read { db in try Self.counter("workers", in: db) }
    }

    private static func workerRow(id: String, in db: Database) throws -> PublishedWorker? {
        try Row.fetchOne(db, sql: "\(StoredShapes.selectWorker) WHERE w.id = ?", arguments: [id]).map(StoredShapes.worker)
    }

    private static func ownedWorker(id: String, owner: String, in db: Database) throws -> PublishedWorker? {
        try workerRow(id: id, in: db).flatMap { $0.ownerWorkspaceID == owner ? $0 : nil }
    }

    private static func insertVersion(_ manifest: WorkerManifest, number: Int, at now: Date, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO worker_versions (worker_id, number, version, manifest, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [manifest.id, number, manifest.version, manifest.json.serializedString, now.storedMillis]
        )
    }
}

extension SQLiteStore {
    /// A counter of `store_counters` that every process sharing the database reads.
    static func counter(_ name: String, in db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM store_counters WHERE name = ?"), arguments: [name]) ?? 0
    }

    static func moveCounter(_ name: String, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE store_counters SET value = value + 1 WHERE name = ?").execute(arguments: [name])
    }
}
