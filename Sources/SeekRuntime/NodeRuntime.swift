import Logging
import NIOCore
import SeekCore
import SeekFetching
import SeekStore
import SeekWorkers
import ServiceLifecycle

/// What a node does, so that API and execution scale apart on one database.
public enum NodeRole: String, Sendable, CaseIterable {
    /// Serves the API and runs jobs (one machine, or identical nodes).
    case all
    /// Serves the API; runs no job (a submit is claimed by a runner node).
    case api
    /// Runs jobs; serves only `/healthz` and `/metrics`.
    case runner

    public var servesAPI: Bool { self != .runner }
    public var runsJobs: Bool { self != .api }
}

/// How a node's runtime behaves: who it is, how it runs jobs and delivers webhooks.
public struct RuntimeConfiguration: Sendable {
    /// What this node does; every role delivers webhooks, reaps leases and cleans, which claims keep to once.
    public var role = NodeRole.all
    /// The in-process runner; its claimant is the node's id.
    public var runner: RunnerConfiguration
    public var webhooks = WebhookConfiguration()
    /// The platform's share of what a published worker earns.
    public var platformFee = PlatformFee.standard
    /// How remote runners claim and hold jobs.
    public var remoteRunners = RunnerGateway.Configuration()
    /// How webhook hosts are looked up (a seam for tests that play a rebinding DNS server).
    public var hostResolver: any HostResolver = CAresResolver.shared
    /// How workers fetch from other hosts.
    public var fetching = FetchConfiguration()
    /// What the cleaner keeps of finished jobs, and for how long.
    public var retention = RetentionPolicy()
    /// Whether webhooks and fetches may reach loopback and private addresses.
    public var allowPrivateNetwork: Bool {
        get { webhooks.allowPrivateTargets }
        set { webhooks.allowPrivateTargets = newValue }
    }
    /// Private `host:port` pairs reached even while the guard is on (a self-hosted Nominatim).
    public var trustedHosts: Set<String> = []

    /// How long a lease lasts without a heartbeat, for the in-process runner and remote runners alike.
    public var leaseSeconds: Double {
        get { runner.leaseSeconds }
        set {
            runner.leaseSeconds = newValue
            remoteRunners.leaseSeconds = newValue
        }
    }

    /// The node's claimant id (`NodeIdentity`), for the runner's leases and the sender's claims alike.
    public var nodeID: String {
        get { runner.claimant }
        set { runner.claimant = newValue }
    }

    public init(nodeID: String) {
        runner = RunnerConfiguration(claimant: nodeID, concurrency: 4 * System.coreCount)
    }
}

/// Everything that moves jobs on one node, assembled once, outside HTTP: the front door, the runner, the
/// webhook sender and the reaper. The HTTP layer receives it; a `seek runner` would use it without HTTP.
public struct NodeRuntime: Sendable {
    public let queue: JobQueue
    public let registry: WorkerRegistry
    /// Result files and uploads.
    public let files: any FileStore
    /// Built-in and published workers, as callers see them.
    public let catalog: WorkerCatalog
    public let platformFee: PlatformFee
    /// The runner API's side of the runtime: remote runners claim, renew and finish through it.
    public let remoteRunners: RunnerGateway
    public let runner: JobRunner
    public let webhookSender: WebhookSender
    public let reaper: LeaseReaper
    public let cleaner: Cleaner
    /// Runner tokens, cached; revoking through it stops a token at once.
    public let runnerTokens: RunnerTokenResolver
    /// The SSRF guard, shared by submit-time checks, deliveries and fetches.
    public let addressGuard: AddressGuard
    /// What workers fetch from other hosts goes through it.
    public let fetcher: WebFetcher
    /// Whether the storage answers, for `/healthz`.
    public let health: HealthProbe
    public let role: NodeRole
    /// Other nodes' news, when the storage is shared (PostgreSQL).
    let newsRelay: StoreNewsRelay?

    public init(
        store: any SeekStore,
        files: any FileStore,
        registry: WorkerRegistry,
        configuration: RuntimeConfiguration,
        metrics: RuntimeMetrics = .none,
        logger: Logger
    ) {
        self.registry = registry
        self.files = files
        catalog = WorkerCatalog(builtIn: registry, store: store)
        platformFee = configuration.platformFee
        queue = JobQueue(store: store, metrics: metrics)
        runnerTokens = RunnerTokenResolver(store: store)
        remoteRunners = RunnerGateway(
            queue: queue,
            catalog: catalog,
            store: store,
            tokens: runnerTokens,
            files: files,
            configuration: configuration.remoteRunners
        )
        // One guard for webhooks and for what workers fetch: the same setting lifts it for both.
        addressGuard = AddressGuard(
            resolver: configuration.hostResolver,
            allowPrivateTargets: configuration.allowPrivateNetwork,
            trustedHosts: configuration.trustedHosts
        )
        fetcher = WebFetcher(guard: addressGuard, configuration: configuration.fetching)
        runner = JobRunner(
            queue: queue,
            registry: registry,
            files: files,
            configuration: configuration.runner,
            fetcher: fetcher,
            logger: logger
        )
        webhookSender = WebhookSender(
            store: store,
            signals: queue.signals,
            claimant: configuration.nodeID,
            addressGuard: addressGuard,
            transport: HTTPWebhookTransport(maxClients: configuration.webhooks.concurrency),
            configuration: configuration.webhooks,
            observer: metrics.webhookObserver,
            logger: logger
        )
        // An expired lease is found within half a lease (5 s at most) of expiring.
        cleaner = Cleaner(files: files, store: store, policy: configuration.retention, logger: logger)
        reaper = LeaseReaper(queue: queue, interval: min(.seconds(5), .seconds(configuration.leaseSeconds / 2)), logger: logger)
        health = HealthProbe(store: store, logger: logger)
        role = configuration.role
        let queue = queue
        newsRelay = (store as? any StoreNewsSource).map { StoreNewsRelay(source: $0, queue: queue) }
    }

    /// The services in start order; a service group stops them in reverse, so the runner drains before the
    /// sender stops (a job that ends while draining still gets its webhook).
    public var services: [any Service] {
        let news: [any Service] = newsRelay.map { [$0] } ?? []
        let runs: [any Service] = role.runsJobs ? [runner] : []
        return [OnShutdown(fetcher.shutdown), health] + news + [webhookSender] + runs + [reaper, cleaner]
    }
}

/// Runs `action` once the service group shuts down (after the services started later have stopped).
struct OnShutdown: Service {
    let action: @Sendable () async -> Void

    init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    func run() async throws {
        try? await gracefulShutdown()
        await action()
    }
}
