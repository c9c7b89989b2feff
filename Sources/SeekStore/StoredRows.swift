import Foundation
import SeekCore

/// A stored row read by column name, whichever database it came from. Both stores keep the same columns (times
/// as milliseconds since 1970, JSON as text), so each stored shape is decoded once, here.
protocol StoredRow {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
}

/// A column that must hold a value held none: the database was edited by hand or a query lost a column.
struct MissingColumn: Error, CustomStringConvertible {
    let column: String
    var description: String { "The stored row has no value in column \(column)." }
}

extension StoredRow {
    func string(_ column: String) throws -> String {
        guard let value = try text(column) else { throw MissingColumn(column: column) }
        return value
    }

    func int(_ column: String) throws -> Int {
        guard let value = try integer(column) else { throw MissingColumn(column: column) }
        return Int(value)
    }

    func optionalInt(_ column: String) throws -> Int? { try integer(column).map(Int.init) }

    func date(_ column: String) throws -> Date? { try integer(column).map(Date.init(storedMillis:)) }

    func json(_ column: String) throws -> JSONValue? { try text(column).flatMap { try? JSONParser.parse($0) } }
}

/// The shapes both stores read back.
enum StoredShapes {
    /// Jobs with their webhook's delivery state (the columns `job` reads).
    static let selectJob = """
        SELECT jobs.*, d.state AS webhook_state, d.attempts AS webhook_attempts
        FROM jobs LEFT JOIN webhook_deliveries d ON d.job_id = jobs.id
        """

    static func job(_ row: some StoredRow) throws -> Job {
        let status = JobStatus(rawValue: try row.string("status")) ?? .failed
        var job = Job(
            id: try row.string("id"),
            workspaceID: try row.string("workspace_id"),
            workerID: try row.string("worker_id"),
            workerVersion: try row.text("worker_version_name"),
            status: status,
            priority: JobPriority(rank: try row.int("priority")) ?? .normal,
            input: try row.json("input") ?? .object([:]),
            webhookURL: try row.text("webhook_url"),
            timeoutSeconds: try row.int("timeout_s"),
            costEstimateCredits: try row.int("cost_estimate"),
            billingMode: BillingMode(rawValue: try row.string("billing_mode")) ?? .perRun,
            attempts: try row.int("attempts"),
            createdAt: try row.date("created_at") ?? Date(),
            startedAt: try row.date("started_at"),
            completedAt: try row.date("completed_at")
        )
        if let run = try row.optionalInt("cost_run"), status.isTerminal {
            job.cost = CostBreakdown(runCredits: run, infraCredits: try row.optionalInt("cost_infra") ?? 0)
        }
        if let json = try row.json("result") { job.result = ResultEnvelope(json: json) }
        if let json = try row.json("files") { job.files = decodeFiles(json) }
        if let code = try row.text("error_code") {
            job.error = JobFailure(code: code, message: try row.text("error_message") ?? "")
        }
        if let url = job.webhookURL {
            // No outbox row yet (the job is not terminal) reads as pending.
            let state = try row.text("webhook_state").flatMap(WebhookStatus.State.init(rawValue:)) ?? .pending
            job.webhook = WebhookStatus(url: url, state: state, attempts: try row.optionalInt("webhook_attempts") ?? 0)
        }
        return job
    }

    /// A submission as the job it stores: queued, or running already when it is handed off to a free slot.
    static func newJob(_ submission: JobSubmission, at now: Date) -> Job {
        let handedOff = submission.handOff != nil
        return Job(
            id: IDKind.job.make(now: now),
            workspaceID: submission.workspaceID,
            workerID: submission.workerID,
            workerVersion: submission.workerVersion.name,
            status: handedOff ? .running : .queued,
            priority: submission.request.priority,
            input: submission.request.input,
            webhookURL: submission.request.webhook,
            timeoutSeconds: submission.plan.deadlineSeconds,
            costEstimateCredits: submission.plan.reservedCredits,
            billingMode: submission.billingMode,
            attempts: handedOff ? 1 : 0,
            createdAt: now,
            startedAt: handedOff ? now : nil
        )
    }

