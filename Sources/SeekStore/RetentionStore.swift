import Foundation
import SeekCore

/// Removes what `RetentionPolicy` no longer keeps, in small batches so that no write holds the database long.
public protocol RetentionStore: Sendable {
    func prune(_ policy: RetentionPolicy, now: Date) async throws -> PruneReport
    /// Whether this process does the chore `name` now: true at most once per `interval` among all the processes
    /// sharing the storage (files on a shared mount are cleaned by one node, not by each).
    func takeTurn(_ name: String, every interval: TimeInterval, now: Date) async throws -> Bool
}

extension RetentionPolicy {
    /// Rows changed per write transaction: small enough that jobs and webhooks never wait long behind a pass.
    static let batchSize = 2_000
}
