import Foundation
import Logging
import SeekCore
import SeekStore
import SeekWorkers
import ServiceLifecycle
import Synchronization

/// Runs jobs of the workers this node has: up to `concurrency` at once, each under its deadline, with its
/// lease renewed while it runs. Jobs reach a slot three ways, and a busy runner makes no claim of its own:
/// handed to a free slot in the commit that stores them (`LocalDispatch`), claimed for the slot a run frees
/// in the commit that finishes it, or claimed by the dispatch loop when a slot is free and work waits.
/// At start it releases what its claimant held before a restart. On graceful shutdown it stops taking
/// jobs, lets running ones finish within the grace period, and gives any still running back to the queue.
public final class JobRunner: Service, LocalDispatch {
    private struct Slots {
        var running: [String: ClaimedJob] = [:]
        /// Held for a submit that is being committed.
        var held = 0
        /// The tasks that run jobs, one per busy slot, by token: cancelled when the grace period ends.
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextTask: UInt64 = 0
        /// Claimable jobs may wait in the queue; while they may, no job is handed off past them.
        var backlog = true
        /// Moves whenever jobs enter the queue, so that a claim that found it empty knows it still is.
        var queuedGeneration: UInt64 = 0

        func free(of concurrency: Int) -> Int { concurrency - running.count - held }
    }

    private let queue: JobQueue
    private let registry: WorkerRegistry
    private let files: any FileStore
    private let fetcher: (any RemoteFetcher)?
    private let configuration: RunnerConfiguration
    private let observer: RunnerObserver
    private let logger: Logger
    private let deadlines = DeadlineTimer()
    /// Whose leases this runner's are.
    public var claimant: String { configuration.claimant }
    public var leaseSeconds: Double { configuration.leaseSeconds }

    private let slots = Mutex(Slots())
    private let stopping = Atomic<Bool>(false)

    public init(
        queue: JobQueue,
        registry: WorkerRegistry,
        files: any FileStore,
        configuration: RunnerConfiguration,
        fetcher: (any RemoteFetcher)? = nil,
        observer: RunnerObserver = .none,
        logger: Logger
    ) {
        self.queue = queue
        self.registry = registry
        self.files = files
        self.fetcher = fetcher
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
    }

    public func run() async throws {
        let released = try await queue.releaseClaims(of: claimant)
        if released > 0 { logger.warning("Requeued the jobs this runner held before it restarted", metadata: ["count": "\(released)"]) }
        queue.attach(self)
        defer { queue.attach(nil) }
        // Jobs run in tasks of their own: a cancelled runner cancels them.
        await withTaskCancellationHandler {
            await serve()
        } onCancel: {
            for task in self.slots.withLock({ Array($0.tasks.values) }) { task.cancel() }
        }
    }

