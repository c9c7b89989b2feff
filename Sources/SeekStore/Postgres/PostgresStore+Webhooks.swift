import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: WebhookStore {
    /// Puts a job's webhook in the outbox, in the caller's transaction: the job becomes terminal and its webhook
    /// exists, or neither.
    static func enqueueWebhook(
        url: String,
        workspaceID: String,
        jobID: String,
        payload: String,
        event: String,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws {
        let id = IDKind.whd.make(now: now)
        try await RowInsert(
            into: "webhook_deliveries",
            columns: ["id", "workspace_id", "job_id", "url", "event", "payload", "next_attempt_at", "created_at"]
        ) { binds in
            try binds.append(id)
            try binds.append(workspaceID)
            try binds.append(jobID)
            try binds.append(url)
            try binds.append(event)
            try binds.append(payload)
            try binds.append(now.storedMillis)
            try binds.append(now.storedMillis)
        }.run(on: db, logger: logger)
    }

    public func claimDueWebhooks(now: Date, limit: Int, claimant: String, leaseSeconds: Double) async throws -> [WebhookDelivery] {
        guard limit > 0 else { return [] }
        let nowMillis = now.storedMillis
        let leaseEnd = now.addingTimeInterval(leaseSeconds).storedMillis
        let logger = logger
        return try await write { db in
            // Skipping locked rows, senders on many nodes take disjoint deliveries at once.
            let rows = try await db.all(
                """
                UPDATE webhook_deliveries SET next_attempt_at = \(leaseEnd), claimed_at = \(nowMillis), claimed_by = \(claimant)
                WHERE seq IN (SELECT seq FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= \(nowMillis)
                              ORDER BY next_attempt_at, seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING id, workspace_id, job_id, url, event, payload, attempts, created_at
                """,
                logger: logger
            )
            var secretsByWorkspace: [String: WebhookSecrets] = [:]
            var deliveries: [WebhookDelivery] = []
            for row in rows {
                let workspaceID = try row.string("workspace_id")
                let secrets: WebhookSecrets
                if let known = secretsByWorkspace[workspaceID] {
                    secrets = known
                } else {
                    secrets = try await Self.secrets(workspaceID: workspaceID, on: db, logger: logger)
                }
                secretsByWorkspace[workspaceID] = secrets
                deliveries.append(try StoredShapes.delivery(row, secrets: secrets, now: now))
            }
            return deliveries
        }
    }

    public func recordWebhookAttempt(deliveryID: String, attempt: WebhookAttempt, next: WebhookNextStep) async throws {
        let (state, nextAttempt) = next.stored
        let logger = logger
        try await write { db in
            try await db.run(
                """
                INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms)
                VALUES (\(deliveryID), \(attempt.attemptedAt.storedMillis), \(attempt.statusCode), \(attempt.error), \(attempt.durationMs))
                """,
                logger: logger
            )
            try await db.run(
                """
                UPDATE webhook_deliveries SET attempts = attempts + 1, state = \(state.rawValue),
                                              next_attempt_at = COALESCE(\(nextAttempt?.storedMillis), next_attempt_at),
                                              claimed_at = NULL, claimed_by = NULL
                WHERE id = \(deliveryID)
                """,
                logger: logger
            )
        }
    }

    public func nextWebhookDue() async throws -> Date? {
        let logger = logger
        return try await read { db in
            try await db.first("SELECT MIN(next_attempt_at) AS due FROM webhook_deliveries WHERE state = 'pending'", logger: logger)?.date("due")
        }
    }

    public func releaseWebhookClaims(of claimant: String) async throws -> Int {
        let now = Date.storeNow().storedMillis
        let logger = logger
        return try await write { db in
            try await db.run(
                """
                UPDATE webhook_deliveries SET next_attempt_at = \(now), claimed_at = NULL, claimed_by = NULL
                WHERE state = 'pending' AND claimed_by = \(claimant) RETURNING 1
                """,
                logger: logger
            )
        }
    }

    public func webhookAttempts(jobID: String, workspaceID: String) async throws -> [WebhookAttempt]? {
        let logger = logger
        return try await read { db in
            guard try await Self.fetchJob(id: jobID, workspaceID: workspaceID, on: db, logger: logger) != nil else { return nil }
            return try await db.all(
                """
                SELECT a.* FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
                WHERE d.job_id = \(jobID) ORDER BY a.seq
                """,
                logger: logger
            ).map(StoredShapes.webhookAttempt)
        }
    }

    public func pendingWebhookCount() async throws -> Int {
        let logger = logger
        return try await read { db in
            try await db.first("SELECT COUNT(*) AS pending FROM webhook_deliveries WHERE state = 'pending'", logger: logger)?.int("pending") ?? 0
        }
    }
}
