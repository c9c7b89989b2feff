/// How the in-process runner behaves.
public struct RunnerConfiguration: Sendable {
    /// Whose leases the runner's claims are: stable across restarts of one node, so that a restart releases
    /// exactly what the node held.
    public var claimant: String
    /// Jobs run at once.
    public var concurrency: Int
    /// How long a claim lasts without a heartbeat before another runner may take the job.
    public var leaseSeconds: Double
    /// How often the runner looks for work it was not told about (other processes, expired leases).
    public var pollInterval: Duration
    /// On shutdown, how long running jobs may take to finish before they go back to the queue.
    public var shutdownGrace: Duration

    public init(
        claimant: String,
        concurrency: Int,
        leaseSeconds: Double = 30,
        pollInterval: Duration = .seconds(1),
        shutdownGrace: Duration = .seconds(30)
    ) {
        self.claimant = claimant
        self.concurrency = max(1, concurrency)
        self.leaseSeconds = leaseSeconds
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
    }
}

/// What the runner reports of its own life (tests wait on it).
public struct RunnerObserver: Sendable {
    /// The runner has stopped claiming (graceful shutdown) and is draining its running jobs.
    public var claimingStopped: @Sendable () -> Void

    public init(claimingStopped: @escaping @Sendable () -> Void = {}) {
        self.claimingStopped = claimingStopped
    }

    public static let none = RunnerObserver()
}
