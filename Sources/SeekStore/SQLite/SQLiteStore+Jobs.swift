import Foundation
import GRDB
import SeekCore

extension SQLiteStore: JobStore {
    public func submit(_ submission: JobSubmission) async throws -> SubmitResult {
        let inputText = submission.request.input.serializedString
        return try await writer.write { db in
            let now = Date.storeNow()
            if let claim = submission.idempotency, let earlier = try Self.replay(claim, workspaceID: submission.workspaceID, now: now, in: db) {
                return .replayed(earlier)
            }
            let handOff = submission.handOff
            let job = StoredShapes.newJob(submission, at: now)
            // Reserve first: a 402 leaves nothing behind.
            try Self.post(.reserve, job.costEstimateCredits, workspaceID: job.workspaceID, jobID: job.id, workerID: job.workerID, at: now, in: db)
            // A job handed to a free slot is stored running under its lease: one commit queues and claims it.
            try db.cachedStatement(
                sql: """
                    INSERT INTO jobs (id, workspace_id, worker_id, status, priority, input, webhook_url, timeout_s, cost_estimate,
                                      billing_mode, created_at, runner_id, attempts, started_at, lease_expires_at, worker_version,
                                      worker_version_name, publisher_id, platform_fee_percent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                job.id, job.workspaceID, job.workerID, job.status.rawValue, job.priority.rank, inputText, job.webhookURL,
                job.timeoutSeconds, job.costEstimateCredits, job.billingMode.rawValue, now.storedMillis, handOff?.claimant,
                job.attempts, job.startedAt?.storedMillis, handOff.map { now.addingTimeInterval($0.seconds).storedMillis },
                submission.workerVersion.number, submission.workerVersion.name, submission.publisher?.workspaceID,
                submission.publisher?.fee.percent,
            ])
            if let claim = submission.idempotency {
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO idempotency_keys (workspace_id, key, fingerprint, job_id, created_at) VALUES (?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [job.workspaceID, claim.key, claim.fingerprint, job.id, now.storedMillis])
            }
            return .created(job)
        }
    }

    /// The job an earlier use of this key created, or nil if the key is new (or older than the window).
    private static func replay(_ claim: IdempotencyClaim, workspaceID: String, now: Date, in db: Database) throws -> Job? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT fingerprint, job_id, created_at FROM idempotency_keys WHERE workspace_id = ? AND key = ?
                        """
                ),
                arguments: [workspaceID, claim.key]
            )
        else { return nil }
        let replays = try Idempotency.replays(
            earlier: row["fingerprint"],
            usedAt: try row.date("created_at") ?? .distantPast,
            by: claim,
            at: now
        )
        guard replays else { return nil }
        return try fetchJob(id: row["job_id"], workspaceID: workspaceID, in: db)
    }

    public func job(id: String, workspaceID: String) async throws -> Job? {
        try await read { db in try Self.fetchJob(id: id, workspaceID: workspaceID, in: db) }
    }

    static func fetchJob(id: String, workspaceID: String, in db: Database) throws -> Job? {
        try Row.fetchOne(
            db.cachedStatement(sql: "\(StoredShapes.selectJob) WHERE jobs.id = ? AND jobs.workspace_id = ?"),
            arguments: [id, workspaceID]
        )
        .map(StoredShapes.job)
    }

