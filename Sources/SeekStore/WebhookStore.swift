import Foundation
import SeekCore

/// The webhook outbox. Deliveries enter it in the commit that makes their job terminal (see `JobStore`).
public protocol WebhookStore: Sendable {
    /// Takes up to `limit` due deliveries, oldest due first, for one attempt each by `claimant`. Their next
    /// attempt moves `leaseSeconds` ahead, so a delivery whose sender dies is tried again, with the same id,
    /// not lost.
    func claimDueWebhooks(now: Date, limit: Int, claimant: String, leaseSeconds: Double) async throws -> [WebhookDelivery]
    /// Logs an attempt and moves its delivery on (delivered, retry at a time, failed) in one commit.
    func recordWebhookAttempt(deliveryID: String, attempt: WebhookAttempt, next: WebhookNextStep) async throws
    /// When the earliest pending delivery falls due; nil when none is pending.
    func nextWebhookDue() async throws -> Date?
    /// Makes the deliveries `claimant` had claimed due now: it restarted, so none of them is in flight.
    func releaseWebhookClaims(of claimant: String) async throws -> Int
    /// Every delivery attempt of the job's webhook, oldest first; nil if the job is not this workspace's.
    func webhookAttempts(jobID: String, workspaceID: String) async throws -> [WebhookAttempt]?
    /// Deliveries still pending (waiting, in flight or between retries), for metrics.
    func pendingWebhookCount() async throws -> Int
}

/// Everything a Seek node needs from storage.
public typealias SeekStore = WorkspaceStore & LedgerStore & JobStore & WebhookStore & WorkerStore & UserStore & RetentionStore & StorageProbe
