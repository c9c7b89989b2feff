import Foundation
import SeekCore

/// The durable job queue. Callers go through `JobQueue` in SeekRuntime, which signals and counts; an
/// implementation only persists. A claimant is whoever holds leases: a node's in-process runner, later a
/// remote runner, named so that its restart can release exactly what it held.
public protocol JobStore: Sendable {
    /// Stores a job and reserves its credits in one commit (402 if short); with `handOff`, the job is stored
    /// running under that lease, claimed in the commit that queues it. An `Idempotency-Key` used before
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
    /// Extends the leases of jobs `claimant` still runs; returns those it renewed (the others were lost).
    @discardableResult
    func renewLeases(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws -> Set<String>
    /// A job `claimant` runs now, as its claim handed it out; nil if it holds no lease on it.
    func runningJob(id: String, claimant: String) async throws -> ClaimedJob?
    /// Ends a run as `ending` says and settles the credits in one commit; in the same commit, claims what
    /// `thenClaim` asks for the slot the run frees. Not recorded if the run had lost its lease (the job was
    /// requeued), in which case the job is left as it is.
    func finish(_ job: ClaimedJob, claimant: String, ending: JobEnding, thenClaim: ClaimRequest?) async throws -> FinishResult
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
    /// The version the job runs: its number for a published worker (nil for a built-in one) and its name.
    public var workerVersion: (number: Int?, name: String)
    /// Who is paid when the job completes: the publisher of the worker, unless it is the caller itself.
    public var publisher: PublisherShare?
    public var request: JobRequest
    public var plan: JobPlan
    public var billingMode: BillingMode
    public var idempotency: IdempotencyClaim?
    /// A free slot of an in-process runner that takes the job in the commit that stores it.
    public var handOff: Lease?

    public init(
        workspaceID: String,
        workerID: String,
        workerVersion: (number: Int?, name: String),
        publisher: PublisherShare? = nil,
        request: JobRequest,
        plan: JobPlan,
        billingMode: BillingMode,
        idempotency: IdempotencyClaim?,
        handOff: Lease? = nil
    ) {
        self.workspaceID = workspaceID
        self.workerID = workerID
        self.workerVersion = workerVersion
        self.publisher = publisher
        self.request = request
        self.plan = plan
        self.billingMode = billingMode
        self.idempotency = idempotency
        self.handOff = handOff
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
    /// The published worker's version number the job was submitted with; nil for a built-in worker.
    public var workerVersion: Int?
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
        workerVersion: Int? = nil,
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
        self.workerVersion = workerVersion
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

/// Who holds a claimed job, and for how long without a heartbeat.
public struct Lease: Sendable, Equatable {
    public var claimant: String
    public var seconds: Double

    public init(claimant: String, seconds: Double) {
        self.claimant = claimant
        self.seconds = seconds
    }
}

/// Which queued jobs a claim takes: up to `limit` of `workers`, highest priority first, FIFO within one.
public struct ClaimRequest: Sendable, Equatable {
    public var workers: [String]
    public var limit: Int
    public var leaseSeconds: Double

    public init(workers: [String], limit: Int, leaseSeconds: Double) {
        self.workers = workers
        self.limit = limit
        self.leaseSeconds = leaseSeconds
    }

    var isEmpty: Bool { limit <= 0 || workers.isEmpty }
}

/// How a finish went: whether the run's outcome was recorded, and the jobs claimed in its commit.
public struct FinishResult: Sendable, Equatable {
    public var recorded: Bool
    public var next: [ClaimedJob]

    public init(recorded: Bool, next: [ClaimedJob]) {
        self.recorded = recorded
        self.next = next
    }
}

extension ClaimedJob {
    /// A job handed off in the commit that stored it (`JobSubmission.handOff`), as its runner needs it.
    public init(handedOff job: Job, workerVersion: Int?) {
        self.init(
            id: job.id,
            workspaceID: job.workspaceID,
            workerID: job.workerID,
            workerVersion: workerVersion,
            input: job.input,
            deadlineSeconds: job.timeoutSeconds,
            reservedCredits: job.costEstimateCredits,
            attempt: job.attempts,
            startedAt: job.startedAt ?? job.createdAt,
            webhookURL: job.webhookURL
        )
    }
}
