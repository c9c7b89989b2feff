import Foundation
import HTTPTypes
import SeekCore
import SeekStore
import SeekWorkers

/// Renders domain values in the contract's JSON shapes; the one place a field name is spelled.
struct Presenter {
    let creditPrice: CreditPrice
    let fileSigner: FileURLSigner
    let publicURL: String?
    /// The wall clock file URLs are signed by (the same that checks them).
    let now: @Sendable () -> Date

    // MARK: Jobs

    /// The 202 body of a submission.
    func accepted(_ job: Job, version: APIVersion) -> JSONValue {
        switch version {
        case .current:
            return [
                "job_uuid": .string(job.id), "status": .string(JobStatus.queued.rawValue), "worker": .string(job.workerID),
                "cost_estimate_credits": .integer(job.costEstimateCredits), "created_at": Timestamp.json(job.createdAt),
            ]
        case .legacy:
            return [
                "job_id": .string(job.id), "status": .string(JobStatus.queued.legacyName), "worker_id": .string(job.workerID),
                "cost_estimate_credits": .integer(job.costEstimateCredits), "created_at": Timestamp.json(job.createdAt),
            ]
        }
    }

    func job(_ job: Job, version: APIVersion) -> JSONValue {
        let result = job.status == .completed ? job.result.map(\.json) ?? .null : .null
        let files = JSONValue.array(job.files.map { file($0, workspaceID: job.workspaceID) })
        let error = job.error?.json ?? .null
        switch version {
        case .current:
            return [
                "job_uuid": .string(job.id), "status": .string(job.status.rawValue), "worker": .string(job.workerID),
                "worker_version": .string(job.workerVersion), "priority": .string(job.priority.rawValue),
                "cost_estimate_credits": .integer(job.costEstimateCredits),
                "cost_credits": .integer(job.costCredits), "cost": cost(job), "duration_ms": .integer(job.durationMs),
                "created_at": Timestamp.json(job.createdAt), "started_at": Timestamp.json(job.startedAt),
                "completed_at": Timestamp.json(job.completedAt), "result": result, "files": files, "error": error,
                "webhook": webhook(job),
            ]
        case .legacy:
            return [
                "job_id": .string(job.id), "worker_id": .string(job.workerID), "worker_version": .string(job.workerVersion),
                "status": .string(job.status.legacyName),
                "output": result, "files": files, "cost": cost(job), "error": error,
                "created_at": Timestamp.json(job.createdAt), "started_at": Timestamp.json(job.startedAt),
                "completed_at": Timestamp.json(job.completedAt),
            ]
        }
    }

    private func cost(_ job: Job) -> JSONValue {
        let breakdown = job.cost ?? .zero
        return [
            "total_usd": .double(creditPrice.usd(breakdown.totalCredits)), "run_usd": .double(creditPrice.usd(breakdown.runCredits)),
            "infra_usd": .double(creditPrice.usd(breakdown.infraCredits)), "billing_mode": .string(job.billingMode.rawValue),
        ]
    }

    private func webhook(_ job: Job) -> JSONValue {
        guard let webhook = job.webhook else { return .null }
        return ["url": .string(webhook.url), "state": .string(webhook.state.rawValue), "attempts": .integer(webhook.attempts)]
    }

    func webhookAttempt(_ attempt: WebhookAttempt) -> JSONValue {
        [
            "attempted_at": Timestamp.json(attempt.attemptedAt), "status_code": .integer(attempt.statusCode), "error": .string(attempt.error),
            "duration_ms": .integer(attempt.durationMs),
        ]
    }

    /// A job's file, with a URL signed afresh on every read: good for `FileURLSigner.lifetime`, or until the
    /// file expires if that comes first.
    private func file(_ file: JobFile, workspaceID: String) -> JSONValue {
        let expires = min(now().addingTimeInterval(FileURLSigner.lifetime), file.expiresAt ?? .distantFuture)
        return [
            "id": .string(file.id), "name": .string(file.name), "content_type": .string(file.contentType),
            "size_bytes": .integer(file.sizeBytes), "url": .string(fileURL(file.id, workspaceID: workspaceID, expires: expires)),
            "expires_at": Timestamp.json(file.expiresAt),
        ]
    }

    func storedFile(_ stored: StoredFile) -> JSONValue {
        file(stored.jobFile, workspaceID: stored.workspaceID)
    }

    private func fileURL(_ id: String, workspaceID: String, expires: Date) -> String {
        (publicURL ?? "") + fileSigner.path(fileID: id, workspaceID: workspaceID, expires: expires)
    }

    // MARK: Workers

    func workerSummary(_ manifest: WorkerManifest) -> JSONValue {
        [
            "id": .string(manifest.id), "name": .string(manifest.name), "description": .string(manifest.description),
            "version": .string(manifest.version), "categories": .array(manifest.categories.map(JSONValue.string)),
            "output": ["kind": .string(manifest.outputKind.rawValue)], "output_kind": .string(manifest.outputKind.rawValue),
            "pricing": pricing(manifest.pricing), "max_duration_s": .integer(manifest.maxDurationSeconds),
        ]
    }

    func workerDetail(_ manifest: WorkerManifest) -> JSONValue {
        guard case var .object(members) = workerSummary(manifest) else { return .null }
        members["input_schema"] = manifest.inputSchema
        return .object(members)
    }

