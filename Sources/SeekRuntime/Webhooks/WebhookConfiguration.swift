import SeekCore

/// How webhooks are delivered.
public struct WebhookConfiguration: Sendable {
    /// Waits between attempts; after the last one fails the delivery is `failed`.
    public var retrySchedule: RetrySchedule
    /// Lifts the SSRF guard, for tests and private networks.
    public var allowPrivateTargets: Bool
    /// Attempts in flight at once.
    public var concurrency: Int
    /// Seed 000: a 2xx within 10 s is success.
    public var timeout: Duration
    /// How often the outbox is checked for work this process was not told about.
    public var pollInterval: Duration

    public init(
        retrySchedule: RetrySchedule = .standard,
        allowPrivateTargets: Bool = false,
        concurrency: Int = 64,
        timeout: Duration = .seconds(10),
        pollInterval: Duration = .seconds(1)
    ) {
        self.retrySchedule = retrySchedule
        self.allowPrivateTargets = allowPrivateTargets
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// How long a claimed delivery stays away from other senders: well past any attempt's end.
    var claimSeconds: Double { timeout.seconds + 30 }
}

/// One finished attempt, as metrics see it.
public struct WebhookAttemptReport: Sendable {
    public var result: WebhookAttemptResult
    public var next: WebhookNextStep
    public var durationSeconds: Double
    /// From the job's terminal state to this attempt's start, on a delivery's first attempt only.
    public var firstAttemptLagSeconds: Double?
}

/// What the sender reports, for metrics; the HTTP layer supplies the sink.
public struct WebhookObserver: Sendable {
    public var attempted: @Sendable (WebhookAttemptReport) -> Void

    public init(attempted: @escaping @Sendable (WebhookAttemptReport) -> Void = { _ in }) {
        self.attempted = attempted
    }

    public static let none = WebhookObserver()
}
