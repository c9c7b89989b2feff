import Foundation
import Logging
import SeekCore
import SeekStore
import SeekWorkers
import ServiceLifecycle
import Synchronization

/// Claims queued jobs of the workers this node runs and runs them: up to `concurrency` at once, each
/// under its deadline, with its lease renewed while it runs. At start it releases what it held before a
/// restart (its claimant id outlives the process). On graceful shutdown it stops claiming, lets running
/// jobs finish within the grace period, and gives any still running back to the queue.
public final class JobRunner: Service {
    private let queue: JobQueue
    private let registry: WorkerRegistry
    private let files: any FileStore
    private let configuration: RunnerConfiguration
    private let observer: RunnerObserver
    private let logger: Logger
    /// Whose leases this runner's are.
    public var claimant: String { configuration.claimant }

    private let inFlight = Mutex<[String: ClaimedJob]>([:])
    private let stopping = Atomic<Bool>(false)

    public init(
        queue: JobQueue,
        registry: WorkerRegistry,
        files: any FileStore,
        configuration: RunnerConfiguration,
        observer: RunnerObserver = .none,
        logger: Logger
    ) {
        self.queue = queue
        self.registry = registry
        self.files = files
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
    }

    public func run() async throws {
        let released = try await queue.releaseClaims(of: claimant)
        if released > 0 { logger.warning("Requeued the jobs this runner held before it restarted", metadata: ["count": "\(released)"]) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeat() }
                await self.dispatch(into: &group)
                self.logger.notice(
                    "Runner stopped claiming; draining running jobs",
                    metadata: ["running": "\(self.inFlight.withLock { $0.count })"]
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
            self.queue.signals.work.ring()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled }

    /// The claim loop: fill free slots, then sleep until something changes.
    private func dispatch(into group: inout TaskGroup<Void>) async {
        while !isStopping {
            let free = configuration.concurrency - inFlight.withLock { $0.count }
            var claimedAll = false
            if free > 0 {
                do {
                    let claimed = try await queue.claim(
                        workers: registry.ids,
                        limit: free,
                        claimant: claimant,
                        leaseSeconds: configuration.leaseSeconds
                    )
                    claimedAll = claimed.count == free
                    for job in claimed {
                        inFlight.withLock { $0[job.id] = job }
                        group.addTask { await self.execute(job) }
                    }
                } catch {
                    logger.error("Claiming jobs failed", metadata: ["error": "\(error)"])
                }
            }
            // A full claim means more may be waiting: loop at once if a slot is free again.
            if claimedAll, configuration.concurrency - inFlight.withLock({ $0.count }) > 0 { continue }
            // The timeout finds work this process was not told about (other processes, expired leases).
            await queue.signals.work.wait(timeout: configuration.pollInterval)
        }
    }

    /// Runs one claimed job to an outcome and records it.
    private func execute(_ job: ClaimedJob) async {
        defer {
            inFlight.withLock { _ = $0.removeValue(forKey: job.id) }
            queue.signals.work.ring()
        }
        let clock = ContinuousClock()
        let started = clock.now
        guard let entry = registry[job.workerID] else {
            // Claims name this node's workers, so only a worker removed since the claim lands here.
            let failure = JobFailure(code: "worker_unavailable", message: "Worker \(job.workerID) is not available on this node.")
            await record(job, .failed(failure), runSeconds: 0)
            return
        }
        var logger = self.logger
        logger[metadataKey: "job_id"] = .string(job.id)
        logger[metadataKey: "worker"] = .string(job.workerID)
        let report = WorkerReport()
        let context = WorkerContext(
            jobID: job.id,
            attempt: job.attempt,
            deadline: started + .seconds(job.deadlineSeconds),
            logger: logger,
            files: StoredResultFiles(store: files),
            report: report
        )
        let outcome: JobOutcome
        do {
            var result = try await withDeadline(.seconds(job.deadlineSeconds)) { try await entry.worker.run(job.input, context: context) }
            let elapsed = clock.now - started
            let totals = report.current
            if !totals.warnings.isEmpty {
                let earlier = result.meta["warnings"]?.arrayValue ?? []
                result.meta["warnings"] = .array(earlier + totals.warnings.map(JSONValue.string))
            }
            let cost = entry.manifest.pricing.cost(
                events: totals.events,
                durationMs: Int(elapsed.milliseconds),
                reserved: job.reservedCredits
            )
            outcome = .completed(result, files: totals.files, cost: cost)
        } catch is DeadlineExceeded {
            outcome = .timeout(.timedOut(after: job.deadlineSeconds))
        } catch let failure as WorkerFailure {
            outcome = .failed(JobFailure(code: failure.code, message: failure.message))
        } catch is CancellationError {
            // Shutdown ran out of grace: the job goes back to the queue unfinished.
            return
        } catch {
            logger.warning("Worker threw", metadata: ["error": "\(error)"])
            outcome = .failed(JobFailure(code: "worker_error", message: "The worker stopped with an unexpected error."))
        }
        await record(job, outcome, runSeconds: (clock.now - started).seconds)
    }

    private func record(_ job: ClaimedJob, _ outcome: JobOutcome, runSeconds: Double) async {
        _ = await retryingStoreWrite("Recording a job's outcome", metadata: ["job": "\(job.id)"], logger: logger) {
            try await queue.finish(job, claimant: claimant, outcome: outcome, runSeconds: runSeconds)
        }
    }

    /// Renews the leases of running jobs well before they expire.
    private func heartbeat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(configuration.leaseSeconds / 3))
            let ids = inFlight.withLock { Array($0.keys) }
            do {
                try await queue.heartbeat(jobIDs: ids, claimant: claimant, leaseSeconds: configuration.leaseSeconds)
            } catch {
                logger.error("Renewing leases failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func waitForInFlight() async {
        while inFlight.withLock({ !$0.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Past the grace period: hand every unfinished job back so another run picks it up.
    private func returnUnfinished() async {
        let unfinished = inFlight.withLock { Array($0.values) }
        for job in unfinished {
            try? await queue.returnToQueue(job, claimant: claimant)
            logger.warning("Returned an unfinished job to the queue at shutdown", metadata: ["job": "\(job.id)"])
        }
        inFlight.withLock { $0.removeAll() }
    }
}

/// A worker's files go to the node's file store.
struct StoredResultFiles: ResultFileSink {
    let store: any FileStore

    func save(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile {
        try await store.put(jobID: jobID, name: name, contentType: contentType, bytes: bytes)
    }
}
