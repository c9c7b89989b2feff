import Foundation

/// A webhook in the outbox that is due: what the sender needs to make one attempt.
public struct WebhookDelivery: Sendable, Equatable {
    /// `whd_…`: also the Standard Webhooks `webhook-id`, the same on every attempt.
    public var id: String
    public var workspaceID: String
    public var jobID: String
    public var url: String
    public var event: String
    /// The exact bytes every attempt sends and signs.
    public var payload: [UInt8]
    /// Attempts made before this one.
    public var attemptsMade: Int
    /// When the job reached its terminal state and the delivery was stored.
    public var createdAt: Date
    /// The workspace's signing secrets.
    public var secrets: WebhookSecrets

    public init(
        id: String,
        workspaceID: String,
        jobID: String,
        url: String,
        event: String,
        payload: [UInt8],
        attemptsMade: Int,
        createdAt: Date,
        secrets: WebhookSecrets
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.jobID = jobID
        self.url = url
        self.event = event
        self.payload = payload
        self.attemptsMade = attemptsMade
        self.createdAt = createdAt
        self.secrets = secrets
    }

    /// The headers of one attempt made at `date`: both signature schemes over `payload`, signed by
    /// every secret that signs at that moment.
    public func headers(at date: Date) -> [(name: String, value: String)] {
        let timestamp = Int(date.timeIntervalSince1970)
        let signing = secrets.signing(at: date)
        return [
            ("Content-Type", "application/json"),
            ("User-Agent", "Seek-Webhooks/1"),
            ("X-SeekAPI-Signature", WebhookSignature.seekHeader(secrets: signing, timestamp: timestamp, body: payload)),
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", WebhookSignature.standard(secrets: signing, id: id, timestamp: timestamp, body: payload)),
        ]
    }
}

/// How an attempt ended, as the sender decides what happens next.
public enum WebhookAttemptResult: Sendable, Equatable {
    /// The receiver answered; 2xx is success.
    case answered(statusCode: Int)
    /// No answer: a refused target, a connection error or a timeout, described for the deliveries log.
    case notAnswered(String)

    public var succeeded: Bool {
        if case let .answered(code) = self { return (200..<300).contains(code) }
        return false
    }

    public var statusCode: Int? {
        if case let .answered(code) = self { return code }
        return nil
    }

    /// The error column of the deliveries log; nil on success.
    public var errorText: String? {
        switch self {
        case let .answered(code) where (200..<300).contains(code): return nil
        case let .answered(code) where (300..<400).contains(code): return "HTTP \(code); redirects are not followed"
        case let .answered(code): return "HTTP \(code)"
        case let .notAnswered(reason): return reason
        }
    }
}

/// What becomes of a delivery after an attempt.
public enum WebhookNextStep: Sendable, Equatable {
    case delivered
    case retry(at: Date)
    case failed

    /// Applies the schedule: success ends the delivery, a failure waits for the next retry or gives up.
    public static func after(_ result: WebhookAttemptResult, attemptsMade: Int, at date: Date, schedule: RetrySchedule) -> WebhookNextStep {
        if result.succeeded { return .delivered }
        guard let delay = schedule.delay(afterFailedAttempts: attemptsMade) else { return .failed }
        return .retry(at: date.addingTimeInterval(delay))
    }
}
