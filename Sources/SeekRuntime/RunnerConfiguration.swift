/// How the in-process runner behaves.
public struct RunnerConfiguration: Sendable {
    /// Jobs run at once.
    public var concurrency: Int
    /// How long a claim lasts without a heartbeat before another runner may take the job.
    public var leaseSeconds: Double
    /// How often the runner looks for work it was not told about (other processes, expired leases).
    public var pollInterval: Duration
    /// On shutdown, how long running jobs may take to finish before they go back to the queue.
    public var shutdownGrace: Duration

    public init(concurrency: Int, leaseSeconds: Double = 30, pollInterval: Duration = .seconds(1), shutdownGrace: Duration = .seconds(30)) {
        self.concurrency = max(1, concurrency)
        self.leaseSeconds = leaseSeconds
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
    }
}

/// What the runner reports as jobs end, for metrics; the HTTP layer supplies the sink.
public struct RunnerObserver: Sendable {
    public var jobFinished: @Sendable (_ workerID: String, _ status: String, _ runSeconds: Double) -> Void
    /// The runner has stopped claiming (graceful shutdown) and is draining its running jobs.
    public var claimingStopped: @Sendable () -> Void

    public init(
        jobFinished: @escaping @Sendable (String, String, Double) -> Void = { _, _, _ in },
        claimingStopped: @escaping @Sendable () -> Void = {}
    ) {
        self.jobFinished = jobFinished
        self.claimingStopped = claimingStopped
    }

    public static let none = RunnerObserver()
}
