import Foundation

/// What a job became when it reached its terminal state, rendered once: the store writes the job's
/// terminal columns from it, and its webhook sends `webhookPayload`, so the two can never disagree.
public struct JobEnding: Sendable, Equatable {
    public var jobID: String
    public var status: JobStatus
    public var result: ResultEnvelope?
    public var files: [JobFile]
    public var cost: CostBreakdown
    public var error: JobFailure?
    public var at: Date

    public init(
        jobID: String,
        status: JobStatus,
        result: ResultEnvelope? = nil,
        files: [JobFile] = [],
        cost: CostBreakdown = .zero,
        error: JobFailure? = nil,
        at: Date
    ) {
        self.jobID = jobID
        self.status = status
        self.result = result
        self.files = files
        self.cost = cost
        self.error = error
        self.at = at
    }

    /// How a run ended, as its runner reported it.
    public init(jobID: String, outcome: JobOutcome, at: Date) {
        switch outcome {
        case let .completed(result, files, cost):
            self.init(jobID: jobID, status: .completed, result: result, files: files, cost: cost, at: at)
        case let .failed(failure), let .timeout(failure):
            self.init(jobID: jobID, status: outcome.status, error: failure, at: at)
        }
    }

    /// A queued job that its workspace cancelled: nothing ran, nothing is charged.
    public static func cancelled(jobID: String, at: Date) -> JobEnding {
        JobEnding(jobID: jobID, status: .cancelled, at: at)
    }

    /// The webhook's event name for this ending.
    public var event: String { WebhookEvent.name(for: status) }

    /// The contract's webhook payload for this ending.
    public var webhookPayload: JSONValue {
        [
            "event": .string(event),
            "job_uuid": .string(jobID),
            "status": .string(status.rawValue),
            "result": result?.json ?? .null,
            "error": error?.json ?? .null,
            "cost_credits": .integer(Int64(cost.totalCredits)),
            "fired_at": Timestamp.json(at),
        ]
    }
}

extension JobFailure {
    /// The job object's and the webhook's `error`: `{"code", "message"}`.
    public var json: JSONValue { ["code": .string(code), "message": .string(message)] }
}
