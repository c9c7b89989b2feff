import Foundation
import SeekCore
import SeekStore
import Synchronization

/// What remote runners (`seek runner`, or any program speaking the runner API) do, behind the HTTP routes
/// of `/v1/runner`: claim jobs of their token's worker with a long poll, renew their leases and report
/// outcomes, all through the jobs front door, with the same leases as the in-process runner. A report from
/// a runner that lost its lease is a 409 and changes nothing.
public final class RunnerGateway: Sendable {
    public struct Configuration: Sendable {
        /// How long a lease lasts without a heartbeat.
        public var leaseSeconds: Double = 30
        /// The longest a claim may hold when no job waits.
        public var maxWait: Duration = .seconds(30)
        /// The most jobs one claim takes.
        public var maxClaim = 64
        /// A long poll claims again this often even without news, for jobs another process queued.
        public var pollInterval: Duration = .seconds(1)
        /// How often a runner process's presence is written (its calls in between are not).
        public var presenceInterval: Duration = .seconds(10)
        /// The largest file a runner may upload for a job.
        public var maxFileBytes = 64 << 20
        /// The most files one job may have.
        public var maxFiles = 20

        public init() {}
    }

    static let unauthorized = SeekError(.unauthorized, "Missing or invalid runner token (Authorization: Bearer srt_…).")

    public let configuration: Configuration
    private let queue: JobQueue
    private let catalog: WorkerCatalog
    private let store: any WorkerStore
    private let tokens: RunnerTokenResolver
    private let files: any FileStore
    private let lastSeen = Mutex<[String: ContinuousClock.Instant]>([:])
    /// Jobs this process leased to remote runners, by id, so that a report finds what it ends without a read.
    /// Only a cache: the store's finish checks the lease itself, and a miss reads the job.
    private let leased = Mutex<[String: (claimant: String, job: ClaimedJob)]>([:])
    private static let leasedLimit = 50_000

    public init(
        queue: JobQueue,
        catalog: WorkerCatalog,
        store: any WorkerStore,
        tokens: RunnerTokenResolver,
        files: any FileStore,
        configuration: Configuration = Configuration()
    ) {
        self.queue = queue
        self.catalog = catalog
        self.store = store
        self.tokens = tokens
        self.files = files
        self.configuration = configuration
    }

    /// The runner behind a token, or the contract's 401.
    public func identity(token: String) async throws -> RunnerIdentity {
        guard let identity = try await tokens.identity(forToken: token) else { throw Self.unauthorized }
        return identity
    }

    /// Up to `limit` jobs of the token's worker, leased to this runner process; when none waits, holds up to
    /// `wait` for one to arrive. An empty answer means: claim again.
    public func claim(_ identity: RunnerIdentity, runnerID: String, limit: Int, wait: Duration) async throws -> [RemoteJob] {
        let claimant = try claimant(identity, runnerID)
        try await notePresence(identity, claimant: claimant)
        let limit = min(max(1, limit), configuration.maxClaim)
        let clock = ContinuousClock()
        let deadline = clock.now + min(max(.zero, wait), configuration.maxWait)
        while true {
            // The ticket comes before the claim: a job queued between the two is not missed.
            let ticket = queue.signals.queued.ticket(for: identity.workerID)
            let jobs = try await queue.claim(
                workers: [identity.workerID],
                limit: limit,
                claimant: claimant,
                leaseSeconds: configuration.leaseSeconds
            )
            let remaining = deadline - clock.now
            if !jobs.isEmpty || remaining <= .zero || Task.isCancelled {
                queue.signals.queued.discard(ticket)
                remember(jobs, claimant: claimant)
                return try await withManifests(jobs)
            }
            await queue.signals.queued.wait(ticket, timeout: min(remaining, configuration.pollInterval))
            // A token revoked while its runner waits ends the wait with a 401, whichever process revoked it.
            guard try await store.runnerTokenIsLive(id: identity.tokenID) else { throw Self.unauthorized }
        }
    }

    /// Renews this runner's leases on `jobIDs`; returns those it still holds (the rest were lost).
    public func heartbeat(_ identity: RunnerIdentity, runnerID: String, jobIDs: [String]) async throws -> Set<String> {
        let claimant = try claimant(identity, runnerID)
        try await notePresence(identity, claimant: claimant)
        // A malformed id names no job this runner holds: it is simply not renewed.
        return try await queue.heartbeat(jobIDs: jobIDs.filter(IDKind.job.matches), claimant: claimant, leaseSeconds: configuration.leaseSeconds)
    }

    /// Stores a result file of a job this runner holds; the finish names it to attach it.
    public func upload(
        _ identity: RunnerIdentity,
        runnerID: String,
        jobID: String,
        name: String,
        contentType: String,
        bytes: [UInt8]
    ) async throws -> StoredFile {
        let job = try await heldJob(try claimant(identity, runnerID), jobID: jobID, attempt: nil)
        guard bytes.count <= configuration.maxFileBytes else {
            throw SeekError(.payloadTooLarge, "A result file may be at most \(configuration.maxFileBytes) bytes.")
        }
        return try await files.put(workspaceID: job.workspaceID, jobID: job.id, name: name, contentType: contentType, bytes: bytes)
    }

