import Foundation
import SeekCore

public struct Workspace: Sendable, Equatable {
    public var id: String
    public var name: String
    public var plan: Plan
    public var credits: CreditBalance
    public var createdAt: Date
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
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
}

/// Who a request is: the workspace and key an `X-Api-Key` belongs to.
public struct APIKeyIdentity: Sendable, Equatable {
    public var workspaceID: String
    public var keyID: String
    public var lastUsedAt: Date?
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

    public init(workspaceID: String, workerID: String, request: JobRequest, plan: JobPlan, billingMode: BillingMode,
                idempotency: IdempotencyClaim?) {
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