    public func jobs(workspaceID: String, filter: JobFilter) async throws -> [Job] {
        try await read { db in
            var sql = "\(StoredShapes.selectJob) WHERE jobs.workspace_id = ?"
            var arguments: StatementArguments = [workspaceID]
            if let status = filter.status {
                sql += " AND jobs.status = ?"
                arguments += [status.rawValue]
            }
            if let worker = filter.workerID {
                sql += " AND jobs.worker_id = ?"
                arguments += [worker]
            }
            sql += " ORDER BY jobs.seq DESC LIMIT ?"
            arguments += [filter.limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(StoredShapes.job)
        }
    }

    public func cancel(jobID: String, workspaceID: String, ending: JobEnding) async throws -> Job {
        let payload = ending.webhookPayload.serializedString
        let now = Date(storedMillis: ending.at.storedMillis)
        return try await writer.write { db in
            guard var job = try Self.fetchJob(id: jobID, workspaceID: workspaceID, in: db) else { throw SeekError.notFound("Job \(jobID)") }
            guard job.status.canMove(to: .cancelled) else {
                throw SeekError(.conflict, "Job \(jobID) is \(job.status.rawValue); only a queued job can be cancelled.")
            }
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'cancelled', completed_at = ?, cost_run = 0, cost_infra = 0
                    WHERE seq = (SELECT seq FROM jobs WHERE id = ?)
                    """,
                arguments: [now.storedMillis, jobID]
            )
            try Self.settle(
                reserved: job.costEstimateCredits,
                charged: 0,
                workspaceID: workspaceID,
                jobID: jobID,
                workerID: job.workerID,
                at: now,
                in: db
            )
            if let url = job.webhookURL {
                try Self.enqueueWebhook(url: url, workspaceID: workspaceID, jobID: jobID, payload: payload, event: ending.event, at: now, in: db)
                job.webhook = WebhookStatus(url: url, state: .pending, attempts: 0)
            }
            job.status = .cancelled
            job.completedAt = now
            job.cost = .zero
            return job
        }
    }

    public func claim(workers: [String], limit: Int, claimant: String, leaseSeconds: Double) async throws -> [ClaimedJob] {
        let request = ClaimRequest(workers: workers, limit: limit, leaseSeconds: leaseSeconds)
        guard !request.isEmpty else { return [] }
        return try await writer.write { db in try Self.claim(request, claimant: claimant, at: Date.storeNow(), cursor: self.claimCursor, in: db) }
    }

    /// Moves queued jobs to running under `claimant`'s lease, in the caller's transaction, shared fairly among
    /// the workspaces waiting (`FairShare`): round robin from the one after the last served, none past its
    /// plan's concurrency, priority and then age within each.
    private static func claim(
        _ request: ClaimRequest,
        claimant: String,
        at now: Date,
        cursor: ClaimCursor,
        in db: Database
    ) throws
        -> [ClaimedJob]
    {
        guard !request.isEmpty else { return [] }
        var candidates = try Row.fetchAll(db.cachedStatement(sql: StoredShapes.claimCandidates), arguments: [StoredShapes.maxWorkspacesPerClaim])
            .map(StoredShapes.candidate)
        guard !candidates.isEmpty else { return [] }
        let placeholders = request.workers.map { _ in "?" }.joined(separator: ", ")
        let take = try db.cachedStatement(
            sql: """
                UPDATE jobs SET status = 'running', runner_id = ?, attempts = attempts + 1, started_at = ?, lease_expires_at = ?
                WHERE seq IN (SELECT seq FROM jobs WHERE status = 'queued' AND workspace_id = ? AND worker_id IN (\(placeholders))
                              ORDER BY priority DESC, seq LIMIT ?)
                RETURNING seq, priority, \(StoredShapes.claimedColumns)
                """
        )
        let lease = now.addingTimeInterval(request.leaseSeconds).storedMillis
        var claimed: [Row] = []
        var served = cursor.lastServed
        // A workspace whose queued jobs are for other workers gives back its share; a second pass hands it on.
        for _ in 0..<2 where claimed.count < request.limit {
            let (shares, last) = FairShare.shares(candidates, limit: request.limit - claimed.count, after: served)
            guard !shares.isEmpty else { break }
            served = last
            for (workspaceID, jobs) in shares {
                let rows = try StoredShapes.inQueueOrder(
                    Row.fetchAll(take, arguments: [claimant, now.storedMillis, lease, workspaceID] + StatementArguments(request.workers) + [jobs])
                )
                claimed += rows
                guard let index = candidates.firstIndex(where: { $0.workspaceID == workspaceID }) else { continue }
                candidates[index].running += rows.count
                if rows.count < jobs { candidates[index].queued = 0 }
            }
        }
        cursor.lastServed = served
        return try claimed.map { row in try StoredShapes.claimedJob(row, startedAt: now) }
    }

    @discardableResult
    public func renewLeases(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws -> Set<String> {
        guard !jobIDs.isEmpty else { return [] }
        return try await writer.write { db in
            let expires = Date().addingTimeInterval(leaseSeconds).storedMillis
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE jobs SET lease_expires_at = ? WHERE seq = (SELECT seq FROM jobs WHERE id = ?) AND status = 'running' AND runner_id = ?
                    """
            )
            var renewed: Set<String> = []
            for id in jobIDs {
                try statement.execute(arguments: [expires, id, claimant])
                if db.changesCount == 1 { renewed.insert(id) }
            }
            return renewed
        }
    }

