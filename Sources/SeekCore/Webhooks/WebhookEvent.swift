import Foundation

/// The names of the webhook events; their payload is `JobEnding.webhookPayload`.
public enum WebhookEvent {
    public static func name(for status: JobStatus) -> String { "job.\(status.rawValue)" }
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