    private func serve() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeat() }
                group.addTask { await self.deadlines.run() }
                await self.dispatch()
                self.logger.notice(
                    "Runner stopped claiming; draining running jobs",
                    metadata: ["running": "\(self.slots.withLock { $0.running.count })"]
                )
                self.observer.claimingStopped()
                // No more claims. Running jobs get the grace period, then are handed back.
                group.addTask {
                    try? await Task.sleep(for: self.configuration.shutdownGrace)
                    await self.returnUnfinished()
                }
                await self.waitForInFlight()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .sequentiallyConsistent)
            self.queue.attach(nil)
            self.queue.signals.work.ring()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled }

    // MARK: LocalDispatch

    public func holdSlot(for workerID: String) -> Bool {
        // A submit may hold the runner it found attached just before a shutdown detached it.
        guard !stopping.load(ordering: .sequentiallyConsistent), registry[workerID] != nil else { return false }
        return slots.withLock { slots in
            guard !slots.backlog, slots.free(of: configuration.concurrency) > 0 else { return false }
            slots.held += 1
            return true
        }
    }

    public func run(_ job: ClaimedJob) {
        start(job, inHeldSlot: true)
    }

    public func releaseSlot() {
        slots.withLock { $0.held -= 1 }
    }

    public func jobsQueued() {
        slots.withLock { slots in
            slots.backlog = true
            slots.queuedGeneration &+= 1
        }
    }

    // MARK: Dispatch

    /// The dispatch loop: claim when a slot is free and work may wait (or the poll interval passed, for work
    /// this process was not told about); then sleep until something changes.
    private func dispatch() async {
        let clock = ContinuousClock()
        var lastClaim = clock.now - configuration.pollInterval
        while !isStopping {
            let (free, backlog, generation) = slots.withLock { ($0.free(of: configuration.concurrency), $0.backlog, $0.queuedGeneration) }
            var claimedAll = false
            if free > 0, backlog || clock.now - lastClaim >= configuration.pollInterval {
                lastClaim = clock.now
                do {
                    let claimed = try await queue.claim(
                        workers: registry.ids,
                        limit: free,
                        claimant: claimant,
                        leaseSeconds: configuration.leaseSeconds
                    )
                    claimedAll = claimed.count == free
                    noteClaim(found: claimed.count, of: free, since: generation)
                    for job in claimed { start(job) }
                } catch {
                    logger.error("Claiming jobs failed", metadata: ["error": "\(error)"])
                }
            }
            // A full claim means more may be waiting: loop at once if a slot is free again.
            if claimedAll, slots.withLock({ $0.free(of: configuration.concurrency) }) > 0 { continue }
            await queue.signals.work.wait(timeout: configuration.pollInterval)
        }
    }

    /// Runs a claimed job in a task of its own; its slot stays busy until that task ends.
    private func start(_ job: ClaimedJob, inHeldSlot: Bool = false) {
        slots.withLock { slots in
            if inHeldSlot { slots.held -= 1 }
            slots.running[job.id] = job
            slots.nextTask += 1
            let token = slots.nextTask
            // Made under the lock, so the task's own removal (which takes it too) always finds its entry.
            slots.tasks[token] = Task {
                await self.execute(job)
                _ = self.slots.withLock { $0.tasks.removeValue(forKey: token) }
            }
        }
    }

    /// A claim that found fewer jobs than it asked for emptied the queue, unless jobs entered it since.
    private func noteClaim(found: Int, of limit: Int, since generation: UInt64) {
        slots.withLock { slots in
            if found == limit {
                slots.backlog = true
            } else if slots.queuedGeneration == generation {
                slots.backlog = false
            }
        }
    }

    /// Runs a job, then the jobs its finish claimed for the slot, until a finish claims none.
    private func execute(_ first: ClaimedJob) async {
        var next: ClaimedJob? = first
        while let job = next {
            let generation = slots.withLock { $0.queuedGeneration }
            let (claimed, askedForNext) = await runAndRecord(job)
            next = claimed.first
            slots.withLock { slots in
                slots.running.removeValue(forKey: job.id)
                if let next { slots.running[next.id] = next }
            }
            if askedForNext { noteClaim(found: claimed.count, of: 1, since: generation) }
        }
        // The slot is free: the dispatch loop claims for it only if work waits.
        if slots.withLock({ $0.backlog }) { queue.signals.work.ring() }
    }

    /// Runs one job to an outcome and records it; returns the jobs claimed in the same commit, and whether
    /// the finish asked for one (not once the runner is stopping).
    private func runAndRecord(_ job: ClaimedJob) async -> (next: [ClaimedJob], askedForNext: Bool) {
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: JobOutcome
        if let entry = registry[job.workerID] {
            guard let ran = await run(job, entry, started: started) else { return ([], false) }
            outcome = ran
        } else {
            // Claims name this node's workers, so only a worker removed since the claim lands here.
            outcome = .failed(JobFailure(code: "worker_unavailable", message: "Worker \(job.workerID) is not available on this node."))
        }
        // Decided after the run: a runner told to stop while the job ran claims nothing more, and nothing is
        // claimed while nothing waits.
        let claims = !isStopping && slots.withLock { $0.backlog }
        let request = claims ? ClaimRequest(workers: registry.ids, limit: 1, leaseSeconds: configuration.leaseSeconds) : nil
        // Retried while the lease, which the heartbeat renews meanwhile, is surely still this runner's.
        let result = await retryingStoreWrite(
            "Recording a job's outcome",
            metadata: ["job": "\(job.id)"],
            logger: logger,
            patience: .seconds(configuration.leaseSeconds * 2 / 3)
        ) {
            try await queue.finish(job, claimant: claimant, outcome: outcome, runSeconds: (clock.now - started).seconds, thenClaim: request)
        }
        // A finish that never reached the store claimed nothing, and says nothing about the queue.
        return (result?.next ?? [], request != nil && result != nil)
    }

    /// The worker's run under the job's deadline, as an outcome; nil if the run was cancelled by a shutdown
    /// past its grace period (the job goes back to the queue unfinished).
    private func run(_ job: ClaimedJob, _ entry: WorkerRegistry.Entry, started: ContinuousClock.Instant) async -> JobOutcome? {
        var logger = self.logger
        logger[metadataKey: "job_id"] = .string(job.id)
        logger[metadataKey: "worker"] = .string(job.workerID)
        let queue = queue
        let report = WorkerReport { progress in
            switch progress {
            case let .log(line): queue.report(job, .log, ["message": .string(line)])
            case let .warning(message): queue.report(job, .warning, ["message": .string(message)])
            case let .items(count): queue.report(job, .item, ["count": .integer(Int64(count))])
            }
        }
        let deadline = started + .seconds(job.deadlineSeconds)
        let context = WorkerContext(
            jobID: job.id,
            attempt: job.attempt,
            deadline: deadline,
            logger: logger,
            files: StoredResultFiles(store: files, workspaceID: job.workspaceID),
            inputs: StoredInputFiles(store: files, workspaceID: job.workspaceID),
            fetcher: fetcher,
            report: report
        )
        let work = Task { try await entry.worker.run(job.input, context: context) }
        let expired = Expiry()
        let timer = deadlines.schedule(at: deadline) {
            expired.mark()
            work.cancel()
        }
        defer { deadlines.cancel(timer) }
        do {
            var result = try await withTaskCancellationHandler {
                try await work.value
            } onCancel: {
                work.cancel()
            }
            // A worker that ignores cancellation and returns after its deadline still timed out.
            guard !expired.happened else { return .timeout(.timedOut(after: job.deadlineSeconds)) }
            let totals = report.current
            if !totals.warnings.isEmpty {
                let earlier = result.meta["warnings"]?.arrayValue ?? []
                result.meta["warnings"] = .array(earlier + totals.warnings.map(JSONValue.string))
            }
            let cost = entry.manifest.pricing.cost(
                events: totals.events,
                durationMs: Int((ContinuousClock.now - started).milliseconds),
                reserved: job.reservedCredits
            )
            return .completed(result, files: totals.files, cost: cost)
        } catch  where expired.happened {
            return .timeout(.timedOut(after: job.deadlineSeconds))
        } catch let failure as WorkerFailure {
            return .failed(JobFailure(code: failure.code, message: failure.message))
        } catch is CancellationError {
            return nil
        } catch {
            logger.warning("Worker threw", metadata: ["error": "\(error)"])
            return .failed(JobFailure(code: "worker_error", message: "The worker stopped with an unexpected error."))
        }
    }

    /// Renews the leases of running jobs well before they expire.
    private func heartbeat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(configuration.leaseSeconds / 3))
            let ids = slots.withLock { Array($0.running.keys) }
            do {
                try await queue.heartbeat(jobIDs: ids, claimant: claimant, leaseSeconds: configuration.leaseSeconds)
            } catch {
                logger.error("Renewing leases failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func waitForInFlight() async {
        while slots.withLock({ !$0.running.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Past the grace period: hand every unfinished job back so another run picks it up.
    private func returnUnfinished() async {
        let (unfinished, tasks) = slots.withLock { (Array($0.running.values), Array($0.tasks.values)) }
        for task in tasks { task.cancel() }
        for job in unfinished {
            try? await queue.returnToQueue(job, claimant: claimant)
            logger.warning("Returned an unfinished job to the queue at shutdown", metadata: ["job": "\(job.id)"])
        }
        slots.withLock { $0.running.removeAll() }
    }
}

/// Set once by the deadline timer when a run's deadline passed.
private final class Expiry: Sendable {
    private let flag = Atomic<Bool>(false)
    func mark() { flag.store(true, ordering: .sequentiallyConsistent) }
    var happened: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

/// A worker's files go to the node's file store, as results of its job's workspace.
struct StoredResultFiles: ResultFileSink {
    let store: any FileStore
    let workspaceID: String

    func save(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile {
        try await store.put(workspaceID: workspaceID, jobID: jobID, name: name, contentType: contentType, bytes: bytes).jobFile
    }
}

/// A job's input files come from the node's file store, and only from its own workspace's files.
struct StoredInputFiles: InputFileSource {
    let store: any FileStore
    let workspaceID: String

    func file(at url: String) async throws -> InputFile? {
        guard let id = Self.fileID(in: url), let file = try await store.file(id: id), file.workspaceID == workspaceID,
            let bytes = try await store.contents(of: file)
        else { return nil }
        return InputFile(name: file.name, contentType: file.contentType, bytes: bytes)
    }

    /// The file id of a Seek file URL: its path is `/v1/files/{id}`, whatever origin is in front.
    static func fileID(in url: String) -> String? {
        guard let range = url.range(of: "/v1/files/") else { return nil }
        let id = String(url[range.upperBound...].prefix { $0 != "?" && $0 != "#" && $0 != "/" })
        return IDKind.file.matches(id) ? id : nil
    }
}
