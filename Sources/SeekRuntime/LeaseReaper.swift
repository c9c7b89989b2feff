import Foundation
import Logging
import SeekStore
import ServiceLifecycle

/// Puts jobs whose runner vanished (lease expired) back in the queue, so every accepted job runs.
public struct LeaseReaper: Service {
    let store: any JobStore
    let notifier: JobNotifier
    let interval: Duration
    let logger: Logger

    public init(store: any JobStore, notifier: JobNotifier, interval: Duration = .seconds(5), logger: Logger) {
        self.store = store
        self.notifier = notifier
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Cancel the sleep on shutdown instead of holding the service group up for an interval.
        try? await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        while !Task.isCancelled {
            do {
                let requeued = try await store.requeueRunning(leaseExpiredBefore: Date())
                if requeued > 0 {
                    logger.warning("Requeued jobs whose lease expired", metadata: ["count": "\(requeued)"])
                    notifier.wakeRunner()
                }
            } catch {
                logger.error("Requeueing expired leases failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
