import Foundation
import GRDB
import SeekCore

extension SQLiteStore: WebhookStore {
    /// Puts a job's webhook in the outbox, in the caller's transaction: the job becomes terminal and
    /// its webhook exists, or neither.
    static func enqueueWebhook(
        url: String,
        workspaceID: String,
        jobID: String,
        payload: String,
        event: String,
        at now: Date,
        in db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO webhook_deliveries (id, workspace_id, job_id, url, event, payload, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            IDKind.whd.make(now: now), workspaceID, jobID, url, event, payload, now.storedMillis,
            now.storedMillis,
        ])
    }

    public func claimDueWebhooks(now: Date, limit: Int, claimant: String, leaseSeconds: Double) async throws -> [WebhookDelivery] {
        guard limit > 0 else { return [] }
        let nowMillis = now.storedMillis
        let leaseEnd = now.addingTimeInterval(leaseSeconds).storedMillis
        return try await writer.write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_at = ?, claimed_by = ?
                        WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?
                                      ORDER BY next_attempt_at, seq LIMIT ?)
                        RETURNING id, workspace_id, job_id, url, event, payload, attempts, created_at
                        """
                ),
                arguments: [leaseEnd, nowMillis, claimant, nowMillis, limit]
            )
            var secretsByWorkspace: [String: WebhookSecrets] = [:]
            return try rows.map { row in
                let workspaceID: String = row["workspace_id"]
                let secrets = try secretsByWorkspace[workspaceID] ?? Self.secrets(workspaceID: workspaceID, in: db)
                secretsByWorkspace[workspaceID] = secrets
                return try StoredShapes.delivery(row, secrets: secrets, now: now)
            }
        }
    }

    public func recordWebhookAttempt(deliveryID: String, attempt: WebhookAttempt, next: WebhookNextStep) async throws {
        let (state, nextAttempt) = next.stored
        try await writer.write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [deliveryID, attempt.attemptedAt.storedMillis, attempt.statusCode, attempt.error, attempt.durationMs])
            try db.cachedStatement(
                sql: """
                    UPDATE webhook_deliveries SET attempts = attempts + 1, state = ?, next_attempt_at = COALESCE(?, next_attempt_at),
                                                  claimed_at = NULL, claimed_by = NULL
                    WHERE id = ?
                    """
            ).execute(arguments: [state.rawValue, nextAttempt?.storedMillis, deliveryID])
        }
    }

    public func nextWebhookDue() async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending'")
                .map(Date.init(storedMillis:))
        }
    }

    public func releaseWebhookClaims(of claimant: String) async throws -> Int {
        let now = Date.storeNow().storedMillis
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET next_attempt_at = ?, claimed_at = NULL, claimed_by = NULL
                    WHERE state = 'pending' AND claimed_by = ?
                    """,
                arguments: [now, claimant]
            )
            return db.changesCount
        }
    }

    public func webhookAttempts(jobID: String, workspaceID: String) async throws -> [WebhookAttempt]? {
        try await read { db in
            guard try Self.fetchJob(id: jobID, workspaceID: workspaceID, in: db) != nil else { return nil }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                    WHERE d.job_id = ? ORDER BY a.seq
                    """,
                arguments: [jobID]
            ).map(StoredShapes.webhookAttempt)
        }
    }

    public func pendingWebhookCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'") ?? 0 }
    }
}
