import Foundation
import GRDB
import SeekCore

extension SQLiteStore: WorkspaceStore {
    public func createWorkspace(_ request: NewWorkspace) async throws -> CreatedWorkspace {
        let request = try request.validated()
        let now = Date.storeNow()
        return try await writer.write { db in try Self.insertWorkspace(request, at: now, in: db) }
    }

    /// A validated workspace, its first key and its webhook secret, inside the caller's transaction.
    static func insertWorkspace(_ request: NewWorkspace, at now: Date, in db: Database) throws -> CreatedWorkspace {
        let workspace = StoredShapes.newWorkspace(request, at: now)
        let key = Secrets.makeAPIKey()
        try db.execute(
            sql: """
                INSERT INTO workspaces (id, name, plan, balance, reserved, granted_month, created_at) VALUES (?, ?, ?, 0, 0, ?, ?)
                """,
            arguments: [workspace.id, workspace.name, workspace.plan.name, UTCMonth(now).description, now.storedMillis]
        )
        try insertKey(.new(workspaceID: workspace.id, name: "default", key: key, scope: .full, at: now), key: key, in: db)
        try saveSecrets(WebhookSecrets(current: .generate()), workspaceID: workspace.id, in: db)
        if request.firstCredits > 0 {
            try post(.grant, request.firstCredits, workspaceID: workspace.id, at: now, in: db)
        }
        return CreatedWorkspace(workspace: workspace, apiKey: key)
    }