    /// Records how this runner's run of `jobID` ended, priced by the job's own version, and leases up to
    /// `claimNext` more jobs of the worker in the same commit (so that a busy runner needs no claim call
    /// between jobs). A 409 if the runner no longer holds the job's lease (or this is not the attempt it holds).
    public func finish(
        _ identity: RunnerIdentity,
        runnerID: String,
        jobID: String,
        attempt: Int,
        report: RunnerReport,
        claimNext: Int = 0
    ) async throws -> RunnerFinish {
        let claimant = try claimant(identity, runnerID)
        let job = try await heldJob(claimant, jobID: jobID, attempt: attempt)
        guard let version = try await catalog.version(job.workerID, number: job.workerVersion) else {
            throw SeekError(.internalServerError, "The version job \(jobID) was submitted with is missing.")
        }
        let runSeconds = max(0, Date().timeIntervalSince(job.startedAt))
        let outcome = report.outcome(
            for: version.manifest,
            reserved: job.reservedCredits,
            durationMs: Int(runSeconds * 1000),
            deadlineSeconds: job.deadlineSeconds,
            files: try await attachedFiles(report, of: job)
        )
        let next = min(max(0, claimNext), configuration.maxClaim)
        let result = try await queue.finish(
            job,
            claimant: claimant,
            outcome: outcome,
            runSeconds: runSeconds,
            thenClaim: next > 0 ? ClaimRequest(workers: [identity.workerID], limit: next, leaseSeconds: configuration.leaseSeconds) : nil
        )
        _ = leased.withLock { $0.removeValue(forKey: jobID) }
        guard result.recorded else { throw Self.leaseLost(jobID) }
        remember(result.next, claimant: claimant)
        return RunnerFinish(status: outcome.status, next: try await withManifests(result.next))
    }

    /// The job, if this runner process holds its lease (in `attempt`, when given); a 409 otherwise.
    private func heldJob(_ claimant: String, jobID: String, attempt: Int?) async throws -> ClaimedJob {
        // Only a finish may trust the cache: its commit checks claimant and attempt again. An upload reads.
        if let attempt, let held = leased.withLock({ $0[jobID] }), held.claimant == claimant, held.job.attempt == attempt {
            return held.job
        }
        guard let job = try await queue.store.runningJob(id: jobID, claimant: claimant), attempt == nil || job.attempt == attempt else {
            throw Self.leaseLost(jobID)
        }
        return job
    }

    /// The files a completed report names: each must be one this job's runner uploaded.
    private func attachedFiles(_ report: RunnerReport, of job: ClaimedJob) async throws -> [JobFile] {
        guard case let .completed(_, _, ids) = report else { return [] }
        guard ids.count <= configuration.maxFiles else {
            throw SeekError(.badRequest, "A job may have at most \(configuration.maxFiles) files.")
        }
        var attached: [JobFile] = []
        for id in ids {
            guard let file = try await files.file(id: id), file.jobID == job.id else {
                throw SeekError(.badRequest, "File \(id) was not uploaded for job \(job.id).")
            }
            attached.append(file.jobFile)
        }
        return attached
    }

    private func remember(_ jobs: [ClaimedJob], claimant: String) {
        guard !jobs.isEmpty else { return }
        leased.withLock { leased in
            // Runners that vanish leave entries behind: past the limit the cache starts over (misses read).
            if leased.count + jobs.count > Self.leasedLimit { leased.removeAll() }
            for job in jobs { leased[job.id] = (claimant, job) }
        }
    }

    static func leaseLost(_ jobID: String) -> SeekError {
        SeekError(.conflict, "This runner no longer holds the lease on job \(jobID): it went back to the queue, or another run has it.")
    }

    /// Each job with the manifest of the version it runs, which says how its result is shaped and billed.
    private func withManifests(_ jobs: [ClaimedJob]) async throws -> [RemoteJob] {
        var remote: [RemoteJob] = []
        for job in jobs {
            guard let version = try await catalog.version(job.workerID, number: job.workerVersion) else {
                throw SeekError(.internalServerError, "The version job \(job.id) was submitted with is missing.")
            }
            remote.append(RemoteJob(job: job, manifest: version.manifest))
        }
        return remote
    }

    private func claimant(_ identity: RunnerIdentity, _ runnerID: String) throws -> String {
        guard RunnerIdentity.isValidRunnerID(runnerID) else {
            throw SeekError(.badRequest, "runner_id must be 1 to 64 letters, digits, '-', '_' or '.'.")
        }
        return identity.claimant(runnerID: runnerID)
    }

    /// Writes that this runner process is alive, at most once per `presenceInterval`.
    private func notePresence(_ identity: RunnerIdentity, claimant: String) async throws {
        let now = ContinuousClock.now
        let due = lastSeen.withLock { seen in
            if let last = seen[claimant], now - last < configuration.presenceInterval { return false }
            // Runner ids are the runners' to choose: forget the ones that went quiet, so the map stays small.
            if seen.count >= 10_000 { seen = seen.filter { now - $0.value < configuration.presenceInterval } }
            seen[claimant] = now
            return true
        }
        if due { try await store.recordRunnerSeen(identity, claimant: claimant, at: Date()) }
    }
}

/// How a runner's report was recorded, and the jobs leased to it in the same commit.
public struct RunnerFinish: Sendable {
    public let status: JobStatus
    public let next: [RemoteJob]
}

/// A job leased to a remote runner, with the manifest of the version it runs.
public struct RemoteJob: Sendable {
    public let job: ClaimedJob
    public let manifest: WorkerManifest
}
