import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: WorkerStore {
    public func createWorker(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker {
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in
            // The id's primary key decides between two nodes creating it at once; the loser's insert changes nothing.
            let inserted = try await db.run(
                """
                INSERT INTO workers (id, owner_id, state, current_version, created_at) VALUES (\(manifest.id), \(owner), 'draft', 1, \(now.storedMillis))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """,
                logger: logger
            )
            guard inserted == 1 else { throw SeekError.invalidManifest(at: "/id", "\(manifest.id) is taken") }
            try await Self.insertVersion(manifest, number: 1, at: now, on: db, logger: logger)
            try await Self.moveCounter("workers", on: db, logger: logger)
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
        let logger = logger
        return try await write { db in
            guard var worker = try await Self.ownedWorker(id: manifest.id, owner: owner, locking: true, on: db, logger: logger) else {
                throw SeekError.notFound("Worker \(manifest.id)")
            }
            let used = try await db.first(
                "SELECT 1 FROM worker_versions WHERE worker_id = \(manifest.id) AND version = \(manifest.version)",
                logger: logger
            )
            guard used == nil else {
                throw SeekError.invalidManifest(at: "/version", "version \(manifest.version) of \(manifest.id) exists already")
            }
            let number = worker.current.number + 1
            try await Self.insertVersion(manifest, number: number, at: now, on: db, logger: logger)
            try await db.run("UPDATE workers SET current_version = \(number) WHERE id = \(manifest.id)", logger: logger)
            try await Self.moveCounter("workers", on: db, logger: logger)
            worker.current = WorkerVersion(number: number, manifest: manifest, createdAt: now)
            return worker
        }
    }

    public func setWorkerState(id: String, owner: String, _ state: PublishedWorker.State) async throws -> PublishedWorker {
        let logger = logger
        return try await write { db in
            guard var worker = try await Self.ownedWorker(id: id, owner: owner, locking: true, on: db, logger: logger) else {
                throw SeekError.notFound("Worker \(id)")
            }
            guard worker.state != state else { return worker }
            try await db.run("UPDATE workers SET state = \(state.rawValue) WHERE id = \(id)", logger: logger)
            try await Self.moveCounter("workers", on: db, logger: logger)
            worker.state = state
            return worker
        }
    }

    public func publishedWorker(id: String) async throws -> PublishedWorker? {
        let logger = logger
        return try await read { db in try await Self.workerRow(id: id, on: db, logger: logger) }
    }

    public func workerVersion(id: String, number: Int) async throws -> WorkerVersion? {
        let logger = logger
        return try await read { db in
            try await db.first(
                "SELECT number, manifest, created_at FROM worker_versions WHERE worker_id = \(id) AND number = \(number)",
                logger: logger
            ).map(StoredShapes.workerVersion)
        }
    }

    public func publishedWorkers(owner: String?) async throws -> [PublishedWorker] {
        let logger = logger
        return try await read { db in
            try await db.all(
                """
                \(unescaped: StoredShapes.selectWorker)
                WHERE (\(owner)::text IS NULL AND w.state = 'published') OR w.owner_id = \(owner) ORDER BY w.id
                """,
                logger: logger
            ).map(StoredShapes.worker)
        }
    }

    public func jobsEnded(workerIDs: [String], from start: Date, until end: Date) async throws -> [String: Int] {
        guard !workerIDs.isEmpty else { return [:] }
        let logger = logger
        return try await read { db in
            let rows = try await db.all(
                """
                SELECT worker_id, COUNT(*) AS jobs FROM jobs
                WHERE worker_id = ANY(\(workerIDs)) AND worker_version IS NOT NULL
                      AND completed_at >= \(start.storedMillis) AND completed_at < \(end.storedMillis)
                GROUP BY worker_id
                """,
                logger: logger
            )
            return try Self.counts(rows, key: "worker_id", value: "jobs")
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
        let logger = logger
        try await write { db in
            guard try await Self.ownedWorker(id: workerID, owner: owner, on: db, logger: logger) != nil else {
                throw SeekError.notFound("Worker \(workerID)")
            }
            try await db.run(
                """
                INSERT INTO runner_tokens (id, worker_id, workspace_id, prefix, token_hash, created_at)
                VALUES (\(record.id), \(workerID), \(owner), \(record.prefix), \(Secrets.hashAPIKey(token)), \(now.storedMillis))
                """,
                logger: logger
            )
        }
        return (record, token)
    }

    public func runnerTokens(workerID: String, owner: String) async throws -> [RunnerTokenRecord] {
        let logger = logger
        return try await read { db in
            guard try await Self.ownedWorker(id: workerID, owner: owner, on: db, logger: logger) != nil else {
                throw SeekError.notFound("Worker \(workerID)")
            }
            return try await db.all("SELECT * FROM runner_tokens WHERE worker_id = \(workerID) ORDER BY id DESC", logger: logger)
                .map(StoredShapes.runnerToken)
        }
    }

    public func revokeRunnerToken(workerID: String, owner: String, tokenID: String) async throws -> RunnerTokenRecord {
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in
            guard
                var record = try await db.first(
                    """
                    SELECT * FROM runner_tokens WHERE id = \(tokenID) AND worker_id = \(workerID) AND workspace_id = \(owner) FOR UPDATE
                    """,
                    logger: logger
                ).map(StoredShapes.runnerToken)
            else { throw SeekError.notFound("Runner token \(tokenID)") }
            guard record.revokedAt == nil else { return record }
            try await db.run("UPDATE runner_tokens SET revoked_at = \(now.storedMillis) WHERE id = \(tokenID)", logger: logger)
            try await Self.moveCounter("credentials", on: db, logger: logger)
            record.revokedAt = now
            return record
        }
    }

    public func runnerIdentity(forTokenHash hash: String) async throws -> RunnerIdentity? {
        let logger = logger
        return try await read { db in
            try await db.first(
                "SELECT id, worker_id, workspace_id FROM runner_tokens WHERE token_hash = \(hash) AND revoked_at IS NULL",
                logger: logger
            ).map { row in
                RunnerIdentity(tokenID: try row.string("id"), workerID: try row.string("worker_id"), workspaceID: try row.string("workspace_id"))
            }
        }
    }

    public func runnerTokenIsLive(id: String) async throws -> Bool {
        let logger = logger
        return try await read { db in
            try await db.first("SELECT 1 FROM runner_tokens WHERE id = \(id) AND revoked_at IS NULL", logger: logger) != nil
        }
    }

    public func recordRunnerSeen(_ identity: RunnerIdentity, claimant: String, at date: Date) async throws {
        let logger = logger
        try await write { db in
            try await db.run(
                """
                INSERT INTO runner_presence (claimant, worker_id, last_seen) VALUES (\(claimant), \(identity.workerID), \(date.storedMillis))
                ON CONFLICT (claimant) DO UPDATE SET last_seen = excluded.last_seen
                """,
                logger: logger
            )
            try await db.run("UPDATE runner_tokens SET last_used_at = \(date.storedMillis) WHERE id = \(identity.tokenID)", logger: logger)
        }
    }

    public func runnersOnline(workerIDs: [String], since: Date) async throws -> [String: Int] {
        guard !workerIDs.isEmpty else { return [:] }
        let logger = logger
        return try await read { db in
            let rows = try await db.all(
                """
                SELECT worker_id, COUNT(*) AS runners FROM runner_presence
                WHERE worker_id = ANY(\(workerIDs)) AND last_seen >= \(since.storedMillis)
                GROUP BY worker_id
                """,
                logger: logger
            )
            return try Self.counts(rows, key: "worker_id", value: "runners")
        }
    }

    public func workersEpoch() async throws -> Int64 {
        let logger = logger
        return try await read { db in try await Self.counter("workers", on: db, logger: logger) }
    }

    private static func counts(_ rows: [PostgresStoredRow], key: String, value: String) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try rows.map { (try $0.string(key), try $0.int(value)) })
    }

    private static func workerRow(id: String, locking: Bool = false, on db: PostgresConnection, logger: Logger) async throws -> PublishedWorker? {
        try await db.first(
            "\(unescaped: StoredShapes.selectWorker) WHERE w.id = \(id) \(unescaped: locking ? "FOR UPDATE OF w" : "")",
            logger: logger
        ).map(StoredShapes.worker)
    }

    private static func ownedWorker(
        id: String,
        owner: String,
        locking: Bool = false,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> PublishedWorker? {
        try await workerRow(id: id, locking: locking, on: db, logger: logger).flatMap { $0.ownerWorkspaceID == owner ? $0 : nil }
    }

    private static func insertVersion(_ manifest: WorkerManifest, number: Int, at now: Date, on db: PostgresConnection, logger: Logger) async throws {
        try await db.run(
            """
            INSERT INTO worker_versions (worker_id, number, version, manifest, created_at)
            VALUES (\(manifest.id), \(number), \(manifest.version), \(manifest.json.serializedString), \(now.storedMillis))
            """,
            logger: logger
        )
    }
}
