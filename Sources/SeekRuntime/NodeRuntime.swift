import Logging
import NIOCore
import SeekCore
import SeekStore
import SeekWorkers
import ServiceLifecycle

/// How a node's runtime behaves: who it is, how it runs jobs and delivers webhooks.
public struct RuntimeConfiguration: Sendable {
    /// The node's claimant id (`NodeIdentity`).
    public var nodeID: String
    /// Jobs run at once by the in-process runner.
    public var concurrency = 4 * System.coreCount
    public var leaseSeconds = 30.0
    public var shutdownGrace = Duration.seconds(30)
    public var webhooks = WebhookConfiguration()
    /// How webhook hosts are looked up (a seam for tests that play a rebinding DNS server).
    public var hostResolver: any HostResolver = SystemHostResolver()

    public init(nodeID: String) {
        self.nodeID = nodeID
    }
}

/// Everything that moves jobs on one node, assembled once, outside HTTP: the front door, the runner, the
/// webhook sender and the reaper. The HTTP layer receives it; a `seek runner` would use it without HTTP.
public struct NodeRuntime: Sendable {
    public let queue: JobQueue
    public let registry: WorkerRegistry
    public let runner: JobRunner
    public let webhookSender: WebhookSender
    public let reaper: LeaseReaper
    /// The SSRF guard, shared by submit-time checks and deliveries.
    public let addressGuard: WebhookAddressGuard

    public init(
        store: any SeekStore,
        files: any FileStore,
        registry: WorkerRegistry,
        configuration: RuntimeConfiguration,
        metrics: RuntimeMetrics = .none,
        logger: Logger
    ) {
        self.registry = registry
        queue = JobQueue(store: store, metrics: metrics)
        runner = JobRunner(
            queue: queue,
            registry: registry,
            files: files,
            configuration: RunnerConfiguration(
                claimant: configuration.nodeID,
                concurrency: configuration.concurrency,
                leaseSeconds: configuration.leaseSeconds,
                shutdownGrace: configuration.shutdownGrace
            ),
            logger: logger
        )
        addressGuard = WebhookAddressGuard(resolver: configuration.hostResolver, allowPrivateTargets: configuration.webhooks.allowPrivateTargets)
        webhookSender = WebhookSender(
            store: store,
            signals: queue.signals,
            claimant: configuration.nodeID,
            addressGuard: addressGuard,
            transport: HTTPWebhookTransport(),
            configuration: configuration.webhooks,
            observer: metrics.webhookObserver,
            logger: logger
        )
        reaper = LeaseReaper(queue: queue, logger: logger)
    }

    /// The services in start order; a service group stops them in reverse, so the runner drains before the
    /// sender stops (a job that ends while draining still gets its webhook).
    public var services: [any Service] { [webhookSender, runner, reaper] }
}
