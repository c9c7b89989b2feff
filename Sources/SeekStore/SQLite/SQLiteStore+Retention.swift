import Foundation
import GRDB
import SeekCore

extension SQLiteStore: RetentionStore {
    public func prune(_ policy: RetentionPolicy, now: Date) async throws -> PruneReport {
        var report = PruneReport()
        let jobCutoff = now.addingTimeInterval(-policy.jobData).storedMillis
        report.jobsCleared = try await inBatches(
            """
            UPDATE jobs SET input = '{}', result = NULL
            WHERE seq IN (SELECT seq FROM jobs WHERE completed_at < ? AND (result IS NOT NULL OR input != '{}') LIMIT ?)
            """,
            jobCutoff
        )
        report.webhookAttemptsDeleted = try await inBatches(
            "DELETE FROM webhook_attempts WHERE seq IN (SELECT seq FROM webhook_attempts WHERE attempted_at < ? LIMIT ?)",
            now.addingTimeInterval(-policy.webhookAttempts).storedMillis
        )
        report.idempotencyKeysDeleted = try await inBatches(
            """
            DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT ?)
            """,
            now.addingTimeInterval(-policy.idempotencyKeys).storedMillis
        )
        return report
    }

    public func takeTurn(_ name: String, every interval: TimeInterval, now: Date) async throws -> Bool {
        let (at, next) = (now.storedMillis, now.addingTimeInterval(interval).storedMillis)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO chore_turns (name, next_at) VALUES (?, ?)
                    ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at WHERE chore_turns.next_at <= ?
                    """,
                arguments: [name, next, at]
            )
            return db.changesCount > 0
        }
    }

    /// Runs `sql` (with the cutoff and the batch size) until a batch changes fewer rows than it may.
    private func inBatches(_ sql: String, _ cutoff: Int64) async throws -> Int {
        var total = 0
        while true {
            let changed = try await writer.write { db in
                try db.execute(sql: sql, arguments: [cutoff, RetentionPolicy.batchSize])
                return db.changesCount
            }
            total += changed
            if changed < RetentionPolicy.batchSize { return total }
        }
    }
}
