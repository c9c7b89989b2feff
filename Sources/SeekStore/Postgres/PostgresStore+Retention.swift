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

    /// The turn's row is the turnstile: of nodes that ask at once, the first update wins and the others find
    /// the next turn already in the future.
    public func takeTurn(_ name: String, every interval: TimeInterval, now: Date) async throws -> Bool {
        let (at, next) = (now.storedMillis, now.addingTimeInterval(interval).storedMillis)
        let logger = logger
        return try await read { db in
            try await db.run(
                """
                INSERT INTO chore_turns (name, next_at) VALUES (\(name), \(next))
                ON CONFLICT (name) DO UPDATE SET next_at = EXCLUDED.next_at WHERE chore_turns.next_at <= \(at)
                RETURNING 1
                """,
                logger: logger
            ) > 0
        }
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
