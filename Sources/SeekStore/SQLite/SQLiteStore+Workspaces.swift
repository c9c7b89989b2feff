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
            try db.execute(
                sql: """
                    INSERT INTO workspaces (id, name, plan, balance, reserved, granted_month, created_at) VALUES (?, ?, ?, 0, 0, ?, ?)
                    """,
                arguments: [workspaceID, name, request.plan.name, month, now.storedMillis]
            )
            try Self.insertKey(workspaceID: workspaceID, name: "default", key: key, scope: .full, at: now, in: db)
            try Self.saveSecrets(WebhookSecrets(current: .generate()), workspaceID: workspaceID, in: db)
            if grant > 0 {
                try Self.post(.grant, grant, workspaceID: workspaceID, at: now, in: db)
            }
        }
        let workspace = Workspace(
            id: workspaceID,
            name: name,
            plan: request.plan,
            credits: CreditBalance(balance: grant, reserved: 0),
            customRateLimit: nil,
            creditLine: 0,
            createdAt: now
        )
        return CreatedWorkspace(workspace: workspace, apiKey: key)
    }

    @discardableResult
    private static func insertKey(
        workspaceID: String,
        name: String,
        key: String,
        scope: KeyScope,
        at now: Date,
        in db: Database
    ) throws -> APIKeyRecord {
        let record = APIKeyRecord(
            id: IDKind.key.make(now: now),
            workspaceID: workspaceID,
            name: name,
            prefix: Secrets.displayPrefix(of: key),
            scope: scope,
            createdAt: now,
            lastUsedAt: nil,
            revokedAt: nil
        )
        try db.execute(
            sql: """
                INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, scope, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [record.id, workspaceID, name, record.prefix, Secrets.hashAPIKey(key), scope.rawValue, now.storedMillis]
        )
        return record
    }

    public func workspace(id: String) async throws -> Workspace? {
        try await read { db in try Self.fetchWorkspace(id: id, in: db) }
    }

    static func fetchWorkspace(id: String, in db: Database) throws -> Workspace? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM workspaces WHERE id = ?", arguments: [id]) else { return nil }
        let custom = (row["rate_per_second"] as Int?).flatMap { rate in (row["burst"] as Int?).map { RateLimit(perSecond: rate, burst: $0) } }
        return Workspace(
            id: row["id"],
            name: row["name"],
            plan: Plan.named(row["plan"]) ?? .free,
            credits: CreditBalance(balance: row["balance"], reserved: row["reserved"]),
            customRateLimit: custom,
            creditLine: row["credit_line"],
            createdAt: row.date("created_at") ?? Date()
        )
    }

    public func updateWorkspace(id: String, _ change: WorkspaceChange) async throws -> Workspace {
        let updated = try await writer.write { db -> Workspace in
            guard var workspace = try Self.fetchWorkspace(id: id, in: db) else { throw SeekError.notFound("Workspace \(id)") }
            if let plan = change.plan { workspace.plan = plan }
            if let limit = change.rateLimit {
                guard workspace.plan.allowsCustomRateLimit else {
                    throw SeekError(
                        .badRequest,
                        "The \(workspace.plan.name) plan has fixed rate limits; only a plan that allows custom limits (enterprise) takes --rate and --burst."
                    )
                }
                guard limit.perSecond >= 1, limit.burst >= 1 else { throw SeekError(.badRequest, "--rate and --burst must be at least 1.") }
                workspace.customRateLimit = limit
            }
            if let line = change.creditLine {
                guard line >= 0 else { throw SeekError(.badRequest, "A credit line cannot be negative.") }
                guard line == 0 || workspace.plan.allowsCreditLine else {
                    throw SeekError(.badRequest, "The \(workspace.plan.name) plan does not allow a credit line.")
                }
                workspace.creditLine = line
            }
            // A plan without these allowances drops them, so limits and credit lines always match the plan.
            if !workspace.plan.allowsCustomRateLimit { workspace.customRateLimit = nil }
            if !workspace.plan.allowsCreditLine { workspace.creditLine = 0 }
            try db.execute(
                sql: "UPDATE workspaces SET plan = ?, rate_per_second = ?, burst = ?, credit_line = ? WHERE id = ?",
                arguments: [
                    workspace.plan.name, workspace.customRateLimit?.perSecond, workspace.customRateLimit?.burst,
                    workspace.creditLine, id,
                ]
            )
            return workspace
        }
        keyCache.withLock { cache in cache = cache.filter { $0.value.identity.workspaceID != id } }
        return updated
    }

    public func identity(forKeyHash hash: String) async throws -> APIKeyIdentity? {
        let now = ContinuousClock.now
        if let cached = keyCache.withLock({ $0[hash] }), now - cached.readAt < Self.identityLifetime { return cached.identity }
        let identity = try await read { db -> APIKeyIdentity? in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT k.id, k.workspace_id, k.last_used_at, k.scope, w.plan, w.rate_per_second, w.burst
                    FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
                    WHERE k.key_hash = ? AND k.revoked_at IS NULL
                    """
            )
            guard let row = try Row.fetchOne(statement, arguments: [hash]) else { return nil }
            let plan = Plan.named(row["plan"]) ?? .free
            var limit = plan.rateLimit
            if plan.allowsCustomRateLimit, let rate = row["rate_per_second"] as Int?, let burst = row["burst"] as Int? {
                limit = RateLimit(perSecond: rate, burst: burst)
            }
            return APIKeyIdentity(
                workspaceID: row["workspace_id"],
                keyID: row["id"],
                lastUsedAt: row.date("last_used_at"),
                scope: KeyScope(rawValue: row["scope"]) ?? .read,
                rateLimit: limit,
                hasMonthlyGrant: plan.monthlyGrant > 0
            )
        }
        // Unknown keys are not cached: a key created by an admin process must work at once.
        keyCache.withLock { cache in
            if let identity { cache[hash] = (identity, now) } else { cache.removeValue(forKey: hash) }
        }
        return identity
    }

    public func keys(workspaceID: String) async throws -> [APIKeyRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY created_at, id
                    """,
                arguments: [workspaceID]
            ).map(Self.keyRecord)
        }
    }

    private static func keyRecord(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"],
            workspaceID: row["workspace_id"],
            name: row["name"],
            prefix: row["prefix"],
            scope: KeyScope(rawValue: row["scope"]) ?? .read,
            createdAt: row.date("created_at") ?? Date(),
            lastUsedAt: row.date("last_used_at"),
            revokedAt: row.date("revoked_at")
        )
    }

    public func createKey(workspaceID: String, name: String, scope: KeyScope) async throws -> (record: APIKeyRecord, key: String) {
        let key = Secrets.makeAPIKey()
        let record = try await writer.write { db in
            try Self.insertKey(workspaceID: workspaceID, name: name, key: key, scope: scope, at: Date.storeNow(), in: db)
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
            guard live > 1 else {
                throw SeekError(.conflict, "A workspace keeps at least one API key: create another before revoking this one.")
            }
            let now = Date.storeNow()
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?", arguments: [now.storedMillis, keyID])
            // Before the commit answers: no request can pass with this key once the revocation returns.
            self.keyCache.withLock { cache in cache = cache.filter { $0.value.identity.keyID != keyID } }
            var record = Self.keyRecord(row)
            record.revokedAt = now
            return record
        }
    }

    public func recordKeyUse(keyID: String, at date: Date) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?").execute(arguments: [date.storedMillis, keyID])
            self.keyCache.withLock { cache in
                for (hash, entry) in cache where entry.identity.keyID == keyID { cache[hash]?.identity.lastUsedAt = date }
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
            let rotated =
                (try Self.loadSecrets(workspaceID: workspaceID, in: db)).map { $0.rotated(to: .generate(), at: now) }
                ?? WebhookSecrets(current: .generate())
            try Self.saveSecrets(rotated, workspaceID: workspaceID, in: db)
            return rotated
        }
    }

    private static func loadSecrets(workspaceID: String, in db: Database) throws -> WebhookSecrets? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM webhook_secrets WHERE workspace_id = ?", arguments: [workspaceID]),
            let current = WebhookSecret(encoded: row["secret"])
        else { return nil }
        return WebhookSecrets(
            current: current,
            previous: (row["previous_secret"] as String?).flatMap(WebhookSecret.init(encoded:)),
            previousUntil: row.date("previous_until")
        )
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
