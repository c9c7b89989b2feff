import Foundation
import SeekCore

public struct Workspace: Sendable, Equatable {
    public var id: String
    public var name: String
    public var plan: Plan
    public var credits: CreditBalance
    /// Set per workspace on a plan that allows it; otherwise the plan's.
    public var customRateLimit: RateLimit?
    /// How far below zero available credits may go (a plan that allows a credit line only).
    public var creditLine: Int
    public var createdAt: Date

    /// The limit every key of the workspace gets.
    public var rateLimit: RateLimit { customRateLimit ?? plan.rateLimit }
}

/// What `seek admin workspace update` changes; nil leaves a setting as it is.
public struct WorkspaceChange: Sendable {
    public var plan: Plan?
    public var rateLimit: RateLimit?
    public var creditLine: Int?

    public init(plan: Plan? = nil, rateLimit: RateLimit? = nil, creditLine: Int? = nil) {
        self.plan = plan
        self.rateLimit = rateLimit
        self.creditLine = creditLine
    }
}

/// What `seek admin workspace create` asks for.
public struct NewWorkspace: Sendable {
    public var name: String
    public var plan: Plan
    /// Starting balance in place of the plan's first grant.
    public var startingCredits: Int?

    public init(name: String, plan: Plan, startingCredits: Int? = nil) {
        self.name = name
        self.plan = plan
        self.startingCredits = startingCredits
    }
}

/// A new workspace and its first key, shown once.
public struct CreatedWorkspace: Sendable {
    public var workspace: Workspace
    public var apiKey: String
}

/// An API key as listed: never the key itself.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var name: String
    public var prefix: String
    public var scope: KeyScope
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// Who a request is: the workspace and key an `X-Api-Key` belongs to, with what the key may do.
public struct APIKeyIdentity: Sendable, Equatable {
    public var workspaceID: String
    public var keyID: String
    public var lastUsedAt: Date?
    public var scope: KeyScope
    /// The workspace's limit, applied to each of its keys separately.
    public var rateLimit: RateLimit
    /// Whether the workspace's plan grants credits each month (checked on its first request of a month).
    public var hasMonthlyGrant: Bool
}

/// Which ledger entries to list: newest first, after the entry `cursor`, optionally within a time
/// range (`from` inclusive, `to` exclusive) and of some types only.
public struct LedgerFilter: Sendable {
    public var cursor: String?
    public var limit: Int
    public var from: Date?
    public var to: Date?
    public var types: Set<LedgerEntryType>

    public init(cursor: String? = nil, limit: Int = 50, from: Date? = nil, to: Date? = nil, types: Set<LedgerEntryType> = []) {
        self.cursor = cursor
        self.limit = limit
        self.from = from
        self.to = to
        self.types = types
    }
}

/// A month's spending: credits charged and jobs charged, per worker and per day (UTC).
public struct UsageReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// A worker id or a `YYYY-MM-DD` day.
        public var key: String
        public var credits: Int
        public var jobs: Int
    }

    public var month: UTCMonth
    public var credits: Int
    public var jobs: Int
    public var byWorker: [Line]
    public var byDay: [Line]
}

public struct LedgerEntry: Sendable, Equatable {
    public var id: String
    public var type: LedgerEntryType
    public var amount: Int
    public var balanceAfter: Int
    public var reservedAfter: Int
    public var jobID: String?
    public var workerID: String?
    public var createdAt: Date
}

/// One page of a newest-first list, and the cursor for the next.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
    public var hasMore: Bool { nextCursor != nil }
}

/// A job the HTTP layer has checked and priced, ready to be stored.
public struct JobSubmission: Sendable {
    public var workspaceID: String
    public var workerID: String
    public var request: JobRequest
    public var plan: JobPlan
    public var billingMode: BillingMode
    public var idempotency: IdempotencyClaim?

    public init(
        workspaceID: String,
        workerID: String,
        request: JobRequest,
        plan: JobPlan,
        billingMode: BillingMode,
        idempotency: IdempotencyClaim?
    ) {
        self.workspaceID = workspaceID
        self.workerID = workerID
        self.request = request
        self.plan = plan
        self.billingMode = billingMode
        self.idempotency = idempotency
    }
}

/// An `Idempotency-Key` and the fingerprint of the request that used it.
public struct IdempotencyClaim: Sendable {
    public var key: String
    public var fingerprint: String
    public init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }
}

public enum SubmitResult: Sendable {
    /// A new job, durably stored with its credits reserved.
    case created(Job)
    /// The job an earlier request with the same Idempotency-Key and body created.
    case replayed(Job)

    public var job: Job {
        switch self {
        case let .created(job), let .replayed(job): return job
        }
    }
}

/// A job handed to a runner, with what it needs to run it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var workerID: String
    public var input: JSONValue
    public var deadlineSeconds: Int
    public var reservedCredits: Int
    /// Which run this is (1 for the first); a finish from an older run is ignored.
    public var attempt: Int
    public var startedAt: Date
    /// Where to POST the terminal job, if the caller asked.
    public var webhookURL: String?
}

public struct JobFilter: Sendable {
    public var status: JobStatus?
    public var workerID: String?
    public var limit: Int
    public init(status: JobStatus? = nil, workerID: String? = nil, limit: Int = 100) {
        self.status = status
        self.workerID = workerID
        self.limit = limit
    }
}
