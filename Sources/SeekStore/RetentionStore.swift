import Foundation
import SeekCore

/// Removes what `RetentionPolicy` no longer keeps, in small batches so that no write holds the database long.
public protocol RetentionStore: Sendable {
    func prune(_ policy: RetentionPolicy, now: Date) async throws -> PruneReport
}

extension RetentionPolicy {
    /// Rows changed per write transaction: small enough that jobs and webhooks never wait long behind a pass.
    static let batchSize = 2_000
}
