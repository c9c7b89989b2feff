import Foundation
import SeekCore

/// The durable job queue. Callers go through `JobQueue` in SeekRuntime, which signals and counts; an
/// implementation only persists. A claimant is whoever holds leases: a node's in-process runner, later a
/// remote runner, named so that its restart can release exactly what it held.
public protocol JobStore: Sendable {
    /// Stores a job and reserves its credits in one commit (402 if short). An `Idempotency-Key` used before
    /// within `Idempotency.window` replays its job, decided inside the commit, so that two submits with one
    /// key through any number of processes make one job.
    func submit(_ submission: JobSubmission) async throws -> SubmitResult
    func job(id: String, workspaceID: String) async throws -> Job?
    func jobs(workspaceID: String, filter: JobFilter) async throws -> [Job]
    /// Cancels a queued job as `ending` says and releases its credits; 409 for any other status.
    func cancel(jobID: String, workspaceID: String, ending: JobEnding) async throws -> Job
    /// Moves up to `limit` queued jobs of `workers`, highest priority first and FIFO within one, to running
    /// under a lease held by `claimant`.
    func claim(workers: [String], limit: Int, claimant: String, leaseSeconds: Double) async throws -> [ClaimedJob]
    /// Extends the leases of jobs `claimant` still runs.
    func renewLeases(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws
    /// Ends a run as `ending` says and settles the credits in one commit. False if the run had lost its lease
    /// (the job was requeued), in which case nothing changes.
    func finish(_ job: ClaimedJob, claimant: String, ending: JobEnding) async throws -> Bool
    /// Gives a claimed job back to the queue unfinished (a runner shutting down past its grace period).
    func returnToQueue(_ job: ClaimedJob, claimant: String) async throws
    /// Returns every job `claimant` holds to the queue: it restarted, so none of them is running any more.
    func releaseClaims(of claimant: String) async throws -> Int
    /// Returns jobs whose lease expired before `cutoff` to the queue, whoever held them.
    func requeueExpiredLeases(before cutoff: Date) async throws -> Int
    /// Queued and running counts, for metrics.
    func queueCounts() async throws -> (queued: Int, running: Int)
}

/// A job the caller has checked and priced, ready to be stored.
public struct JobSubmission: Sendable {
    public var workspaceID: String
    public var workerID: String
    public var request: JobRequest
    public var plan: JobPlan
    public var billingMode: BillingMode
    public var idempotency: IdempotencyClaim?

    public init(
        workspaceID: String,
        workerID: String,
        request: JobRequest,
        plan: JobPlan,
        billingMode: BillingMode,
        idempotency: IdempotencyClaim?
    ) {
        self.workspaceID = workspaceID
        self.workerID = workerID
        self.request = request
        self.plan = plan
        self.billingMode = billingMode
        self.idempotency = idempotency
    }
}

public enum SubmitResult: Sendable {
    /// A new job, durably stored with its credits reserved.
    case created(Job)
    /// The job an earlier request with the same Idempotency-Key and body created.
    case replayed(Job)

    public var job: Job {
        switch self {
        case let .created(job), let .replayed(job): return job
        }
    }
}

/// A job handed to a runner, with what it needs to run it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var workerID: String
    public var input: JSONValue
    public var deadlineSeconds: Int
    public var reservedCredits: Int
    /// Which run this is (1 for the first); a finish from an older run is ignored.
    public var attempt: Int
    public var startedAt: Date
    /// Where to POST the terminal job, if the caller asked.
    public var webhookURL: String?

    public init(
        id: String,
        workspaceID: String,
        workerID: String,
        input: JSONValue,
        deadlineSeconds: Int,
        reservedCredits: Int,
        attempt: Int,
        startedAt: Date,
        webhookURL: String?
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.workerID = workerID
        self.input = input
        self.deadlineSeconds = deadlineSeconds
        self.reservedCredits = reservedCredits
        self.attempt = attempt
        self.startedAt = startedAt
        self.webhookURL = webhookURL
    }
}

public struct JobFilter: Sendable {
    public var status: JobStatus?
    public var workerID: String?
    public var limit: Int
    public init(status: JobStatus? = nil, workerID: String? = nil, limit: Int = 100) {
        self.status = status
        self.workerID = workerID
        self.limit = limit
    }
}
