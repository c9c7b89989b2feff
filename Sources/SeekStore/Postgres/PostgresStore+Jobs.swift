import Foundation
import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: JobStore {
    public func submit(_ submission: JobSubmission) async throws -> SubmitResult {
        let inputText = submission.request.input.serializedString
        let logger = logger
        let result = try await batchedWrite(submits, locksFirst: submission.workspaceID) { db -> SubmitResult in
            let now = Date.storeNow()
            let handOff = submission.handOff
            let job = StoredShapes.newJob(submission, at: now)
            if let claim = submission.idempotency {
                // The key's row is the turnstile: of two submits with one key on any nodes, the second's insert waits
                // for the first's commit and then finds the key (or, if the first rolled back, takes it).
                let taken = try await db.run(
                    """
                    INSERT INTO idempotency_keys (workspace_id, key, fingerprint, job_id, created_at)
                    VALUES (\(job.workspaceID), \(claim.key), \(claim.fingerprint), \(job.id), \(now.storedMillis))
                    ON CONFLICT (workspace_id, key) DO NOTHING RETURNING 1
                    """,
                    logger: logger
                )
                if taken == 0 {
                    if let earlier = try await Self.replay(claim, workspaceID: submission.workspaceID, now: now, on: db, logger: logger) {
                        return .replayed(earlier)
                    }
                    // The earlier use is past the window: the key is this job's now.
                    try await db.run(
                        """
                        UPDATE idempotency_keys SET fingerprint = \(claim.fingerprint), job_id = \(job.id), created_at = \(now.storedMillis)
                        WHERE workspace_id = \(job.workspaceID) AND key = \(claim.key)
                        """,
                        logger: logger
                    )
                }
            }
            let lease = handOff.map { now.addingTimeInterval($0.seconds).storedMillis }
            let row = RowInsert(
                into: "jobs",
                columns: [
                    "id", "workspace_id", "worker_id", "status", "priority", "input", "webhook_url", "timeout_s", "cost_estimate",
                    "billing_mode", "created_at", "runner_id", "attempts", "started_at", "lease_expires_at", "worker_version",
                    "worker_version_name", "publisher_id", "platform_fee_percent",
                ]
            ) { binds in
                try binds.append(job.id)
                try binds.append(job.workspaceID)
                try binds.append(job.workerID)
                try binds.append(job.status.rawValue)
                try binds.append(job.priority.rank)
                try binds.append(inputText)
                try binds.append(job.webhookURL)
                try binds.append(job.timeoutSeconds)
                try binds.append(job.costEstimateCredits)
                try binds.append(job.billingMode.rawValue)
                try binds.append(now.storedMillis)
                try binds.append(handOff?.claimant)
                try binds.append(job.attempts)
                try binds.append(job.startedAt?.storedMillis)
                try binds.append(lease)
                try binds.append(submission.workerVersion.number)
                try binds.append(submission.workerVersion.name)
                try binds.append(submission.publisher?.workspaceID)
                try binds.append(submission.publisher?.fee.percent)
            }
            // A job an idempotency key names goes in at once: a second submit with that key in this batch reads it.
            try await row.run(on: db, deferrable: submission.idempotency == nil, logger: logger)
            // Reserved last, so that the workspace's row is locked only until the commit; a 402 rolls the job back.
            try await Self.post(
                .reserve,
                job.costEstimateCredits,
                workspaceID: job.workspaceID,
                jobID: job.id,
                workerID: job.workerID,
                at: now,
                on: db,
                logger: logger
            )
            return .created(job)
        }
        if case let .created(job) = result, job.status == .queued { announcements.announce(.queued(workerID: job.workerID)) }
        return result
    }

    /// The job an earlier use of this key created, or nil if the key is new (or older than the window).
    private static func replay(
        _ claim: IdempotencyClaim,
        workspaceID: String,
        now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> Job? {
        guard
            let row = try await db.first(
                "SELECT fingerprint, job_id, created_at FROM idempotency_keys WHERE workspace_id = \(workspaceID) AND key = \(claim.key)",
                logger: logger
            )
        else { return nil }
        let replays = try Idempotency.replays(
            earlier: try row.string("fingerprint"),
            usedAt: try row.date("created_at") ?? .distantPast,
            by: claim,
            at: now
        )
        guard replays else { return nil }
        return try await fetchJob(id: try row.string("job_id"), workspaceID: workspaceID, on: db, logger: logger)
    }

    public func job(id: String, workspaceID: String) async throws -> Job? {
        let logger = logger
        return try await read { db in try await Self.fetchJob(id: id, workspaceID: workspaceID, on: db, logger: logger) }
    }

    /// The job, if it is this workspace's; `locking` holds its row until the transaction ends.
    static func fetchJob(id: String, workspaceID: String, locking: Bool = false, on db: PostgresConnection, logger: Logger) async throws -> Job? {
        try await db.first(
            "\(unescaped: StoredShapes.selectJob) WHERE jobs.id = \(id) AND jobs.workspace_id = \(workspaceID) \(unescaped: locking ? "FOR UPDATE OF jobs" : "")",
            logger: logger
        ).map(StoredShapes.job)
    }

    public func jobs(workspaceID: String, filter: JobFilter) async throws -> [Job] {
        let logger = logger
        return try await read { db in
            try await db.all(
                """
                \(unescaped: StoredShapes.selectJob) WHERE jobs.workspace_id = \(workspaceID)
                AND (\(filter.status?.rawValue)::text IS NULL OR jobs.status = \(filter.status?.rawValue))
                AND (\(filter.workerID)::text IS NULL OR jobs.worker_id = \(filter.workerID))
                ORDER BY jobs.seq DESC LIMIT \(filter.limit)
                """,
                logger: logger
            ).map(StoredShapes.job)
        }
    }

    public func cancel(jobID: String, workspaceID: String, ending: JobEnding) async throws -> Job {
        let payload = ending.webhookPayload.serializedString
        let now = Date(storedMillis: ending.at.storedMillis)
        let logger = logger
        let cancelled = try await write { db -> Job in
            // Locked, so that a claim (which skips locked rows) cannot start the job while it is cancelled.
            guard var job = try await Self.fetchJob(id: jobID, workspaceID: workspaceID, locking: true, on: db, logger: logger) else {
                throw SeekError.notFound("Job \(jobID)")
            }
            guard job.status.canMove(to: .cancelled) else {
                throw SeekError(.conflict, "Job \(jobID) is \(job.status.rawValue); only a queued job can be cancelled.")
            }
            try await db.run(
                "UPDATE jobs SET status = 'cancelled', completed_at = \(now.storedMillis), cost_run = 0, cost_infra = 0 WHERE id = \(jobID)",
                logger: logger
            )
            try await Self.settle(
                reserved: job.costEstimateCredits,
                charged: 0,
                workspaceID: workspaceID,
                jobID: jobID,
                workerID: job.workerID,
                at: now,
                on: db,
                logger: logger
            )
            if let url = job.webhookURL {
                try await Self.enqueueWebhook(
                    url: url,
                    workspaceID: workspaceID,
                    jobID: jobID,
                    payload: payload,
                    event: ending.event,
                    at: now,
                    on: db,
                    logger: logger
                )
                job.webhook = WebhookStatus(url: url, state: .pending, attempts: 0)
            }
            job.status = .cancelled
            job.completedAt = now
            job.cost = .zero
            return job
        }
        announcements.announce(.ended(jobIDs: [jobID]))
        return cancelled
    }

    public func claim(workers: [String], limit: Int, claimant: String, leaseSeconds: Double) async throws -> [ClaimedJob] {
        let request = ClaimRequest(workers: workers, limit: limit, leaseSeconds: leaseSeconds)
        guard !request.isEmpty else { return [] }
        let (logger, cursor) = (logger, claimCursor)
        return try await write { db in try await Self.claim(request, claimant: claimant, at: Date.storeNow(), cursor: cursor, on: db, logger: logger)
        }
    }

    /// Held (with the workspace's hash) while a transaction claims a workspace's jobs: claims for one workspace
    /// take turns across nodes, so that the running count each reads holds the plan's concurrency.
    static let claimLock: Int32 = 0x5EE4_0002

    /// The claim locks one transaction holds. A claim waits for a lock only in ascending workspace order, so that
    /// two claims never wait on each other in a circle; a lock below one it holds (the second pass's) is only
    /// tried, and a workspace whose lock another claim holds is left to that claim.
    struct ClaimLocks {
        private var held: Set<String> = []
        private var highest: String?

        /// Whether the transaction holds `workspaceID`'s lock now.
        mutating func take(_ workspaceID: String, on db: PostgresConnection, logger: Logger) async throws -> Bool {
            guard !held.contains(workspaceID) else { return true }
            if let highest, workspaceID < highest {
                let row = try await db.first(
                    "SELECT pg_try_advisory_xact_lock(\(claimLock), hashtext(\(workspaceID))) AS taken",
                    logger: logger
                )
                guard try row?.flag("taken") == true else { return false }
            } else {
                try await db.run("SELECT pg_advisory_xact_lock(\(claimLock), hashtext(\(workspaceID)))", logger: logger)
                highest = workspaceID
            }
            held.insert(workspaceID)
            return true
        }
    }

    static let candidatesQuery = StoredShapes.claimCandidates.replacingOccurrences(of: "LIMIT ?", with: "LIMIT $1")

    /// Moves queued jobs to running under `claimant`'s lease, in the caller's transaction, shared fairly among the
    /// workspaces waiting (`FairShare`), as the SQLite store does; rows another transaction holds are skipped.
    static func claim(
        _ request: ClaimRequest,
        claimant: String,
        at now: Date,
        cursor: ClaimCursor,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> [ClaimedJob] {
        guard !request.isEmpty else { return [] }
        var bindings = PostgresBindings()
        bindings.append(StoredShapes.maxWorkspacesPerClaim)
        var candidates = try await db.all(PostgresQuery(unsafeSQL: candidatesQuery, binds: bindings), logger: logger).map(StoredShapes.candidate)
        guard !candidates.isEmpty else { return [] }
        let lease = now.addingTimeInterval(request.leaseSeconds).storedMillis
        var claimed: [PostgresStoredRow] = []
        var served = cursor.lastServed
        var locks = ClaimLocks()
        // A workspace whose queued jobs are for other workers gives back its share; a second pass hands it on.
        for _ in 0..<2 where claimed.count < request.limit {
            let (shares, last) = FairShare.shares(candidates, limit: request.limit - claimed.count, after: served)
            guard !shares.isEmpty else { break }
            served = last
            for (workspaceID, share) in shares.sorted(by: { $0.workspaceID < $1.workspaceID }) {
                guard let index = candidates.firstIndex(where: { $0.workspaceID == workspaceID }),
                    try await locks.take(workspaceID, on: db, logger: logger)
                else { continue }
                // The running count is read under the lock, in the statement that claims: its snapshot is taken
                // after the lock was granted, so it sees every claim committed before, on any node.
                let rows = try StoredShapes.inQueueOrder(
                    await db.all(
                        """
                        UPDATE jobs SET status = 'running', runner_id = \(claimant), attempts = attempts + 1, started_at = \(now.storedMillis),
                                        lease_expires_at = \(lease)
                        WHERE seq IN (SELECT seq FROM jobs WHERE status = 'queued' AND workspace_id = \(workspaceID)
                                      AND worker_id = ANY(\(request.workers))
                                      ORDER BY priority DESC, seq
                                      LIMIT GREATEST(0, LEAST(\(share), \(candidates[index].concurrency) - (
                                          SELECT COUNT(*) FROM jobs WHERE status = 'running' AND workspace_id = \(workspaceID))))
                                      FOR UPDATE SKIP LOCKED)
                        RETURNING seq, priority, \(unescaped: StoredShapes.claimedColumns)
                        """,
                        logger: logger
                    )
                )
                claimed += rows
                candidates[index].running += rows.count
                // Fewer than its share: at its plan's concurrency, or out of jobs these workers run; it gives back the rest.
                if rows.count < share { candidates[index].queued = 0 }
            }
        }
        cursor.lastServed = served
        return try claimed.map { row in try StoredShapes.claimedJob(row, startedAt: now) }
    }

    @discardableResult
    public func renewLeases(jobIDs: [String], claimant: String, leaseSeconds: Double) async throws -> Set<String> {
        guard !jobIDs.isEmpty else { return [] }
        let logger = logger
        return try await write { db in
            let expires = Date().addingTimeInterval(leaseSeconds).storedMillis
            let rows = try await db.all(
                """
                UPDATE jobs SET lease_expires_at = \(expires)
                WHERE id IN (SELECT id FROM jobs WHERE id = ANY(\(jobIDs)) AND status = 'running' AND runner_id = \(claimant) \(unescaped: Self.inIDOrder))
                RETURNING id
                """,
                logger: logger
            )
            return Set(try rows.map { try $0.string("id") })
        }
    }

    public func runningJob(id: String, claimant: String) async throws -> ClaimedJob? {
        let logger = logger
        return try await read { db in
            guard
                let row = try await db.first(
                    """
                    SELECT \(unescaped: StoredShapes.claimedColumns), started_at FROM jobs
                    WHERE id = \(id) AND status = 'running' AND runner_id = \(claimant)
                    """,
                    logger: logger
                )
            else { return nil }
            return try StoredShapes.claimedJob(row, startedAt: try row.date("started_at") ?? Date())
        }
    }

    public func finish(_ claimed: ClaimedJob, claimant: String, ending: JobEnding, thenClaim next: ClaimRequest?) async throws -> FinishResult {
        let finish = Finishing(claimed, claimant: claimant, ending: ending)
        let logger = logger
        let step = FinishStep(claimant: claimant, next: next)
        let result = try await batchedWrite(finishes, lane: step.lane, locksFirst: claimed.id) { db -> FinishStep in
            // A bare batch ends its finishes' jobs together, at its end (`FinishStep.recordWaiting`).
            if LedgerTab.tab(on: db)?.deferred == true { return step.waiting(for: finish) }
            guard let ended = try await Finishing.end([finish], on: db, logger: logger)[finish.run] else { return step.recording(false) }
            try await finish.settle(ended, on: db, logger: logger)
            return step.recording(true)
        }
        if result.recorded { announcements.announce(.ended(jobIDs: [claimed.id])) }
        return result
    }

    /// Charges what a job cost out of its reservation and releases the rest; returns what was charged.
    @discardableResult
    static func settle(
        reserved: Int,
        charged: Int,
        workspaceID: String,
        jobID: String,
        workerID: String,
        at now: Date,
        on db: PostgresConnection,
        logger: Logger
    ) async throws -> Int {
        let entries = Settlement.entries(reserved: reserved, charged: charged)
        try await post(entries, workspaceID: workspaceID, jobID: jobID, workerID: workerID, at: now, on: db, logger: logger)
        return entries.filter { $0.0 == .charge }.reduce(0) { $0 + $1.1 }
    }

    /// Puts running jobs back in the queue as if never started; the caller's condition says which.
    private static let requeue = "UPDATE jobs SET status = 'queued', runner_id = NULL, lease_expires_at = NULL, started_at = NULL"

    /// Ends a subquery that picks jobs: it locks them in id order. A statement that changes several jobs takes
    /// their rows in the order a batch of finishes does (`PostgresBatcher` sorts finishes by job id, in the same
    /// byte order), so that the two never wait on each other in a circle.
    static let inIDOrder = "ORDER BY id COLLATE \"C\" FOR UPDATE"

    public func returnToQueue(_ claimed: ClaimedJob, claimant: String) async throws {
        let logger = logger
        _ = try await write { db in
            try await db.run(
                """
                \(unescaped: Self.requeue)
                WHERE id = \(claimed.id) AND status = 'running' AND runner_id = \(claimant) AND attempts = \(claimed.attempt)
                """,
                logger: logger
            )
        }
        announcements.announce(.queued(workerID: claimed.workerID))
    }

    public func releaseClaims(of claimant: String) async throws -> Int {
        let logger = logger
        let released = try await write { db in
            try await db.run(
                """
                \(unescaped: Self.requeue)
                WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND runner_id = \(claimant) \(unescaped: Self.inIDOrder)) RETURNING 1
                """,
                logger: logger
            )
        }
        if released > 0 { announcements.announce(.queued(workerID: nil)) }
        return released
    }

    public func requeueExpiredLeases(before cutoff: Date) async throws -> Int {
        let logger = logger
        let requeued = try await write { db in
            try await db.run(
                """
                \(unescaped: Self.requeue)
                WHERE id IN (SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < \(cutoff.storedMillis) \(unescaped: Self.inIDOrder))
                RETURNING 1
                """,
                logger: logger
            )
        }
        if requeued > 0 { announcements.announce(.queued(workerID: nil)) }
        return requeued
    }

    public func queueCounts() async throws -> (queued: Int, running: Int) {
        let logger = logger
        return try await read { db in
            let row = try await db.first(
                """
                SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'queued') AS queued, (SELECT COUNT(*) FROM jobs WHERE status = 'running') AS running
                """,
                logger: logger
            )
            return (try row?.int("queued") ?? 0, try row?.int("running") ?? 0)
        }
    }
}
