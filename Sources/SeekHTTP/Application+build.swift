import Foundation
import Hummingbird
import Logging
import SeekCore
import SeekRuntime
import SeekStore
import SeekWorkers
import ServiceLifecycle

/// Builds the whole server by hand: store, workers, runner, routes. Long-lived services join the
/// application's ServiceGroup, so shutdown is graceful and in reverse order (HTTP first, runner last).
public func buildApplication(_ configuration: SeekConfiguration, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "seek")
    logger.logLevel = configuration.logLevel
    if let url = configuration.databaseURL, !url.isEmpty {
        throw SeekError(.badRequest, "PostgreSQL storage (--database-url) is not part of this build yet; omit it to use SQLite in --data-dir.")
    }
    let lock = try DataDirectoryLock(directory: configuration.dataDirectory)
    let store = try SQLiteStore(directory: configuration.dataDirectory, commitDelay: configuration.commitDelay)
    // This process holds the data directory: whatever is still "running" was left by a process that died.
    let orphans = try await store.requeueRunning(leaseExpiredBefore: nil)
    if orphans > 0 { logger.warning("Requeued jobs left running by a previous process", metadata: ["count": "\(orphans)"]) }
    // Deliveries it was attempting are due again, under the same webhook-id.
    let interrupted = try await store.releaseWebhookClaims()
    if interrupted > 0 { logger.warning("Webhook deliveries interrupted by a previous process are due again", metadata: ["count": "\(interrupted)"]) }

    let parts = SeekServer(store: store, catalog: .builtIn(), configuration: configuration, logger: logger)
    var app = Application(
        router: parts.router(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "seek"),
        logger: logger
    )
    // Services stop in reverse order: the runner drains before the sender, which stops before the lock is let go.
    app.addServices(
        HeldResource(lock),
        parts.webhookSender,
        parts.runner,
        LeaseReaper(store: store, notifier: parts.notifier, logger: logger)
    )
    return app
}

/// The pieces of a server that share one store, notifier and metrics registry.
public struct SeekServer: Sendable {
    public let store: any SeekStore
    public let catalog: WorkerCatalog
    public let notifier = JobNotifier()
    public let metrics = SeekMetrics()
    public let runner: JobRunner
    public let webhookSender: WebhookSender
    let addressGuard: WebhookAddressGuard
    let presenter: Presenter
    let limiter: RateLimiter?
    let now: @Sendable () -> Date

    public init(store: any SeekStore, catalog: WorkerCatalog, configuration: SeekConfiguration, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.presenter = Presenter(creditPrice: configuration.creditPrice)
        self.limiter = configuration.rateLimitsEnabled ? RateLimiter() : nil
        self.now = configuration.now
        self.runner = JobRunner(
            store: store,
            catalog: catalog,
            notifier: notifier,
            configuration: RunnerConfiguration(
                concurrency: configuration.concurrency,
                leaseSeconds: configuration.leaseSeconds,
                shutdownGrace: configuration.shutdownGrace
            ),
            observer: metrics.runnerObserver,
            logger: logger
        )
        self.addressGuard = WebhookAddressGuard(
            resolver: configuration.hostResolver,
            allowPrivateTargets: configuration.webhooks.allowPrivateTargets
        )
        self.webhookSender = WebhookSender(
            store: store,
            notifier: notifier,
            addressGuard: addressGuard,
            transport: HTTPWebhookTransport(),
            configuration: configuration.webhooks,
            observer: metrics.webhookObserver,
            logger: logger
        )
    }

    /// Every route, behind the middleware chain.
    public func router() -> Router<SeekRequestContext> {
        let router = Router(context: SeekRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        OperationsController(store: store, metrics: metrics).register(in: router)
        var v1 = router.group("v1")
            .add(middleware: APIVersionMiddleware())
            .add(middleware: AuthMiddleware(store: store, usage: KeyUsageRecorder(store: store), limiter: limiter))
        if let limiter { v1 = v1.add(middleware: RateLimitMiddleware(limiter: limiter)) }
        v1 = v1.add(middleware: ScopeMiddleware())
            .add(middleware: MonthlyGrantMiddleware(store: store, now: now))
        AccountController(store: store, presenter: presenter, now: now).register(in: v1)
        WorkersController(catalog: catalog, presenter: presenter).register(in: v1)
        JobsController(
            store: store,
            catalog: catalog,
            notifier: notifier,
            addressGuard: addressGuard,
            presenter: presenter,
            metrics: metrics
        ).register(in: v1)
        return router
    }
}

/// Keeps a resource (the data directory lock) alive exactly as long as the service group runs.
struct HeldResource<Resource: Sendable>: Service {
    let resource: Resource
    init(_ resource: Resource) { self.resource = resource }

    func run() async throws {
        try? await gracefulShutdown()
        withExtendedLifetime(resource) {}
    }
}
