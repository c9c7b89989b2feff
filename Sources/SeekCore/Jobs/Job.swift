import Foundation

/// A job as stored: what was asked, and what became of it.
public struct Job: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var workerID: String
    /// The worker's version the job was submitted with (its manifest's `version`).
    public var workerVersion: String?
    public var status: JobStatus
    public var priority: JobPriority
    public var input: JSONValue
    public var webhookURL: String?
    public var timeoutSeconds: Int
    public var costEstimateCredits: Int
    /// What the job was charged, once it is terminal.
    public var cost: CostBreakdown?
    public var billingMode: BillingMode
    public var attempts: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var completedAt: Date?
    public var result: ResultEnvelope?
    public var files: [JobFile]
    public var error: JobFailure?
    /// The webhook's delivery state, when the job has a webhook.
    public var webhook: WebhookStatus?

    public init(
        id: String,
        workspaceID: String,
        workerID: String,
        workerVersion: String? = nil,
        status: JobStatus,
        priority: JobPriority,
        input: JSONValue,
        webhookURL: String?,
        timeoutSeconds: Int,
        costEstimateCredits: Int,
        cost: CostBreakdown? = nil,
        billingMode: BillingMode,
        attempts: Int = 0,
        createdAt: Date,
        startedAt: Date? = nil,
        completedAt: Date? = nil,
        result: ResultEnvelope? = nil,
        files: [JobFile] = [],
        error: JobFailure? = nil
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.workerID = workerID
        self.workerVersion = workerVersion
        self.status = status
        self.priority = priority
        self.input = input
        self.webhookURL = webhookURL
        self.timeoutSeconds = timeoutSeconds
        self.costEstimateCredits = costEstimateCredits
        self.cost = cost
        self.billingMode = billingMode
        self.attempts = attempts
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.result = result
        self.files = files
        self.error = error
    }

    public var costCredits: Int? { cost?.totalCredits }

    /// Wall time from start to end of the run that finished the job.
    public var durationMs: Int? {
        guard let startedAt, let completedAt else { return nil }
        return max(0, Int((completedAt.timeIntervalSince(startedAt) * 1000).rounded()))
    }
}

/// Why a job did not complete.
public struct JobFailure: Sendable, Equatable {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public static func timedOut(after seconds: Int) -> JobFailure {
        JobFailure(code: "timeout", message: "The job ran longer than its \(seconds) s deadline.")
    }
}

/// A binary asset a worker produced.
public struct JobFile: Sendable, Equatable {
    public var id: String
    public var name: String
    public var contentType: String
    public var sizeBytes: Int
    public var url: String
    public var expiresAt: Date?
    public init(id: String, name: String, contentType: String, sizeBytes: Int, url: String, expiresAt: Date?) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.url = url
        self.expiresAt = expiresAt
    }
}

/// How a finished run ended, as the runtime reports it to the store.
public enum JobOutcome: Sendable, Equatable {
    case completed(ResultEnvelope, files: [JobFile], cost: CostBreakdown)
    case failed(JobFailure)
    case timeout(JobFailure)

    public var status: JobStatus {
        switch self {
        case .completed: return .completed
        case .failed: return .failed
        case .timeout: return .timeout
        }
    }
}
