import Foundation
import Logging
import SeekCore
import SeekFetching
import SeekStore
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: claims due deliveries, makes one signed attempt each (at most `concurrency`
/// at once), logs it and schedules the retry. Deliveries are claimed in the store, so a crash at
/// any point leaves each one due again with the same webhook-id: at least once, never lost.
public final class WebhookSender: Service {
    private let store: any WebhookStore
    private let signals: JobSignals
    /// Whose claims this sender's are: stable across restarts, like the runner's.
    private let claimant: String
    private let addressGuard: AddressGuard
    private let transport: any WebhookTransport
    private let configuration: WebhookConfiguration
    private let observer: WebhookObserver
    private let logger: Logger

    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The last claim filled every free slot, so more may be due: a finished attempt should wake the loop.
    private let saturated = Atomic<Bool>(false)

    public init(
        store: any WebhookStore,
        signals: JobSignals,
        claimant: String,
        addressGuard: AddressGuard,
        transport: any WebhookTransport,
        configuration: WebhookConfiguration,
        observer: WebhookObserver = .none,
        logger: Logger
    ) {
        self.store = store
        self.signals = signals
        self.claimant = claimant
        self.addressGuard = addressGuard
        self.transport = transport
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
    }

    public func run() async throws {
        let released = try await store.releaseWebhookClaims(of: claimant)
        if released > 0 {
            logger.warning("Webhook deliveries this sender had in flight before it restarted are due again", metadata: ["count": "\(released)"])
        }
        await withGracefulShutdownHandler {
            // Attempts in flight end within their timeout; the group waits for them before the transport closes.
            await withDiscardingTaskGroup { group in
                await self.dispatch(into: &group)
            }
            await self.transport.shutdown()
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .sequentiallyConsistent)
            self.signals.webhooks.ring()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled }

    /// The claim loop: fill free slots with due deliveries, then sleep until the next one is due,
    /// a webhook is queued or a slot frees up.
    private func dispatch(into group: inout DiscardingTaskGroup) async {
        while !isStopping {
            let free = configuration.concurrency - inFlight.load(ordering: .relaxed)
            var sleep = configuration.pollInterval
            if free > 0 {
                do {
                    let due = try await store.claimDueWebhooks(now: Date(), limit: free, claimant: claimant, leaseSeconds: configuration.claimSeconds)
                    saturated.store(due.count == free, ordering: .relaxed)
                    for delivery in due {
                        inFlight.add(1, ordering: .relaxed)
                        group.addTask { await self.attempt(delivery) }
                    }
                    // Every free slot filled: more may be due, and finished attempts will ring.
                    guard due.count < free else { continue }
                    // Nothing else is due now: sleep until the earliest retry.
                    sleep = try await timeUntilNextDue()
                } catch {
                    logger.error("Claiming webhook deliveries failed", metadata: ["error": "\(error)"])
                }
            }
            await signals.webhooks.wait(timeout: sleep)
        }
    }

    private func timeUntilNextDue() async throws -> Duration {
        guard let next = try await store.nextWebhookDue() else { return configuration.pollInterval }
        let seconds = min(configuration.pollInterval.seconds, max(0, next.timeIntervalSinceNow))
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// One attempt: check the target again, send, log the attempt and schedule what comes next.
    private func attempt(_ delivery: WebhookDelivery) async {
        var wakeLoop = true
        defer {
            inFlight.subtract(1, ordering: .relaxed)
            if wakeLoop { signals.webhooks.ring() }
        }
        let started = Date()
        let clock = ContinuousClock()
        let startInstant = clock.now
        let result: WebhookAttemptResult
        do {
            let pinned = try await addressGuard.pin(delivery.url)
            result = await transport.post(
                url: delivery.url,
                pinned: pinned,
                headers: delivery.headers(at: started),
                body: delivery.payload,
                timeout: configuration.timeout
            )
        } catch {
            logger.notice("Webhook target refused", metadata: ["delivery": "\(delivery.id)", "reason": "\(error.operatorDetail)"])
            result = .notAnswered(error.description)
        }
        let elapsed = clock.now - startInstant
        let next = WebhookNextStep.after(result, attemptsMade: delivery.attemptsMade + 1, at: Date(), schedule: configuration.retrySchedule)
        let logged = WebhookAttempt(
            attemptedAt: started,
            statusCode: result.statusCode,
            error: result.errorText,
            durationMs: Int(elapsed.milliseconds)
        )
        await record(delivery, logged, next)
        // Wake the claim loop only when it may have work: deliveries left waiting for a slot, or a retry
        // that may fall due before the loop's own timer.
        if case .retry = next {} else { wakeLoop = saturated.load(ordering: .relaxed) }
        observer.attempted(
            WebhookAttemptReport(
                result: result,
                next: next,
                durationSeconds: elapsed.seconds,
                firstAttemptLagSeconds: delivery.attemptsMade == 0 ? started.timeIntervalSince(delivery.createdAt) : nil
            )
        )
        if case .failed = next {
            logger.warning(
                "Webhook delivery failed for good",
                metadata: [
                    "delivery": "\(delivery.id)", "job": "\(delivery.jobID)", "attempts": "\(delivery.attemptsMade + 1)",
                ]
            )
        }
    }

    /// Stores an attempt; if that never succeeds the claim runs out and the delivery is attempted again
    /// with the same id.
    private func record(_ delivery: WebhookDelivery, _ attempt: WebhookAttempt, _ next: WebhookNextStep) async {
        _ = await retryingStoreWrite("Recording a webhook attempt", metadata: ["delivery": "\(delivery.id)"], logger: logger) {
            try await store.recordWebhookAttempt(deliveryID: delivery.id, attempt: attempt, next: next)
        }
    }
}
