import Crypto
import Foundation
import Hummingbird
import Logging
import SeekCore
import SeekRuntime
import SeekStore
import SeekWorkers
import ServiceLifecycle

/// Builds the HTTP server around what it serves: the store and a node's runtime, built by the caller.
/// `services` (the data directory lock, then the runtime's) join the application's ServiceGroup, which
/// stops them in reverse order after HTTP: the runner drains before the sender, which stops before the
/// lock is let go.
public func buildApplication(
    _ configuration: SeekConfiguration,
    server: SeekServer,
    services: [any Service],
    logger: Logger
) -> some ApplicationProtocol {
    var app = Application(
        router: server.router(),
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.seconds * 1e9)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "seek"),
        logger: logger
    )
    app.addServices(services)
    return app
}

/// The routes of a server and what they share: one store, one runtime, one metrics registry.
public struct SeekServer: Sendable {
    public let store: any SeekStore
    public let runtime: NodeRuntime
    public let metrics: SeekMetrics
    public let keys: APIKeyResolver
    let presenter: Presenter
    let limiter: RateLimiter?
    let now: @Sendable () -> Date
    let fileSigner: FileURLSigner
    let uploadLimit: Int
    let signUpEnabled: Bool
    let dashboardFormKey: SymmetricKey
    let dashboardViews: DashboardViews
    let waiters: WaiterLimit
    let streams: StreamLimit

    public init(store: any SeekStore, runtime: NodeRuntime, metrics: SeekMetrics, configuration: SeekConfiguration) {
        self.store = store
        self.runtime = runtime
        self.metrics = metrics
        self.keys = APIKeyResolver(store: store)
        self.presenter = Presenter(
            creditPrice: configuration.creditPrice,
            fileSigner: configuration.fileSigner,
            publicURL: configuration.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            now: configuration.now
        )
        self.fileSigner = configuration.fileSigner
        self.uploadLimit = configuration.uploadLimit
        // Keys' and workspaces' buckets live in the storage when nodes share it (PostgreSQL), so that N nodes do not
        // give a key N times its limit.
        self.limiter =
            configuration.rateLimitsEnabled ? RateLimiter(clock: configuration.rateLimitClock, shared: store as? any RateBucketStore) : nil
        self.now = configuration.now
        self.signUpEnabled = configuration.signUpEnabled
        self.waiters = WaiterLimit(capacity: configuration.maxWaitingRequests)
        self.streams = StreamLimit(perKey: configuration.eventStreamsPerKey)
        self.dashboardFormKey = SymmetricKey(data: configuration.dashboardFormKey)
        do {
            dashboardViews = try DashboardViews()
        } catch {
            // The templates are compiled in: one that does not parse is a bug the tests catch, not a runtime state.
            preconditionFailure("The dashboard's templates do not parse: \(error)")
        }
    }

    /// Every route, behind the middleware chain.
    public func router() -> Router<SeekRequestContext> {
        let router = Router(context: SeekRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        if store.waitsOnNetwork { router.add(middleware: StoreWaitBudgetMiddleware()) }
        OperationsController(store: store, metrics: metrics, health: runtime.health).register(in: router)
        // A runner node serves its health and metrics only: the API is the api nodes' work.
        guard runtime.role.servesAPI else { return router }
        // A file's signed URL is its own authorization (like a presigned object URL): no key.
        FileDownloadController(files: runtime.files, signer: fileSigner, now: now).register(in: router)
        // Runners authenticate with their worker's token, not an API key: a group of its own.
        RunnerController(gateway: runtime.remoteRunners, presenter: presenter, uploadLimit: uploadLimit)
            .register(in: router.group("v1/runner").add(middleware: RunnerAuthMiddleware(gateway: runtime.remoteRunners, limiter: limiter)))
        var v1 = router.group("v1")
            .add(middleware: APIVersionMiddleware())
            .add(middleware: AuthMiddleware(keys: keys, usage: KeyUsageRecorder(store: store), limiter: limiter))
        if let limiter { v1 = v1.add(middleware: RateLimitMiddleware(limiter: limiter)) }
        registerResources(in: v1)
        // The dashboard calls the same resources in-process, as its signed-in workspace, through a router that
        // is never served: no key, no per-key bucket (sign-in has its own throttle).
        let internalRouter = Router(context: SeekRequestContext.self)
        internalRouter.add(middleware: ErrorMiddleware())
        registerResources(in: internalRouter.group("v1"))
        DashboardController(
            store: store,
            sessions: DashboardSessions(store: store, formKey: dashboardFormKey, now: now),
            api: InternalAPI(responder: internalRouter.buildResponder()),
            views: dashboardViews,
            signUpEnabled: signUpEnabled,
            now: now
        )
        .register(in: router)
        return router
    }

    /// The workspace's resources, for callers already known: scopes, the monthly grant, then the controllers.
    private func registerResources(in group: RouterGroup<SeekRequestContext>) {
        let v1 = group.add(middleware: ScopeMiddleware()).add(middleware: MonthlyGrantMiddleware(store: store, now: now))
        AccountController(store: store, keys: keys, presenter: presenter, now: now).register(in: v1)
        FilesController(files: runtime.files, presenter: presenter, uploadLimit: uploadLimit).register(in: v1)
        WorkersController(catalog: runtime.catalog, store: store, runnerTokens: runtime.runnerTokens, presenter: presenter, now: now).register(in: v1)
        JobsController(
            store: store,
            queue: runtime.queue,
            catalog: runtime.catalog,
            platformFee: runtime.platformFee,
            addressGuard: runtime.addressGuard,
            presenter: presenter,
            waiters: waiters
        )
        .register(in: v1)
        EventsController(store: store, journal: runtime.queue.signals.events, presenter: presenter, streams: streams).register(in: v1)
    }
}

/// Keeps a resource (the data directory lock) alive exactly as long as the service group runs.
public struct HeldResource<Resource: Sendable>: Service {
    let resource: Resource
    public init(_ resource: Resource) { self.resource = resource }

    public func run() async throws {
        try? await gracefulShutdown()
        withExtendedLifetime(resource) {}
    }
}
