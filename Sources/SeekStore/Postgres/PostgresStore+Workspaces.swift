import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: WorkspaceStore {
    public func createWorkspace(_ request: NewWorkspace) async throws -> CreatedWorkspace {
        let request = try request.validated()
        let now = Date.storeNow()
        let logger = logger
        return try await write { db in try await Self.insertWorkspace(request, at: now, on: db, logger: logger) }
    }

    /// A validated workspace, its first key and its webhook secret, inside the caller's transaction.
    static func insertWorkspace(_ request: NewWorkspace, at now: Date, on db: PostgresConnection, logger: Logger) async throws -> CreatedWorkspace {
        let workspace = StoredShapes.newWorkspace(request, at: now)
        let key = Secrets.makeAPIKey()
        try await db.run(
            """
            INSERT INTO workspaces (id, name, plan, balance, reserved, granted_month, created_at)
            VALUES (\(workspace.id), \(workspace.name), \(workspace.plan.name), 0, 0, \(UTCMonth(now).description), \(now.storedMillis))
            """,
            logger: logger
        )
        try await insertKey(.new(workspaceID: workspace.id, name: "default", key: key, scope: .full, at: now), key: key, on: db, logger: logger)
        try await saveSecrets(WebhookSecrets(current: .generate()), workspaceID: workspace.id, on: db, logger: logger)
        if request.firstCredits > 0 {
            try await post(.grant, request.firstCredits, workspaceID: workspace.id, at: now, on: db, logger: logger)
        }
        return CreatedWorkspace(workspace: workspace, apiKey: key)
    }

    private static func insertKey(_ record: APIKeyRecord, key: String, on db: PostgresConnection, logger: Logger) async throws {
        try await db.run(
            """
            INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, scope, created_at)
            VALUES (\(record.id), \(record.workspaceID), \(record.name), \(record.prefix), \(Secrets.hashAPIKey(key)),
                    \(record.scope.rawValue), \(record.createdAt.storedMillis))
            """,
            logger: logger
        )
    }

    public func workspace(id: String) async throws -> Workspace? {
        let logger = logger
        return try await read { db in try await Self.fetchWorkspace(id: id, on: db, logger: logger) }
    }

    /// The workspace; `locking` holds its row until the transaction ends.
    static func fetchWorkspace(id: String, locking: Bool = false, on db: PostgresConnection, logger: Logger) async throws -> Workspace? {
        try await db.first("SELECT * FROM workspaces WHERE id = \(id) \(unescaped: locking ? "FOR UPDATE" : "")", logger: logger)
            .map(StoredShapes.workspace)
    }

    public func updateWorkspace(id: String, _ change: WorkspaceChange) async throws -> Workspace {
        let logger = logger
        return try await write { db in
            guard let current = try await Self.fetchWorkspace(id: id, locking: true, on: db, logger: logger) else {
                throw SeekError.notFound("Workspace \(id)")
            }
            let workspace = try current.applying(change)
            try await db.run(
                """
                UPDATE workspaces SET plan = \(workspace.plan.name), rate_per_second = \(workspace.customRateLimit?.perSecond),
                                      burst = \(workspace.customRateLimit?.burst), credit_line = \(workspace.creditLine),
                                      concurrency = \(workspace.customConcurrency), max_keys = \(workspace.customMaxKeys)
                WHERE id = \(id)
                """,
                logger: logger
            )
            try await Self.moveCounter("credentials", on: db, logger: logger)
            return workspace
        }
    }

    public func identity(forKeyHash hash: String) async throws -> APIKeyIdentity? {
        let logger = logger
        return try await read { db in
            try await db.first(
                """
                SELECT k.id, k.workspace_id, k.last_used_at, k.scope, w.plan, w.rate_per_second, w.burst
                FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
                WHERE k.key_hash = \(hash) AND k.revoked_at IS NULL
                """,
                logger: logger
            ).map(StoredShapes.identity)
        }
    }

    public func serverSecret(named name: String) async throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let fresh = ByteBuffer(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let logger = logger
        // Of two nodes making it at once, the first insert wins and both read that one back.
        return try await write { db in
            try await db.run("INSERT INTO server_secrets (name, value) VALUES (\(name), \(fresh)) ON CONFLICT (name) DO NOTHING", logger: logger)
            guard let row = try await db.query("SELECT value FROM server_secrets WHERE name = \(name)", logger: logger).collect().first else {
                return Array(fresh.readableBytesView)
            }
            return Array(try row.decode(ByteBuffer.self).readableBytesView)
        }
    }

    public func keyHashes(createdSince since: Date) async throws -> [(hash: String, createdAt: Date)] {
        let logger = logger
        let rows = try await read { db in
            try await db.all("SELECT key_hash, created_at FROM api_keys WHERE created_at >= \(since.storedMillis)", logger: logger)
                .map { row in KeyHash(hash: try row.string("key_hash"), createdAt: try row.date("created_at") ?? since) }
        }
        return rows.map { ($0.hash, $0.createdAt) }
    }

    private struct KeyHash: Sendable {
        let hash: String
        let createdAt: Date
    }

    public func credentialsEpoch() async throws -> Int64 {
        let logger = logger
        return try await read { db in try await Self.counter("credentials", on: db, logger: logger) }
    }

    public func keys(workspaceID: String) async throws -> [APIKeyRecord] {
        let logger = logger
        return try await read { db in
            try await db.all(
                "SELECT * FROM api_keys WHERE workspace_id = \(workspaceID) AND revoked_at IS NULL ORDER BY created_at, id",
                logger: logger
            ).map(StoredShapes.key)
        }
    }

    private static func liveKeys(workspaceID: String, on db: PostgresConnection, logger: Logger) async throws -> Int {
        try await db.first(
            "SELECT COUNT(*) AS live FROM api_keys WHERE workspace_id = \(workspaceID) AND revoked_at IS NULL",
            logger: logger
        )?.int("live") ?? 0
    }

    public func createKey(workspaceID: String, name: String, scope: KeyScope) async throws -> (record: APIKeyRecord, key: String) {
        let key = Secrets.makeAPIKey()
        let record = APIKeyRecord.new(workspaceID: workspaceID, name: name, key: key, scope: scope, at: Date.storeNow())
        let logger = logger
        try await write { db in
            // The workspace's row is locked, so that keys made at once on many nodes are counted one after another.
            guard let workspace = try await Self.fetchWorkspace(id: workspaceID, locking: true, on: db, logger: logger) else {
                throw SeekError.notFound("Workspace \(workspaceID)")
            }
            try APIKeyRecord.checkCreatable(liveKeys: try await Self.liveKeys(workspaceID: workspaceID, on: db, logger: logger), in: workspace)
            try await Self.insertKey(record, key: key, on: db, logger: logger)
        }
        return (record, key)
    }

    public func revokeKey(workspaceID: String, keyID: String) async throws -> APIKeyRecord {
        let logger = logger
        return try await write { db in
            guard try await Self.fetchWorkspace(id: workspaceID, locking: true, on: db, logger: logger) != nil,
                var record = try await db.first(
                    "SELECT * FROM api_keys WHERE id = \(keyID) AND workspace_id = \(workspaceID) AND revoked_at IS NULL",
                    logger: logger
                ).map(StoredShapes.key)
            else { throw SeekError.notFound("API key \(keyID)") }
            try APIKeyRecord.checkRevocable(liveKeys: try await Self.liveKeys(workspaceID: workspaceID, on: db, logger: logger))
            let now = Date.storeNow()
            try await db.run("UPDATE api_keys SET revoked_at = \(now.storedMillis) WHERE id = \(keyID)", logger: logger)
            try await Self.moveCounter("credentials", on: db, logger: logger)
            record.revokedAt = now
            return record
        }
    }

    public func recordKeyUse(keyID: String, at date: Date) async throws {
        let logger = logger
        try await write { db in
            try await db.run("UPDATE api_keys SET last_used_at = \(date.storedMillis) WHERE id = \(keyID)", logger: logger)
        }
    }

    public func webhookSecrets(workspaceID: String) async throws -> WebhookSecrets {
        let logger = logger
        if let stored = try await read({ db in try await Self.loadSecrets(workspaceID: workspaceID, on: db, logger: logger) }) {
            return stored
        }
        return try await write { db in try await Self.secrets(workspaceID: workspaceID, on: db, logger: logger) }
    }

    /// The workspace's secrets, made now if the workspace predates them.
    static func secrets(workspaceID: String, on db: PostgresConnection, logger: Logger) async throws -> WebhookSecrets {
        if let stored = try await loadSecrets(workspaceID: workspaceID, on: db, logger: logger) { return stored }
        let made = WebhookSecrets(current: .generate())
        try await db.run(
            """
            INSERT INTO webhook_secrets (workspace_id, secret, previous_secret, previous_until)
            VALUES (\(workspaceID), \(made.current.encoded), NULL, NULL) ON CONFLICT (workspace_id) DO NOTHING
            """,
            logger: logger
        )
        // Another node may have made them first: theirs are the ones.
        return try await loadSecrets(workspaceID: workspaceID, on: db, logger: logger) ?? made
    }

    public func rotateWebhookSecret(workspaceID: String) async throws -> WebhookSecrets {
        let logger = logger
        return try await write { db in
            let now = Date.storeNow()
            let stored = try await Self.loadSecrets(workspaceID: workspaceID, locking: true, on: db, logger: logger)
            let rotated = stored.map { $0.rotated(to: .generate(), at: now) } ?? WebhookSecrets(current: .generate())
            try await Self.saveSecrets(rotated, workspaceID: workspaceID, on: db, logger: logger)
            return rotated
        }
    }

    private static func loadSecrets(
        workspaceID: String,
        locking: Bool = false,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> WebhookSecrets? {
        try await db.first(
            "SELECT * FROM webhook_secrets WHERE workspace_id = \(workspaceID) \(unescaped: locking ? "FOR UPDATE" : "")",
            logger: logger
        ).flatMap(StoredShapes.secrets)
    }

    private static func saveSecrets(_ secrets: WebhookSecrets, workspaceID: String, on db: PostgresConnection, logger: Logger) async throws {
        try await db.run(
            """
            INSERT INTO webhook_secrets (workspace_id, secret, previous_secret, previous_until)
            VALUES (\(workspaceID), \(secrets.current.encoded), \(secrets.previous?.encoded), \(secrets.previousUntil?.storedMillis))
            ON CONFLICT (workspace_id) DO UPDATE
            SET secret = excluded.secret, previous_secret = excluded.previous_secret, previous_until = excluded.previous_until
            """,
            logger: logger
        )
    }
}