    /// A validated request as the workspace it makes; its first credits arrive as a grant in the same transaction.
    static func newWorkspace(_ request: NewWorkspace, at now: Date) -> Workspace {
        Workspace(
            id: IDKind.ws.make(now: now),
            name: request.name,
            plan: request.plan,
            credits: CreditBalance(balance: request.firstCredits, reserved: 0),
            customRateLimit: nil,
            creditLine: 0,
            createdAt: now
        )
    }

    /// What a finished job's publisher earns of `charged` (the finish's `publisher_id` and `platform_fee_percent`),
    /// if it has one and the earning is more than nothing.
    static func publisherEarning(_ row: some StoredRow, charged: Int) throws -> (workspaceID: String, credits: Int)? {
        guard let publisher = try row.text("publisher_id") else { return nil }
        let earning = try PlatformFee(percent: try row.optionalInt("platform_fee_percent") ?? 0).earning(of: charged)
        return earning > 0 ? (publisher, earning) : nil
    }

    /// The columns a claim returns: `ClaimedJob`'s.
    static let claimedColumns = "id, workspace_id, worker_id, worker_version, input, timeout_s, cost_estimate, attempts, webhook_url"

    static func claimedJob(_ row: some StoredRow, startedAt: Date) throws -> ClaimedJob {
        ClaimedJob(
            id: try row.string("id"),
            workspaceID: try row.string("workspace_id"),
            workerID: try row.string("worker_id"),
            workerVersion: try row.optionalInt("worker_version"),
            input: try row.json("input") ?? .object([:]),
            deadlineSeconds: try row.int("timeout_s"),
            reservedCredits: try row.int("cost_estimate"),
            attempt: try row.int("attempts"),
            startedAt: startedAt,
            webhookURL: try row.text("webhook_url")
        )
    }

    /// Claims return rows in no order: a workspace's queue order, priority first, then age.
    static func inQueueOrder<Row: StoredRow>(_ rows: [Row]) throws -> [Row] {
        let keyed = try rows.map { row in (row, try row.int("priority"), try row.integer("seq") ?? 0) }
        return keyed.sorted { a, b in a.1 != b.1 ? a.1 > b.1 : a.2 < b.2 }.map(\.0)
    }

    /// The workspaces with queued jobs, with their plans and running counts, in one statement: a loose scan of
    /// the queue index (one seek per workspace, however long its queue), then each one's running jobs counted
    /// in the small index of running jobs.
    static let claimCandidates = """
        WITH RECURSIVE waiting(id) AS (
            SELECT (SELECT workspace_id FROM jobs WHERE status = 'queued' ORDER BY workspace_id LIMIT 1)
            UNION ALL
            SELECT (SELECT workspace_id FROM jobs WHERE status = 'queued' AND workspace_id > waiting.id ORDER BY workspace_id LIMIT 1)
            FROM waiting WHERE waiting.id IS NOT NULL
        )
        SELECT w.id, w.plan, w.concurrency,
               (SELECT COUNT(*) FROM jobs r WHERE r.status = 'running' AND r.workspace_id = w.id) AS running
        FROM (SELECT id FROM waiting WHERE id IS NOT NULL LIMIT ?) q JOIN workspaces w ON w.id = q.id
        """

    /// Enough to serve every tenant of a busy server in turn; more wait for the next claim's walk.
    static let maxWorkspacesPerClaim = 1000

    static func candidate(_ row: some StoredRow) throws -> FairShare.Candidate {
        FairShare.Candidate(
            workspaceID: try row.string("id"),
            running: try row.int("running"),
            concurrency: (Plan.named(try row.string("plan")) ?? .free).concurrency(custom: try row.optionalInt("concurrency"))
        )
    }

    static func encode(_ files: [JobFile]) -> JSONValue {
        .array(
            files.map { file in
                [
                    "id": .string(file.id), "name": .string(file.name), "content_type": .string(file.contentType),
                    "size_bytes": .integer(Int64(file.sizeBytes)), "url": .string(file.url),
                    "expires_at": file.expiresAt.map { .integer($0.storedMillis) } ?? .null,
                ]
            }
        )
    }

