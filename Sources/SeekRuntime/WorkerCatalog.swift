import SeekCore
import SeekStore
import SeekWorkers
import Synchronization

/// Every worker a workspace can call: the node's built-in workers and the workers workspaces publish. One
/// place answers what a worker is for a caller (404 for another workspace's unlisted worker) and which
/// version a job runs, with each version's schema compiled once. Published workers are cached, and so are ids
/// that name none (a client calling a worker that is gone would otherwise cost a read per request); a change
/// through this catalog shows at once, one made by another process within `epochCheckInterval`.
public final class WorkerCatalog: Sendable {
    /// A worker as a job of it is checked, priced and run.
    public struct Entry: Sendable {
        public let manifest: WorkerManifest
        public let schema: JSONSchema
        /// The published worker behind the entry; nil for a built-in one.
        public let published: PublishedWorker?
        /// The version number a job of this entry keeps; nil for a built-in worker.
        public var versionNumber: Int? { published?.current.number }
    }

    public let builtIn: WorkerRegistry
    private let store: any WorkerStore
    private let epoch: EpochWatch
    private let cache = Mutex(Cache())

    private struct Cache {
        var workers: [String: Entry] = [:]
        /// Ids no worker had at the last read; at most `maxMisses`, then forgotten together.
        var misses: Set<String> = []
        var versions: [VersionKey: Entry] = [:]
        /// Moves whenever the cached workers are forgotten, so that a read begun before is not cached after.
        var generation: UInt64 = 0
    }

    /// Enough for every id a typo or a retired worker brings; a caller making up ids only refills it.
    static let maxMisses = 10_000

    private struct VersionKey: Hashable {
        let id: String
        let number: Int
    }

    public init(
        builtIn: WorkerRegistry,
        store: any WorkerStore,
        epochCheckInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.builtIn = builtIn
        self.store = store
        self.epoch = EpochWatch(interval: epochCheckInterval, now: now) { try await store.workersEpoch() }
    }

    // MARK: Reading

    /// The worker `workspaceID` may call by this id, as its current version; a 404 if there is none or it is
    /// another workspace's unlisted worker.
    public func entry(_ id: String, for workspaceID: String) async throws -> Entry {
        if let local = builtIn[id] { return Entry(manifest: local.manifest, schema: local.schema, published: nil) }
        guard let entry = try await published(id), entry.published?.isVisible(to: workspaceID) == true else {
            throw SeekError.notFound("Worker \(id)")
        }
        return entry
    }

    /// The version a job was submitted with, whoever may see the worker now: a queued job still runs and is
    /// priced by its own version after the worker changes or leaves the list.
    public func version(_ id: String, number: Int?) async throws -> Entry? {
        guard let number else { return builtIn[id].map { Entry(manifest: $0.manifest, schema: $0.schema, published: nil) } }
        let key = VersionKey(id: id, number: number)
        if let cached = cache.withLock({ $0.versions[key] }) { return cached }
        guard let version = try await store.workerVersion(id: id, number: number) else { return nil }
        let entry = Entry(manifest: version.manifest, schema: try JSONSchema(version.manifest.inputSchema), published: nil)
        // Versions never change once made: cached for good.
        cache.withLock { $0.versions[key] = entry }
        return entry
    }

    /// The marketplace's list: built-in workers and every listed published worker, by id, one page after
    /// `cursor`.
    public func page(after cursor: String?, limit: Int) async throws -> (manifests: [WorkerManifest], hasMore: Bool) {
        let listed = try await store.publishedWorkers(owner: nil).map(\.current.manifest)
        let all = (builtIn.ids.compactMap { builtIn[$0]?.manifest } + listed).sorted { $0.id < $1.id }
        let remaining = cursor.map { cursor in all.filter { $0.id > cursor } } ?? all
        return (Array(remaining.prefix(limit)), remaining.count > limit)
    }

    /// One workspace's own published workers, whatever their state.
    public func owned(by workspaceID: String) async throws -> [PublishedWorker] {
        try await store.publishedWorkers(owner: workspaceID)
    }

    // MARK: Publishing

    /// A new draft, from its first manifest. An id a built-in worker has is taken like any other.
    public func create(_ manifest: WorkerManifest, owner: String) async throws -> PublishedWorker {
        guard builtIn[manifest.id] == nil else {
            throw SeekError.invalidManifest(at: "/id", "\(manifest.id) is taken")
        }
        return try await changed { try await store.createWorker(manifest, owner: owner) }
    }

    /// A new current version of the owner's worker `id`; the manifest must name the same id.
    public func update(_ id: String, to manifest: WorkerManifest, owner: String) async throws -> PublishedWorker {
        guard manifest.id == id else {
            throw SeekError.invalidManifest(at: "/id", "must be \(id), the worker this request changes")
        }
        return try await changed { try await store.addVersion(manifest, owner: owner) }
    }

    /// Lists the owner's worker in the marketplace, or takes it off the list.
    public func setListed(_ id: String, _ listed: Bool, owner: String) async throws -> PublishedWorker {
        try await changed { try await store.setWorkerState(id: id, owner: owner, listed ? .published : .unpublished) }
    }

    // MARK: Cache

    private func published(_ id: String) async throws -> Entry? {
        if try await epoch.moved() { forgetAll() }
        let (cached, missing, generation) = cache.withLock { ($0.workers[id], $0.misses.contains(id), $0.generation) }
        if let cached { return cached }
        if missing { return nil }
        guard let worker = try await store.publishedWorker(id: id) else {
            cache.withLock { cache in
                guard cache.generation == generation else { return }
                if cache.misses.count >= Self.maxMisses { cache.misses.removeAll() }
                cache.misses.insert(id)
            }
            return nil
        }
        let entry = Entry(manifest: worker.current.manifest, schema: try JSONSchema(worker.current.manifest.inputSchema), published: worker)
        // A change since the read began leaves the entry out: the next lookup reads again.
        cache.withLock { cache in if cache.generation == generation { cache.workers[id] = entry } }
        return entry
    }

    private func changed(_ write: () async throws -> PublishedWorker) async throws -> PublishedWorker {
        let worker = try await write()
        forgetAll()
        return worker
    }

    private func forgetAll() {
        cache.withLock { cache in
            cache.workers.removeAll()
            cache.misses.removeAll()
            cache.generation &+= 1
        }
    }
}

extension WorkerCatalog.Entry {
    /// The job `workspaceID` asks for, priced by this version: paid to the worker's publisher less `fee`, or
    /// free when the caller is the publisher.
    public func submission(
        workspaceID: String,
        request: JobRequest,
        idempotency: IdempotencyClaim? = nil,
        fee: PlatformFee
    ) throws
        -> JobSubmission
    {
        let owner = published?.ownerWorkspaceID
        return JobSubmission(
            workspaceID: workspaceID,
            workerID: manifest.id,
            workerVersion: (versionNumber, manifest.version),
            publisher: owner.flatMap { $0 == workspaceID ? nil : PublisherShare(workspaceID: $0, fee: fee) },
            request: request,
            plan: try JobPlan(request: request, manifest: manifest, free: owner == workspaceID),
            billingMode: manifest.pricing.mode,
            idempotency: idempotency
        )
    }
}
