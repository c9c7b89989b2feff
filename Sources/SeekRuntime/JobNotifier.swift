import Synchronization

/// In-process signals about jobs: wakes the runner when work arrives, and wakes requests
/// holding a `Prefer: wait` when their job ends. Signals only hint; the store stays the truth.
public final class JobNotifier: Sendable {
    private struct Waiters {
        var nextToken: UInt64 = 0
        var byJob: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
    }

    private let waiters = Mutex(Waiters())
    /// Rings whenever jobs may be ready to claim; waited on by the runner.
    public let jobs = Doorbell()
    /// Rings when a webhook enters the outbox or a delivery slot frees up; waited on by the webhook sender.
    public let webhooks = Doorbell()

    public init() {}

    /// New jobs are queued, or slots freed up: look for work.
    public func wakeRunner() {
        jobs.ring()
    }

    /// A job reached a terminal state with a webhook to deliver.
    public func webhookQueued() {
        webhooks.ring()
    }

    /// A job reached a terminal state.
    public func jobFinished(_ jobID: String) {
        let continuations = waiters.withLock { $0.byJob.removeValue(forKey: jobID) } ?? [:]
        for continuation in continuations.values { continuation.resume() }
    }

    /// Returns when `jobID` finishes, `timeout` passes, or `alreadyFinished` says it was done before we started listening.
    public func waitForFinish(of jobID: String, timeout: Duration, alreadyFinished: @escaping @Sendable () async -> Bool) async {
        let token = waiters.withLock { state -> UInt64 in
            state.nextToken += 1
            return state.nextToken
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters.withLock { $0.byJob[jobID, default: [:]][token] = continuation }
            Task {
                if await alreadyFinished() {
                    self.resume(jobID, token)
                    return
                }
                try? await Task.sleep(for: timeout)
                self.resume(jobID, token)
            }
        }
    }

    /// Resumes one waiter if nobody has yet: whoever removes it from the table resumes it, exactly once.
    private func resume(_ jobID: String, _ token: UInt64) {
        let continuation = waiters.withLock { state -> CheckedContinuation<Void, Never>? in
            let removed = state.byJob[jobID]?.removeValue(forKey: token)
            if state.byJob[jobID]?.isEmpty == true { state.byJob.removeValue(forKey: jobID) }
            return removed
        }
        continuation?.resume()
    }
}
