import Foundation

/// How long what a finished job carries is kept. The job row, its cost and its ledger entries stay for good:
/// balances must always sum. Its input and result, its webhook attempts and idempotency keys past their
/// window go.
public struct RetentionPolicy: Sendable, Equatable {
    /// After this long a finished job's input and result are cleared.
    public var jobData: TimeInterval
    /// After this long a webhook attempt's log line is deleted.
    public var webhookAttempts: TimeInterval
    /// An idempotency key is deleted once its replay window (`Idempotency.window`) has passed.
    public var idempotencyKeys: TimeInterval { Idempotency.window }

    public static let days: TimeInterval = 86_400

    public init(jobData: TimeInterval = 30 * days, webhookAttempts: TimeInterval = 30 * days) {
        self.jobData = jobData
        self.webhookAttempts = webhookAttempts
    }
}

/// What one pass of the cleaner removed.
public struct PruneReport: Sendable, Equatable {
    public var jobsCleared = 0
    public var webhookAttemptsDeleted = 0
    public var idempotencyKeysDeleted = 0

    public init(jobsCleared: Int = 0, webhookAttemptsDeleted: Int = 0, idempotencyKeysDeleted: Int = 0) {
        self.jobsCleared = jobsCleared
        self.webhookAttemptsDeleted = webhookAttemptsDeleted
        self.idempotencyKeysDeleted = idempotencyKeysDeleted
    }

    public var isEmpty: Bool { jobsCleared == 0 && webhookAttemptsDeleted == 0 && idempotencyKeysDeleted == 0 }
}
