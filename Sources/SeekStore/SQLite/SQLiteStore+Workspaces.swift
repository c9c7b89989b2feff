import Foundation
import GRDB
import SeekCore

extension SQLiteStore: WorkspaceStore {
    public func createWorkspace(_ request: NewWorkspace) async throws -> CreatedWorkspace {
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw SeekError(.badRequest, "A workspace name is 1 to 200 characters.") }
        if let credits = request.startingCredits, credits < 0 {
            throw SeekError(.badRequest, "Starting credits cannot be negative.")
        }
        let now = Date.storeNow()
        let workspaceID = IDKind.ws.make(now: now)
        let key = Secrets.makeAPIKey()
        let grant = request.startingCredits ?? request.plan.monthlyGrant
        let month = UTCMonth(now).description
        try await writer.write { db in
            try db.execute(sql: """
                INSERT INTO workspaces (id, name, plan, balance, reserved, granted_month, created_at) VALUES (?, ?, ?, 0, 0, ?, ?)
                """, arguments: [workspaceID, name, request.plan.name, month, now.storedMillis])
            try Self.insertKey(workspaceID: workspaceID, name: "default", key: key, at: now, in: db)
            try Self.saveSecrets(WebhookSecrets(current: .generate()), workspaceID: workspaceID, in: db)
            if grant > 0 {
                try Self.post(.grant, grant, workspaceID: workspaceID, at: now, in: db)
            }
        }
        let workspace = Workspace(id: workspaceID, name: name, plan: request.plan, credits: CreditBalance(balance: grant, reserved: 0),
                                  createdAt: now)
        return CreatedWorkspace(workspace: workspace, apiKey: key)
    }

    @discardableResult
    private static func insertKey(workspaceID: String, name: String, key: String, at now: Date, in db: Database) throws -> APIKeyRecord {
        let record = APIKeyRecord(id: IDKind.key.make(now: now), workspaceID: workspaceID, name: name, prefix: Secrets.displayPrefix(of: key),
                                  createdAt: now, lastUsedAt: nil, revokedAt: nil)
        try db.execute(sql: """
            INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [record.id, workspaceID, name, record.prefix, Secrets.hashAPIKey(key), now.storedMillis])
        return record
    }

    public func workspace(id: String) async throws -> Workspace? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM workspaces WHERE id = ?", arguments: [id]) else { return nil }
            return Workspace(id: row["id"], name: row["name"], plan: Plan.named(row["plan"]) ?? .free,
                             credits: CreditBalance(balance: row["balance"], reserved: row["reserved"]),
                             createdAt: row.date("created_at") ?? Date())
        }
    }

    public func identity(forKeyHash hash: String) async throws -> APIKeyIdentity? {
        if let cached = keyCache.withLock({ $0[hash] }) { return cached }
        let identity = try await read { db -> APIKeyIdentity? in
            let statement = try db.cachedStatement(sql: """
                SELECT id, workspace_id, last_used_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL
                """)
            guard let row = try Row.fetchOne(statement, arguments: [hash]) else { return nil }
            return APIKeyIdentity(workspaceID: row["workspace_id"], keyID: row["id"], lastUsedAt: row.date("last_used_at"))
        }
        // Unknown keys are not cached: a key created by an admin process must work at once.
        if let identity { keyCache.withLock { $0[hash] = identity } }
        return identity
    }

    public func keys(workspaceID: String) async throws -> [APIKeyRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY created_at, id
                """, arguments: [workspaceID]).map(Self.keyRecord)
        }
    }

    private static func keyRecord(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(id: row["id"], workspaceID: row["workspace_id"], name: row["name"], prefix: row["prefix"],
                     createdAt: row.date("created_at") ?? Date(), lastUsedAt: row.date("last_used_at"), revokedAt: row.date("revoked_at"))
    }

    public func createKey(workspaceID: String, name: String) async throws -> (record: APIKeyRecord, key: String) {
        let key = Secrets.makeAPIKey()
        let record = try await writer.write { db in
            try Self.insertKey(workspaceID: workspaceID, name: name, key: key, at: Date.storeNow(), in: db)
        }
        return (record, key)
    }

    public func revokeKey(workspaceID: String, keyID: String) async throws -> APIKeyRecord {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM api_keys WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL
                """, arguments: [keyID, workspaceID])
            else { throw SeekError.notFound("API key \(keyID)") }
            let live = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL",
                                        arguments: [workspaceID]) ?? 0
            guard live > 1 else {
                throw SeekError(.conflict, "A workspace keeps at least one API key: create another before revoking this one.")
            }
            let now = Date.storeNow()
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?", arguments: [now.storedMillis, keyID])
            // Before the commit answers: no request can pass with this key once the revocation returns.
            self.keyCache.withLock { cache in cache = cache.filter { $0.value.keyID != keyID } }
            var record = Self.keyRecord(row)
            record.revokedAt = now
            return record
        }
    }

    public func recordKeyUse(keyID: String, at date: Date) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?").execute(arguments: [date.storedMillis, keyID])
            self.keyCache.withLock { cache in
                for (hash, identity) in cache where identity.keyID == keyID { cache[hash]?.lastUsedAt = date }
            }
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
            let rotated = (try Self.loadSecrets(workspaceID: workspaceID, in: db)).map { $0.rotated(to: .generate(), at: now) }
                ?? WebhookSecrets(current: .generate())
            try Self.saveSecrets(rotated, workspaceID: workspaceID, in: db)
            return rotated
        }
    }

    private static func loadSecrets(workspaceID: String, in db: Database) throws -> WebhookSecrets? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM webhook_secrets WHERE workspace_id = ?", arguments: [workspaceID]),
              let current = WebhookSecret(encoded: row["secret"])
        else { return nil }
        return WebhookSecrets(current: current, previous: (row["previous_secret"] as String?).flatMap(WebhookSecret.init(encoded:)),
                              previousUntil: row.date("previous_until"))
    }

    private static func saveSecrets(_ secrets: WebhookSecrets, workspaceID: String, in db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO webhook_secrets (workspace_id, secret, previous_secret, previous_until) VALUES (?, ?, ?, ?)
            """, arguments: [workspaceID, secrets.current.encoded, secrets.previous?.encoded, secrets.previousUntil?.storedMillis])
    }
}