    private static func insertKey(_ record: APIKeyRecord, key: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, scope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, record.workspaceID, record.name, record.prefix, Secrets.hashAPIKey(key), record.scope.rawValue,
                record.createdAt.storedMillis,
            ]
        )
    }

    public func workspace(id: String) async throws -> Workspace? {
        try await read { db in try Self.fetchWorkspace(id: id, in: db) }
    }

    static func fetchWorkspace(id: String, in db: Database) throws -> Workspace? {
        try Row.fetchOne(db, sql: "SELECT * FROM workspaces WHERE id = ?", arguments: [id]).map(StoredShapes.workspace)
    }

    public func updateWorkspace(id: String, _ change: WorkspaceChange) async throws -> Workspace {
        try await writer.write { db -> Workspace in
            guard let current = try Self.fetchWorkspace(id: id, in: db) else { throw SeekError.notFound("Workspace \(id)") }
            let workspace = try current.applying(change)
            try db.execute(
                sql: "UPDATE workspaces SET plan = ?, rate_per_second = ?, burst = ?, credit_line = ?, concurrency = ?, max_keys = ? WHERE id = ?",
                arguments: [
                    workspace.plan.name, workspace.customRateLimit?.perSecond, workspace.customRateLimit?.burst, workspace.creditLine,
                    workspace.customConcurrency, workspace.customMaxKeys, id,
                ]
            )
            try Self.moveCredentialsEpoch(in: db)
            return workspace
        }
    }

    public func identity(forKeyHash hash: String) async throws -> APIKeyIdentity? {
        try await read { db -> APIKeyIdentity? in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT k.id, k.workspace_id, k.last_used_at, k.scope, w.plan, w.rate_per_second, w.burst
                    FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
                    WHERE k.key_hash = ? AND k.revoked_at IS NULL
                    """
            )
            return try Row.fetchOne(statement, arguments: [hash]).map(StoredShapes.identity)
        }
    }

    public func serverSecret(named name: String) async throws -> [UInt8] {
        if let existing = try await read({ db in try Data.fetchOne(db, sql: "SELECT value FROM server_secrets WHERE name = ?", arguments: [name]) }) {
            return Array(existing)
        }
        var generator = SystemRandomNumberGenerator()
        let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        // Of two processes making it at once, the first insert wins and both read that one back.
        return try await writer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO server_secrets (name, value) VALUES (?, ?)", arguments: [name, fresh])
            return Array(try Data.fetchOne(db, sql: "SELECT value FROM server_secrets WHERE name = ?", arguments: [name]) ?? fresh)
        }
    }

    public func keyHashes(createdSince since: Date) async throws -> [(hash: String, createdAt: Date)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT key_hash, created_at FROM api_keys WHERE created_at >= ?", arguments: [since.storedMillis]).map { row in
                (hash: row["key_hash"], createdAt: Date(storedMillis: row["created_at"]))
            }
        }
    }

    public func credentialsEpoch() async throws -> Int64 {
        try await read { db in try Self.counter("credentials", in: db) }
    }

    private static func moveCredentialsEpoch(in db: Database) throws {
        try moveCounter("credentials", in: db)
    }

    public func keys(workspaceID: String) async throws -> [APIKeyRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY created_at, id
                    """,
                arguments: [workspaceID]
            ).map(StoredShapes.key)
        }
    }

    public func createKey(workspaceID: String, name: String, scope: KeyScope) async throws -> (record: APIKeyRecord, key: String) {
        let key = Secrets.makeAPIKey()
        let record = APIKeyRecord.new(workspaceID: workspaceID, name: name, key: key, scope: scope, at: Date.storeNow())
        try await writer.write { db in
            guard let workspace = try Self.fetchWorkspace(id: workspaceID, in: db) else { throw SeekError.notFound("Workspace \(workspaceID)") }
            let live = try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL",
                arguments: [workspaceID]
            )
            try APIKeyRecord.checkCreatable(liveKeys: live ?? 0, in: workspace)
            try Self.insertKey(record, key: key, in: db)
        }
        return (record, key)
    }

    public func revokeKey(workspaceID: String, keyID: String) async throws -> APIKeyRecord {
        try await writer.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM api_keys WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL
                        """,
                    arguments: [keyID, workspaceID]
                )
            else { throw SeekError.notFound("API key \(keyID)") }
            let live =
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL",
                    arguments: [workspaceID]
                ) ?? 0
            try APIKeyRecord.checkRevocable(liveKeys: live)
            let now = Date.storeNow()
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?", arguments: [now.storedMillis, keyID])
            try Self.moveCredentialsEpoch(in: db)
            var record = try StoredShapes.key(row)
            record.revokedAt = now
            return record
        }
    }

    public func recordKeyUse(keyID: String, at date: Date) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?").execute(arguments: [date.storedMillis, keyID])
        }
    }

    public func webhookSecrets(workspaceID: String) async throws -> WebhookSecrets {
        if let stored = try await read({ db in try Self.loadSecrets(workspaceID: workspaceID, in: db) }) { return stored }
        return try await writer.write { db in try Self.secrets(workspaceID: workspaceID, in: db) }
    }

    /// The workspace's secrets, made now if the workspace predates them.
    static func secrets(workspaceID: String, in db: Database) throws -> WebhookSecrets {
        if let stored = try loadSecrets(workspaceID: workspaceID, in: db) { return stored }
        let made = WebhookSecrets(current: .generate())
        try saveSecrets(made, workspaceID: workspaceID, in: db)
        return made
    }

    public func rotateWebhookSecret(workspaceID: String) async throws -> WebhookSecrets {
        try await writer.write { db in
            let now = Date.storeNow()
            let rotated =
                (try Self.loadSecrets(workspaceID: workspaceID, in: db)).map { $0.rotated(to: .generate(), at: now) }
                ?? WebhookSecrets(current: .generate())
            try Self.saveSecrets(rotated, workspaceID: workspaceID, in: db)
            return rotated
        }
    }

    private static func loadSecrets(workspaceID: String, in db: Database) throws -> WebhookSecrets? {
        try Row.fetchOne(db, sql: "SELECT * FROM webhook_secrets WHERE workspace_id = ?", arguments: [workspaceID]).flatMap(StoredShapes.secrets)
    }

    private static func saveSecrets(_ secrets: WebhookSecrets, workspaceID: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO webhook_secrets (workspace_id, secret, previous_secret, previous_until) VALUES (?, ?, ?, ?)
                """,
            arguments: [workspaceID, secrets.current.encoded, secrets.previous?.encoded, secrets.previousUntil?.storedMillis]
        )
    }
}
