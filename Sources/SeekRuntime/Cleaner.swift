import Foundation
import Logging
import SeekCore
import SeekStore
import ServiceLifecycle

/// The one cleaner: files past their retention, and the rows `RetentionPolicy` no longer keeps (finished
/// jobs' inputs and results, webhook attempts, idempotency keys past their window), at start and then every
/// `interval`.
public struct Cleaner: Service {
    let files: any FileStore
    let store: any RetentionStore
    let policy: RetentionPolicy
    let interval: Duration
    let logger: Logger

    public init(files: any FileStore, store: any RetentionStore, policy: RetentionPolicy, interval: Duration = .seconds(3600), logger: Logger) {
        self.files = files
        self.store = store
        self.policy = policy
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await isMyTurn(now: Date()) { await clean(now: Date()) }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Whether this node cleans now: nodes that share the storage and the files take turns, so that one pass runs
    /// per interval (a little less, so that some node's next look always finds the turn due).
    func isMyTurn(now: Date) async -> Bool {
        do {
            return try await store.takeTurn("cleaner", every: interval.seconds * 0.9, now: now)
        } catch {
            logger.error("Asking for the cleaner's turn failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// One pass; a failure is logged and the next pass tries again.
    public func clean(now: Date) async {
        do {
            let removed = try await files.removeExpired(before: now)
            if removed > 0 { logger.info("Removed expired files", metadata: ["count": "\(removed)"]) }
        } catch {
            logger.error("Removing expired files failed", metadata: ["error": "\(error)"])
        }
        do {
            let report = try await store.prune(policy, now: now)
            if !report.isEmpty {
                logger.info(
                    "Pruned old rows",
                    metadata: [
                        "jobs_cleared": "\(report.jobsCleared)", "webhook_attempts": "\(report.webhookAttemptsDeleted)",
                        "idempotency_keys": "\(report.idempotencyKeysDeleted)",
                    ]
                )
            }
        } catch {
            logger.error("Pruning old rows failed", metadata: ["error": "\(error)"])
        }
    }
}