    static func decodeFiles(_ json: JSONValue) -> [JobFile] {
        (json.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.stringValue, let name = item["name"]?.stringValue, let url = item["url"]?.stringValue else { return nil }
            return JobFile(
                id: id,
                name: name,
                contentType: item["content_type"]?.stringValue ?? "application/octet-stream",
                sizeBytes: Int(item["size_bytes"]?.integerValue ?? 0),
                url: url,
                expiresAt: item["expires_at"]?.integerValue.map(Date.init(storedMillis:))
            )
        }
    }

    static func workspace(_ row: some StoredRow) throws -> Workspace {
        Workspace(
            id: try row.string("id"),
            name: try row.string("name"),
            plan: Plan.named(try row.string("plan")) ?? .free,
            credits: CreditBalance(balance: try row.int("balance"), reserved: try row.int("reserved")),
            customRateLimit: try customRateLimit(row),
            creditLine: try row.int("credit_line"),
            customConcurrency: try row.optionalInt("concurrency"),
            customMaxKeys: try row.optionalInt("max_keys"),
            createdAt: try row.date("created_at") ?? Date()
        )
    }

    static func customRateLimit(_ row: some StoredRow) throws -> RateLimit? {
        guard let rate = try row.optionalInt("rate_per_second"), let burst = try row.optionalInt("burst") else { return nil }
        return RateLimit(perSecond: rate, burst: burst)
    }

    /// A key joined with its workspace's plan and limits (`identitySQL`'s columns).
    static func identity(_ row: some StoredRow) throws -> APIKeyIdentity {
        APIKeyIdentity(
            workspaceID: try row.string("workspace_id"),
            keyID: try row.string("id"),
            lastUsedAt: try row.date("last_used_at"),
            scope: KeyScope(rawValue: try row.string("scope")) ?? .read,
            plan: Plan.named(try row.string("plan")) ?? .free,
            customRateLimit: try customRateLimit(row)
        )
    }

    static func key(_ row: some StoredRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.string("id"),
            workspaceID: try row.string("workspace_id"),
            name: try row.string("name"),
            prefix: try row.string("prefix"),
            scope: KeyScope(rawValue: try row.string("scope")) ?? .read,
            createdAt: try row.date("created_at") ?? Date(),
            lastUsedAt: try row.date("last_used_at"),
            revokedAt: try row.date("revoked_at")
        )
    }

    static func secrets(_ row: some StoredRow) throws -> WebhookSecrets? {
        guard let current = WebhookSecret(encoded: try row.string("secret")) else { return nil }
        return WebhookSecrets(
            current: current,
            previous: try row.text("previous_secret").flatMap(WebhookSecret.init(encoded:)),
            previousUntil: try row.date("previous_until")
        )
    }

    static func ledgerEntry(_ row: some StoredRow) throws -> LedgerEntry {
        LedgerEntry(
            id: try row.string("id"),
            type: LedgerEntryType(rawValue: try row.string("type")) ?? .grant,
            amount: try row.int("amount"),
            balanceAfter: try row.int("balance_after"),
            reservedAfter: try row.int("reserved_after"),
            jobID: try row.text("job_id"),
            workerID: try row.text("worker_id"),
            createdAt: try row.date("created_at") ?? Date()
        )
    }

    static func webhookAttempt(_ row: some StoredRow) throws -> WebhookAttempt {
        WebhookAttempt(
            attemptedAt: try row.date("attempted_at") ?? Date(),
            statusCode: try row.optionalInt("status_code"),
            error: try row.text("error"),
            durationMs: try row.int("duration_ms")
        )
    }

    /// A claimed delivery (the columns a claim returns) with its workspace's signing secrets.
    static func delivery(_ row: some StoredRow, secrets: WebhookSecrets, now: Date) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.string("id"),
            workspaceID: try row.string("workspace_id"),
            jobID: try row.string("job_id"),
            url: try row.string("url"),
            event: try row.string("event"),
            payload: Array(try row.string("payload").utf8),
            attemptsMade: try row.int("attempts"),
            createdAt: try row.date("created_at") ?? now,
            secrets: secrets
        )
    }

    /// Published workers with their current version (`worker`'s columns).
    static let selectWorker = """
        SELECT w.id, w.owner_id, w.state, w.created_at AS worker_created_at, v.number, v.manifest, v.created_at
        FROM workers w JOIN worker_versions v ON v.worker_id = w.id AND v.number = w.current_version
        """

    static func worker(_ row: some StoredRow) throws -> PublishedWorker {
        PublishedWorker(
            ownerWorkspaceID: try row.string("owner_id"),
            state: PublishedWorker.State(rawValue: try row.string("state")) ?? .draft,
            current: try workerVersion(row),
            createdAt: try row.date("worker_created_at") ?? Date()
        )
    }

    /// A stored manifest was checked when it was stored; reading it back checks it again, so that a row
    /// edited by hand cannot smuggle a broken schema into the catalog.
    static func workerVersion(_ row: some StoredRow) throws -> WorkerVersion {
        let manifest = try WorkerManifest(json: try JSONParser.parse(try row.string("manifest")))
        return WorkerVersion(number: try row.int("number"), manifest: manifest, createdAt: try row.date("created_at") ?? Date())
    }

    static func runnerToken(_ row: some StoredRow) throws -> RunnerTokenRecord {
        RunnerTokenRecord(
            id: try row.string("id"),
            workerID: try row.string("worker_id"),
            workspaceID: try row.string("workspace_id"),
            prefix: try row.string("prefix"),
            createdAt: try row.date("created_at") ?? Date(),
            lastUsedAt: try row.date("last_used_at"),
            revokedAt: try row.date("revoked_at")
        )
    }

    static func user(_ row: some StoredRow) throws -> DashboardUser {
        DashboardUser(id: try row.string("id"), email: try row.string("email"), createdAt: try row.date("created_at") ?? Date())
    }

    static func membership(_ row: some StoredRow) throws -> Membership {
        Membership(
            workspaceID: try row.string("workspace_id"),
            workspaceName: try row.string("name"),
            role: MemberRole(rawValue: try row.string("role")) ?? .member
        )
    }

    static func session(_ row: some StoredRow, now: Date) throws -> DashboardSession {
        DashboardSession(
            tokenHash: try row.string("token_hash"),
            userID: try row.string("user_id"),
            workspaceID: try row.string("workspace_id"),
            createdAt: try row.date("created_at") ?? now,
            expiresAt: try row.date("expires_at") ?? now
        )
    }
}

