import Foundation
import Logging
import ServiceLifecycle

/// Puts jobs whose runner vanished (lease expired) back in the queue, so every accepted job runs.
public struct LeaseReaper: Service {
    let queue: JobQueue
    let interval: Duration
    let logger: Logger

    public init(queue: JobQueue, interval: Duration = .seconds(5), logger: Logger) {
        self.queue = queue
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
                let requeued = try await queue.requeueExpiredLeases(before: Date())
                if requeued > 0 { logger.warning("Requeued jobs whose lease expired", metadata: ["count": "\(requeued)"]) }
            } catch {
                logger.error("Requeueing expired leases failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