    /// A worker as its owner sees it: the detail, plus its state and which version is current.
    func ownWorker(_ worker: PublishedWorker) -> JSONValue {
        guard case var .object(members) = workerDetail(worker.current.manifest) else { return .null }
        members["state"] = .string(worker.state.rawValue)
        members["version_number"] = .integer(worker.current.number)
        members["version_created_at"] = Timestamp.json(worker.current.createdAt)
        members["created_at"] = Timestamp.json(worker.createdAt)
        return .object(members)
    }

    func deployment(_ worker: PublishedWorker, runnersOnline: Int, jobsThisMonth: Int, earnedThisMonth: Int) -> JSONValue {
        [
            "worker": .string(worker.id), "name": .string(worker.current.manifest.name), "state": .string(worker.state.rawValue),
            "version": .string(worker.current.manifest.version), "version_number": .integer(worker.current.number),
            "runners_online": .integer(runnersOnline), "jobs_this_month": .integer(jobsThisMonth),
            "credits_earned_this_month": .integer(earnedThisMonth),
            "created_at": Timestamp.json(worker.createdAt),
        ]
    }

    /// A runner token as lists show it: never the token itself.
    func runnerToken(_ record: RunnerTokenRecord) -> JSONValue {
        [
            "id": .string(record.id), "worker": .string(record.workerID), "prefix": .string(record.prefix),
            "created_at": Timestamp.json(record.createdAt), "last_used_at": Timestamp.json(record.lastUsedAt),
            "revoked_at": Timestamp.json(record.revokedAt),
        ]
    }

    /// The manifest's price list, with each price also in dollars at this server's credit price.
    private func pricing(_ pricing: Pricing) -> JSONValue {
        guard case var .object(members) = pricing.json else { return .null }
        switch pricing.mode {
        case .perRun: members["usd_per_run"] = .double(creditPrice.usd(pricing.creditsPerRun))
        case .perEvent: members["usd_per_event"] = .double(creditPrice.usd(pricing.creditsPerEvent))
        }
        return .object(members)
    }

    // MARK: Account

    func credits(_ balance: CreditBalance) -> JSONValue {
        ["balance": .integer(balance.balance), "reserved": .integer(balance.reserved), "available": .integer(balance.available)]
    }

    /// The workspace's plan as it applies to it: its own rate limit where it has one, and its credit line.
    func plan(of workspace: Workspace) -> JSONValue {
        [
            "name": .string(workspace.plan.name), "rate_limit_per_second": .integer(Int64(workspace.rateLimit.perSecond)),
            "burst": .integer(Int64(workspace.rateLimit.burst)), "monthly_credits": .integer(Int64(workspace.plan.monthlyGrant)),
            "credit_line": .integer(Int64(workspace.creditLine)), "concurrency": .integer(Int64(workspace.concurrency)),
            "max_keys": .integer(Int64(workspace.maxKeys)),
        ]
    }

    func usage(_ report: UsageReport) -> JSONValue {
        func lines(_ lines: [UsageReport.Line], key: String) -> JSONValue {
            .array(lines.map { [key: .string($0.key), "credits": .integer(Int64($0.credits)), "jobs": .integer(Int64($0.jobs))] })
        }
        let spent = report.spent
        let earned = report.earned
        return [
            "month": .string(report.month.description), "credits": .integer(Int64(spent.credits)), "jobs": .integer(Int64(spent.jobs)),
            "by_worker": lines(spent.byWorker, key: "worker"), "by_day": lines(spent.byDay, key: "date"),
            "earnings": [
                "credits": .integer(Int64(earned.credits)), "jobs": .integer(Int64(earned.jobs)),
                "by_worker": lines(earned.byWorker, key: "worker"), "by_day": lines(earned.byDay, key: "date"),
            ],
        ]
    }

    func key(_ record: APIKeyRecord) -> JSONValue {
        [
            "id": .string(record.id), "name": .string(record.name), "prefix": .string(record.prefix), "scope": .string(record.scope.rawValue),
            "created_at": Timestamp.json(record.createdAt), "last_used_at": Timestamp.json(record.lastUsedAt),
        ]
    }

    func ledgerEntry(_ entry: LedgerEntry) -> JSONValue {
        [
            "id": .string(entry.id), "type": .string(entry.type.rawValue), "amount": .integer(entry.amount),
            "balance_after": .integer(entry.balanceAfter), "reserved_after": .integer(entry.reservedAfter), "job_uuid": .string(entry.jobID),
            "worker": .string(entry.workerID), "created_at": Timestamp.json(entry.createdAt),
        ]
    }

    /// `{"secret"}`, and while a rotation's overlap lasts, the secret it replaced and until when it signs.
    func webhookSecrets(_ secrets: WebhookSecrets) -> JSONValue {
        let previous = secrets.signing(at: Date()).count > 1 ? secrets.previous : nil
        return [
            "secret": .string(secrets.current.encoded), "previous_secret": .string(previous?.encoded),
            "previous_valid_until": Timestamp.json(previous == nil ? nil : secrets.previousUntil),
        ]
    }

    /// `{"data": […], "has_more", "next_cursor"}`.
    func page(_ items: [JSONValue], nextCursor: String?) -> JSONValue {
        ["data": .array(items), "has_more": .bool(nextCursor != nil), "next_cursor": .string(nextCursor)]
    }
}
