import Foundation

/// What a webhook says when a job ends: the contract's payload, built once at the terminal
/// transition and stored as the exact bytes every attempt sends and signs.
public enum WebhookEvent {
    public static func name(for status: JobStatus) -> String { "job.\(status.rawValue)" }

    public static func payload(
        jobID: String,
        status: JobStatus,
        result: ResultEnvelope?,
        error: JobFailure?,
        costCredits: Int,
        firedAt: Date
    ) -> JSONValue {
        [
            "event": .string(name(for: status)),
            "job_uuid": .string(jobID),
            "status": .string(status.rawValue),
            "result": result?.json ?? .null,
            "error": error.map { ["code": .string($0.code), "message": .string($0.message)] } ?? .null,
            "cost_credits": .integer(Int64(costCredits)),
            "fired_at": Timestamp.json(firedAt),
        ]
    }
}

/// Where a job's webhook stands.
public struct WebhookStatus: Sendable, Equatable {
    public enum State: String, Sendable { case pending, delivered, failed }
    public var url: String
    public var state: State
    public var attempts: Int
    public init(url: String, state: State, attempts: Int) {
        self.url = url
        self.state = state
        self.attempts = attempts
    }
}

/// One delivery attempt, as the deliveries log lists it.
public struct WebhookAttempt: Sendable, Equatable {
    public var attemptedAt: Date
    public var statusCode: Int?
    public var error: String?
    public var durationMs: Int
    public init(attemptedAt: Date, statusCode: Int?, error: String?, durationMs: Int) {
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.error = error
        self.durationMs = durationMs
    }
}