    public func runningJob(id: String, claimant: String) async throws -> ClaimedJob? {
        try await read { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT \(StoredShapes.claimedColumns), started_at FROM jobs WHERE id = ? AND status = 'running' AND runner_id = ?
                        """
                ),
                arguments: [id, claimant]
            ).map { row in try StoredShapes.claimedJob(row, startedAt: try row.date("started_at") ?? Date()) }
        }
    }

    public func finish(_ claimed: ClaimedJob, claimant: String, ending: JobEnding, thenClaim next: ClaimRequest?) async throws -> FinishResult {
        let resultText = ending.result?.json.serializedString
        let filesText = ending.files.isEmpty ? nil : StoredShapes.encode(ending.files).serializedString
        let payload = claimed.webhookURL == nil ? nil : ending.webhookPayload.serializedString
        let finishedAt = Date(storedMillis: ending.at.storedMillis)
        return try await writer.write { db in
            let updated = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE jobs SET status = ?, completed_at = ?, result = ?, files = ?, cost_run = ?, cost_infra = ?, error_code = ?,
                                        error_message = ?, lease_expires_at = NULL
                        WHERE seq = (SELECT seq FROM jobs WHERE id = ?) AND status = 'running' AND runner_id = ? AND attempts = ?
                        RETURNING publisher_id, platform_fee_percent
                        """
                ),
                arguments: [
                    ending.status.rawValue, finishedAt.storedMillis, resultText, filesText, ending.cost.runCredits, ending.cost.infraCredits,
                    ending.error?.code, ending.error?.message, claimed.id, claimant, claimed.attempt,
                ]
            )
            // The next job for the freed slot, in this commit, so that a busy runner makes no claim of its own.
            let nextJobs = try next.map { try Self.claim($0, claimant: claimant, at: finishedAt, cursor: self.claimCursor, in: db) } ?? []
            // The run lost its lease and the job was requeued (and maybe finished) elsewhere: this result is stale.
            guard let updated else { return FinishResult(recorded: false, next: nextJobs) }
            let charged = try Self.settle(
                reserved: claimed.reservedCredits,
                charged: ending.cost.totalCredits,
                workspaceID: claimed.workspaceID,
                jobID: claimed.id,
                workerID: claimed.workerID,
                at: finishedAt,
                in: db
            )
            if let (publisher, earning) = try StoredShapes.publisherEarning(updated, charged: charged) {
                try Self.post(.earning, earning, workspaceID: publisher, jobID: claimed.id, workerID: claimed.workerID, at: finishedAt, in: db)
            }
            if let url = claimed.webhookURL, let payload {
                try Self.enqueueWebhook(
                    url: url,
                    workspaceID: claimed.workspaceID,
                    jobID: claimed.id,
                    payload: payload,
                    event: ending.event,
                    at: finishedAt,
                    in: db
                )
            }
            return FinishResult(recorded: true, next: nextJobs)
        }
    }

    /// Charges what a job cost out of its reservation and releases the rest; returns what was charged.
    @discardableResult
    private static func settle(
        reserved: Int,
        charged: Int,
        workspaceID: String,
        jobID: String,
        workerID: String,
        at now: Date,
        in db: Database
    ) throws -> Int {
        var total = 0
        for (type, amount) in Settlement.entries(reserved: reserved, charged: charged) {
            try post(type, amount, workspaceID: workspaceID, jobID: jobID, workerID: workerID, at: now, in: db)
            if type == .charge { total += amount }
        }
        return total
    }

    /// Puts running jobs back in the queue as if never started; `condition` says which.
    private static let requeue = "UPDATE jobs SET status = 'queued', runner_id = NULL, lease_expires_at = NULL, started_at = NULL"

    public func returnToQueue(_ claimed: ClaimedJob, claimant: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    \(Self.requeue)
                    WHERE seq = (SELECT seq FROM jobs WHERE id = ?) AND status = 'running' AND runner_id = ? AND attempts = ?
                    """,
                arguments: [claimed.id, claimant, claimed.attempt]
            )
        }
    }

    public func releaseClaims(of claimant: String) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "\(Self.requeue) WHERE status = 'running' AND runner_id = ?", arguments: [claimant])
            return db.changesCount
        }
    }

    public func requeueExpiredLeases(before cutoff: Date) async throws -> Int {
        try await writer.write { db in
            try db.execute(sql: "\(Self.requeue) WHERE status = 'running' AND lease_expires_at < ?", arguments: [cutoff.storedMillis])
            return db.changesCount
        }
    }

    public func queueCounts() async throws -> (queued: Int, running: Int) {
        try await read { db in
            let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'queued'") ?? 0
            let running = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'running'") ?? 0
            return (queued, running)
        }
    }
}
