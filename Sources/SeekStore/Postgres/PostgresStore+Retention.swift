import Foundation
import PostgresNIO
import SeekCore

extension PostgresStore: RetentionStore {
    public func prune(_ policy: RetentionPolicy, now: Date) async throws -> PruneReport {
        var report = PruneReport()
        let batch = RetentionPolicy.batchSize
        report.jobsCleared = try await inBatches(olderThan: now.addingTimeInterval(-policy.jobData)) { cutoff in
            """
            UPDATE jobs SET input = '{}', result = NULL
            WHERE seq IN (SELECT seq FROM jobs WHERE completed_at < \(cutoff) AND (result IS NOT NULL OR input != '{}') LIMIT \(batch)
                          FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        }
        report.webhookAttemptsDeleted = try await inBatches(olderThan: now.addingTimeInterval(-policy.webhookAttempts)) { cutoff in
            """
            DELETE FROM webhook_attempts
            WHERE seq IN (SELECT seq FROM webhook_attempts WHERE attempted_at < \(cutoff) LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        }
        report.idempotencyKeysDeleted = try await inBatches(olderThan: now.addingTimeInterval(-policy.idempotencyKeys)) { cutoff in
            """
            DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < \(cutoff) LIMIT \(batch)
                                                        FOR UPDATE SKIP LOCKED)
            RETURNING 1
            """
        }
        return report
    }

    /// Runs the statement `make` writes for the cutoff until a batch changes fewer rows than it may. Nodes
    /// that prune at once skip each other's rows.
    private func inBatches(olderThan cutoff: Date, _ make: (Int64) -> PostgresQuery) async throws -> Int {
        let query = make(cutoff.storedMillis)
        let logger = logger
        var total = 0
        while true {
            let changed = try await write { db in try await db.run(query, logger: logger) }
            total += changed
            if changed < RetentionPolicy.batchSize { return total }
        }
    }
}
