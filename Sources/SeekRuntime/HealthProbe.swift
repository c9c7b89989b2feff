import Foundation
import Logging
import SeekStore
import ServiceLifecycle
import Synchronization

/// Asks the storage every second whether it answers, so that `/healthz` reports a node that cannot serve (its
/// database is away) and a load balancer sends its requests elsewhere until it recovers by itself.
public final class HealthProbe: Service, Sendable {
    private let store: any StorageProbe
    private let interval: Duration
    private let logger: Logger
    private let healthy = Atomic<Bool>(true)

    public init(store: any StorageProbe, interval: Duration = .seconds(1), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    /// Whether the last ping was answered.
    public var isHealthy: Bool { healthy.load(ordering: .relaxed) }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        while !Task.isCancelled {
            let answered: Bool
            do {
                try await store.ping()
                answered = true
            } catch {
                answered = false
                if isHealthy { logger.error("The storage does not answer: the node reports unhealthy", metadata: ["error": "\(error)"]) }
            }
            if answered, !isHealthy { logger.notice("The storage answers again: the node reports healthy") }
            healthy.store(answered, ordering: .relaxed)
            try? await Task.sleep(for: interval)
        }
    }
}