extension UsageReport {
    /// A month's report from its ledger's sums grouped by type, worker and day (columns `type`, `worker_id`,
    /// `day`, `credits`, `jobs`).
    init(month: UTCMonth, rows: [some StoredRow]) throws {
        let sums = try rows.map { row in
            UsageSum(
                type: try row.string("type"),
                worker: try row.text("worker_id") ?? "",
                day: try row.string("day"),
                credits: try row.int("credits"),
                jobs: try row.int("jobs")
            )
        }
        func totals(_ type: LedgerEntryType) -> Totals {
            let sums = sums.filter { $0.type == type.rawValue }
            func lines(_ key: (UsageSum) -> String) -> [Line] {
                var lines: [String: Line] = [:]
                for sum in sums {
                    let name = key(sum)
                    lines[name, default: Line(key: name, credits: 0, jobs: 0)].credits += sum.credits
                    lines[name, default: Line(key: name, credits: 0, jobs: 0)].jobs += sum.jobs
                }
                return lines.values.sorted { $0.key < $1.key }
            }
            let byWorker = lines(\.worker)
            return Totals(
                credits: byWorker.reduce(0) { $0 + $1.credits },
                jobs: byWorker.reduce(0) { $0 + $1.jobs },
                byWorker: byWorker,
                byDay: lines(\.day)
            )
        }
        self.init(month: month, spent: totals(.charge), earned: totals(.earning))
    }
}

extension WebhookNextStep {
    /// The delivery's state after an attempt, and when it is next due (nil: it stays as it is).
    var stored: (state: WebhookStatus.State, nextAttempt: Date?) {
        switch self {
        case .delivered: (.delivered, nil)
        case let .retry(at): (.pending, at)
        case .failed: (.failed, nil)
        }
    }
}

/// One row of a month's grouped ledger sums.
private struct UsageSum {
    var type: String
    var worker: String
    var day: String
    var credits: Int
    var jobs: Int
}
