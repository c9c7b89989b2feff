import Foundation
import SeekCore
import SeekStore
import Synchronization

/// The one front door for jobs (the role of swift-jobs' `JobQueue` over its driver): every submit,
/// cancel, claim, heartbeat and finish goes through here. It calls the store, renders a job's ending
/// once for the store and the webhook, sends the news (`JobSignals`) and counts each transition once.
/// Its claim, heartbeat and finish are the calls a remote runner makes over HTTP.
public final class JobQueue: Sendable {
    public let store: any JobStore
    public let signals: JobSignals
    private let metrics: RuntimeMetrics
    /// The runner of this process, while it takes jobs handed to it at submit.
    private let local = Mutex<(any LocalDispatch)?>(nil)

    public init(store: any JobStore, signals: JobSignals = JobSignals(), metrics: RuntimeMetrics = .none) {
        self.store = store
        self.signals = signals
        self.metrics = metrics
    }

    // MARK: Callers

    /// Stores a job with its credits reserved, or replays the job of an earlier use of its Idempotency-Key.
    /// When this process's runner has a free slot and nothing claimable waits, the job is handed to that slot
    /// in the same commit: it needs no claim of its own.
    public func submit(_ submission: JobSubmission) async throws -> SubmitResult {
        var submission = submission
        let runner = local.withLock { $0 }
        let slot = runner?.holdSlot(for: submission.workerID) == true ? runner : nil
        if let slot { submission.handOff = Lease(claimant: slot.claimant, seconds: slot.leaseSeconds) }
        let result: SubmitResult
        do {
            result = try await store.submit(submission)
        } catch {
            slot?.releaseSlot()
            throw error
        }
        switch result {
        case let .created(job):
            metrics.jobEntered(.queued)
            signals.events.status(JobEventSubject(job), .queued, at: job.createdAt)
            if job.status == .running { signals.events.status(JobEventSubject(job), .running, at: job.startedAt ?? job.createdAt) }
            if let slot, job.status == .running {
                slot.run(ClaimedJob(handedOff: job, workerVersion: submission.workerVersion.number))
            } else {
                slot?.releaseSlot()
                queued(workerID: job.workerID)
            }
        case .replayed:
            slot?.releaseSlot()
        }
        return result
    }

    /// Cancels a queued job (409 for any other status; 404 for one not this workspace's).
    public func cancel(jobID: String, workspaceID: String) async throws -> Job {
        let job = try await store.cancel(jobID: jobID, workspaceID: workspaceID, ending: .cancelled(jobID: jobID, at: Date()))
        ended(JobEventSubject(job), status: .cancelled, hasWebhook: job.webhook != nil)
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
        started(try await store.claim(workers: workers, limit: limit, claimant: claimant, leaseSeconds: leaseSeconds))
    }

    /// Renews the leases of jobs `claimant` still runs; returns those it renewed.
    @discardableResult
    public func heartbeat(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws -> Set<String> {
        try await store.renewLeases(jobIDs: jobIDs, claimant: claimant, leaseSeconds: leaseSeconds)
    }

    /// Ends a run, and claims what `thenClaim` asks for the freed slot in the same commit. Not recorded if the
    /// run had lost its lease: another run owns the job and it is left as it is.
    public func finish(
        _ job: ClaimedJob,
        claimant: String,
        outcome: JobOutcome,
        runSeconds: Double,
        thenClaim: ClaimRequest? = nil
    ) async throws -> FinishResult {
        let ending = JobEnding(jobID: job.id, outcome: outcome, at: Date())
        let result = try await store.finish(job, claimant: claimant, ending: ending, thenClaim: thenClaim)
        started(result.next)
        guard result.recorded else { return result }
        metrics.jobRan(workerID: job.workerID, seconds: runSeconds)
        ended(JobEventSubject(job), status: ending.status, hasWebhook: job.webhookURL != nil)
        return result
    }

    /// Gives a claimed job back to the queue unfinished.
    public func returnToQueue(_ job: ClaimedJob, claimant: String) async throws {
        try await store.returnToQueue(job, claimant: claimant)
        signals.events.status(JobEventSubject(job), .queued)
        queued(workerID: job.workerID)
    }

    /// A claimant that restarted gives back every job it held; nothing else is touched.
    public func releaseClaims(of claimant: String) async throws -> Int {
        let released = try await store.releaseClaims(of: claimant)
        if released > 0 { queued() }
        return released
    }

    /// Jobs whose runner vanished (lease expired) go back to the queue, whoever held them.
    public func requeueExpiredLeases(before cutoff: Date) async throws -> Int {
        let requeued = try await store.requeueExpiredLeases(before: cutoff)
        if requeued > 0 { queued() }
        return requeued
    }

    /// What another process sharing the storage did: its queued jobs wake this node's runners and long polls, its
    /// endings answer this node's waiters. Nothing is counted: the process that did it counted.
    public func relay(_ news: StoreNews) {
        switch news {
        case let .queued(workerID): queued(workerID: workerID)
        case let .ended(jobIDs):
            for id in jobIDs {
                signals.endings.notify(id)
                signals.events.touch(jobID: id)
            }
        }
    }

    /// This process's runner takes jobs at submit while it is attached (from its start to its shutdown).
    public func attach(_ runner: (any LocalDispatch)?) {
        local.withLock { $0 = runner }
    }

    /// Jobs entered the queue without a slot: claims are due (by runners of `workerID`, or of any worker when
    /// it is not known which jobs went back).
    private func queued(workerID: String? = nil) {
        local.withLock { $0 }?.jobsQueued()
        signals.work.ring()
        if let workerID { signals.queued.notify(workerID) } else { signals.queued.notifyAll() }
    }

    /// Reports a job's progress while it runs: a worker's log lines, items so far, warnings.
    public func report(_ job: ClaimedJob, _ kind: JobEvent.Kind, _ data: JSONValue) {
        signals.events.record(JobEventSubject(job), kind, data)
    }

    /// Claimed jobs start running.
    @discardableResult
    private func started(_ jobs: [ClaimedJob]) -> [ClaimedJob] {
        for job in jobs { signals.events.status(JobEventSubject(job), .running, at: job.startedAt) }
        return jobs
    }

    private func ended(_ job: JobEventSubject, status: JobStatus, hasWebhook: Bool) {
        metrics.jobEntered(status)
        if hasWebhook { signals.webhooks.ring() }
        signals.events.status(job, status)
        signals.endings.notify(job.jobID)
    }
}

/// A runner in this process that takes a job the moment it is stored, with no claim of its own.
public protocol LocalDispatch: Sendable {
    var claimant: String { get }
    var leaseSeconds: Double { get }
    /// Holds a free slot for a job of `workerID` if one is free and nothing claimable waits in the queue (so
    /// that a new job never overtakes waiting ones). A held slot is then either run or released.
    func holdSlot(for workerID: String) -> Bool
    /// The held slot runs `job`, which the store has claimed for it.
    func run(_ job: ClaimedJob)
    func releaseSlot()
    /// Jobs entered the queue without a slot (or went back to it): claims are due.
    func jobsQueued()
}
