import Foundation
import SeekCore

/// Removes what `RetentionPolicy` no longer keeps, in small batches so that no write holds the database long.
public protocol RetentionStore: Sendable {
    func prune(_ policy: RetentionPolicy, now: Date) async throws -> PruneReport
}
