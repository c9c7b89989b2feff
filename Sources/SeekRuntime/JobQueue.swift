import Foundation
import SeekCore
import SeekStore

/// The one front door for jobs (the role of swift-jobs' `JobQueue` over its driver): every submit,
/// cancel, claim, heartbeat and finish goes through here. It calls the store, renders a job's ending
/// once for the store and the webhook, sends the news (`JobSignals`) and counts each transition once.
/// Its claim, heartbeat and finish are the calls a remote runner makes over HTTP.
public final class JobQueue: Sendable {
    public let store: any JobStore
    public let signals: JobSignals
    private let metrics: RuntimeMetrics

    public init(store: any JobStore, signals: JobSignals = JobSignals(), metrics: RuntimeMetrics = .none) {
        self.store = store
        self.signals = signals
        self.metrics = metrics
    }

    // MARK: Callers

    /// Stores a job with its credits reserved, or replays the job of an earlier use of its Idempotency-Key.
    public func submit(_ submission: JobSubmission) async throws -> SubmitResult {
        let result = try await store.submit(submission)
        if case .created = result {
            metrics.jobEntered(.queued)
            signals.work.ring()
        }
        return result
    }

    /// Cancels a queued job (409 for any other status; 404 for one not this workspace's).
    public func cancel(jobID: String, workspaceID: String) async throws -> Job {
        let job = try await store.cancel(jobID: jobID, workspaceID: workspaceID, ending: .cancelled(jobID: jobID, at: Date()))
        ended(jobID: job.id, status: .cancelled, hasWebhook: job.webhook != nil)
        return job
    }

    /// The job once it is terminal, or as it is when `timeout` passes or the caller is cancelled; nil if it
    /// is not this workspace's.
    public func waitForEnd(jobID: String, workspaceID: String, timeout: Duration) async throws -> Job? {
        // The ticket comes first: an ending between the read and the wait is not missed.
        let ticket = signals.endings.ticket(for: jobID)
        guard let job = try await store.job(id: jobID, workspaceID: workspaceID) else { return nil }
        guard !job.status.isTerminal else { return job }
        await signals.endings.wait(ticket, timeout: timeout)
        return try await store.job(id: jobID, workspaceID: workspaceID) ?? job
    }

    // MARK: Runners

    /// Up to `limit` queued jobs of `workers`, leased to `claimant`.
    public func claim(workers: [String], limit: Int, claimant: String, leaseSeconds: Double) async throws -> [ClaimedJob] {
        try await store.claim(workers: workers, limit: limit, claimant: claimant, leaseSeconds: leaseSeconds)
    }

    /// Renews the leases of jobs `claimant` still runs.
    public func heartbeat(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws {
        try await store.renewLeases(jobIDs: jobIDs, claimant: claimant, leaseSeconds: leaseSeconds)
    }

    /// Ends a run. False if the run had lost its lease, so another run owns the job and nothing changed.
    public func finish(_ job: ClaimedJob, claimant: String, outcome: JobOutcome, runSeconds: Double) async throws -> Bool {
        let ending = JobEnding(jobID: job.id, outcome: outcome, at: Date())
        guard try await store.finish(job, claimant: claimant, ending: ending) else { return false }
        metrics.jobRan(workerID: job.workerID, seconds: runSeconds)
        ended(jobID: job.id, status: ending.status, hasWebhook: job.webhookURL != nil)
        return true
    }

    /// Gives a claimed job back to the queue unfinished.
    public func returnToQueue(_ job: ClaimedJob, claimant: String) async throws {
        try await store.returnToQueue(job, claimant: claimant)
        signals.work.ring()
    }

    /// A claimant that restarted gives back every job it held; nothing else is touched.
    public func releaseClaims(of claimant: String) async throws -> Int {
        let released = try await store.releaseClaims(of: claimant)
        if released > 0 { signals.work.ring() }
        return released
    }

    /// Jobs whose runner vanished (lease expired) go back to the queue, whoever held them.
    public func requeueExpiredLeases(before cutoff: Date) async throws -> Int {
        let requeued = try await store.requeueExpiredLeases(before: cutoff)
        if requeued > 0 { signals.work.ring() }
        return requeued
    }

    private func ended(jobID: String, status: JobStatus, hasWebhook: Bool) {
        metrics.jobEntered(status)
        if hasWebhook { signals.webhooks.ring() }
        signals.endings.notify(jobID)
    }
}
