import Foundation
import SeekCore

/// Workspaces and their API keys.
public protocol WorkspaceStore: Sendable {
    func createWorkspace(_ request: NewWorkspace) async throws -> CreatedWorkspace
    func workspace(id: String) async throws -> Workspace?
    /// The identity behind a key's hash, if the key exists and is not revoked.
    func identity(forKeyHash hash: String) async throws -> APIKeyIdentity?
    func keys(workspaceID: String) async throws -> [APIKeyRecord]
    /// Creates a key and returns it with the secret, which is not stored.
    func createKey(workspaceID: String, name: String, scope: KeyScope) async throws -> (record: APIKeyRecord, key: String)
    /// Moves a workspace to another plan, or sets its own rate limit or credit line where its plan allows.
    func updateWorkspace(id: String, _ change: WorkspaceChange) async throws -> Workspace
    /// Revokes a key at once; a workspace keeps at least one (409).
    func revokeKey(workspaceID: String, keyID: String) async throws -> APIKeyRecord
    func recordKeyUse(keyID: String, at: Date) async throws
    /// The workspace's webhook signing secrets (made on first use if the workspace predates them).
    func webhookSecrets(workspaceID: String) async throws -> WebhookSecrets
    /// Replaces the current secret; the previous one keeps signing for `WebhookSecrets.overlap`.
    func rotateWebhookSecret(workspaceID: String) async throws -> WebhookSecrets
}

/// The credits ledger: the only source of truth for a workspace's credits.
public protocol LedgerStore: Sendable {
    /// Adds credits (`grant` or `topup`) and returns the new balance.
    func addCredits(workspaceID: String, type: LedgerEntryType, amount: Int) async throws -> CreditBalance
    /// Newest first, as the filter says.
    func ledger(workspaceID: String, filter: LedgerFilter) async throws -> Page<LedgerEntry>
    /// Opens `month` for a workspace whose plan grants credits: expires the unused rest of the last grant
    /// and grants the new one, once per month however many requests ask at once. False if already open.
    func openMonth(workspaceID: String, month: UTCMonth, at date: Date) async throws -> Bool
    /// What the workspace spent in `month`, per worker and per day.
    func usage(workspaceID: String, month: UTCMonth) async throws -> UsageReport
    /// The sum of the ledger, computed from the entries (not the cached balance): for audits and tests.
    func ledgerSum(workspaceID: String) async throws -> CreditBalance
}

/// The durable job queue.
public protocol JobStore: Sendable {
    /// Stores a job and reserves its credits in one commit (402 if short), honouring Idempotency-Key.
    func submit(_ submission: JobSubmission) async throws -> SubmitResult
    func job(id: String, workspaceID: String) async throws -> Job?
    func jobs(workspaceID: String, filter: JobFilter) async throws -> [Job]
    /// Cancels a queued job and releases its credits; 409 for any other status.
    func cancel(jobID: String, workspaceID: String) async throws -> Job
    /// Moves up to `limit` queued jobs, highest priority first and FIFO within one, to running under a lease.
    func claim(limit: Int, runnerID: String, leaseSeconds: Double) async throws -> [ClaimedJob]
    /// Extends the leases of jobs this runner still runs.
    func renewLeases(jobIDs: [String], runnerID: String, leaseSeconds: Double) async throws
    /// Ends a run: stores the outcome and settles the credits in one commit. False if the run had lost its
    /// lease (the job was requeued), in which case nothing changes.
    func finish(_ job: ClaimedJob, runnerID: String, outcome: JobOutcome, finishedAt: Date) async throws -> Bool
    /// Gives a claimed job back to the queue unfinished (a runner shutting down past its grace period).
    func returnToQueue(_ job: ClaimedJob, runnerID: String) async throws
    /// Returns jobs whose lease expired to the queue; `nil` returns every running job (a single node's restart).
    func requeueRunning(leaseExpiredBefore: Date?) async throws -> Int
    /// Queued and running counts, for metrics.
    func queueCounts() async throws -> (queued: Int, running: Int)
}

/// The webhook outbox. Deliveries enter it in the commit that makes their job terminal (see `JobStore`).
public protocol WebhookStore: Sendable {
    /// Takes up to `limit` due deliveries, oldest due first, for one attempt each. Their next attempt moves
    /// `leaseSeconds` ahead, so a delivery whose sender dies is tried again, with the same id, not lost.
    func claimDueWebhooks(now: Date, limit: Int, leaseSeconds: Double) async throws -> [WebhookDelivery]
    /// Logs an attempt and moves its delivery on (delivered, retry at a time, failed) in one commit.
    func recordWebhookAttempt(deliveryID: String, attempt: WebhookAttempt, next: WebhookNextStep) async throws
    /// When the earliest pending delivery falls due; nil when none is pending.
    func nextWebhookDue() async throws -> Date?
    /// Makes every claimed delivery due now: they were claimed by a process that died (a single node's restart).
    func releaseWebhookClaims() async throws -> Int
    /// Every delivery attempt of the job's webhook, oldest first; nil if the job is not this workspace's.
    func webhookAttempts(jobID: String, workspaceID: String) async throws -> [WebhookAttempt]?
    /// Deliveries still pending (waiting, in flight or between retries), for metrics.
    func pendingWebhookCount() async throws -> Int
}

/// Everything the server needs from storage.
public typealias SeekStore = WorkspaceStore & LedgerStore & JobStore & WebhookStore
