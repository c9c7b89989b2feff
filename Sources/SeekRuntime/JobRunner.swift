import Foundation
import Logging
import SeekCore
import SeekStore
import SeekWorkers
import ServiceLifecycle
import Synchronization

/// Claims queued jobs and runs them: up to `concurrency` at once, each under its deadline, with
/// its lease renewed while it runs. On graceful shutdown it stops claiming, lets running jobs
/// finish within the grace period, and gives any still running back to the queue.
public final class JobRunner: Service {
    private let store: any JobStore
    private let catalog: WorkerCatalog
    private let notifier: JobNotifier
    private let configuration: RunnerConfiguration
    private let observer: RunnerObserver
    private let logger: Logger
    /// Identifies this runner's leases.
    public let runnerID: String

    private let inFlight = Mutex<[String: ClaimedJob]>([:])
    private let stopping = Atomic<Bool>(false)

    public init(
        store: any JobStore,
        catalog: WorkerCatalog,
        notifier: JobNotifier,
        configuration: RunnerConfiguration,
        observer: RunnerObserver = .none,
        logger: Logger
    ) {
        self.store = store
        self.catalog = catalog
        self.notifier = notifier
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
        self.runnerID = "runner_\(ULID.make())"
    }

    public func run() async throws {
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
            self.notifier.wakeRunner()
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
                    let claimed = try await store.claim(limit: free, runnerID: runnerID, leaseSeconds: configuration.leaseSeconds)
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
            await notifier.jobs.wait(timeout: configuration.pollInterval)
        }
    }

    /// Runs one claimed job to an outcome and records it.
    private func execute(_ job: ClaimedJob) async {
        defer {
            inFlight.withLock { _ = $0.removeValue(forKey: job.id) }
            notifier.wakeRunner()
        }
        let clock = ContinuousClock()
        let started = clock.now
        let outcome: JobOutcome
        guard let entry = catalog[job.workerID] else {
            await record(
                job,
                .failed(JobFailure(code: "worker_unavailable", message: "Worker \(job.workerID) is not available on this node.")),
                runSeconds: 0
            )
            return
        }
        do {
            let output = try await withDeadline(.seconds(job.deadlineSeconds)) { try await entry.worker.run(job.input) }
            let elapsed = clock.now - started
            let cost = entry.manifest.pricing.cost(events: output.events, durationMs: Int(elapsed.milliseconds), reserved: job.reservedCredits)
            outcome = .completed(output.result, files: output.files, cost: cost)
        } catch is DeadlineExceeded {
            outcome = .timeout(.timedOut(after: job.deadlineSeconds))
        } catch let failure as WorkerFailure {
            outcome = .failed(JobFailure(code: failure.code, message: failure.message))
        } catch is CancellationError {
            // Shutdown ran out of grace: the job goes back to the queue unfinished.
            return
        } catch {
            logger.warning("Worker threw", metadata: ["job": "\(job.id)", "worker": "\(job.workerID)", "error": "\(error)"])
            outcome = .failed(JobFailure(code: "worker_error", message: "The worker stopped with an unexpected error."))
        }
        await record(job, outcome, runSeconds: (clock.now - started).seconds)
    }

    /// Stores an outcome, retrying a failing store a few times; if it never succeeds the lease
    /// expires and the job runs again, so nothing is lost.
    private func record(_ job: ClaimedJob, _ outcome: JobOutcome, runSeconds: Double) async {
        for attempt in 1...5 {
            do {
                if try await store.finish(job, runnerID: runnerID, outcome: outcome, finishedAt: Date()) {
                    observer.jobFinished(job.workerID, outcome.status.rawValue, runSeconds)
                    if job.webhookURL != nil { notifier.webhookQueued() }
                    notifier.jobFinished(job.id)
                }
                return
            } catch {
                logger.error("Recording a job's outcome failed", metadata: ["job": "\(job.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
    }

    /// Renews the leases of running jobs well before they expire.
    private func heartbeat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(configuration.leaseSeconds / 3))
            let ids = inFlight.withLock { Array($0.keys) }
            do {
                try await store.renewLeases(jobIDs: ids, runnerID: runnerID, leaseSeconds: configuration.leaseSeconds)
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
            try? await store.returnToQueue(job, runnerID: runnerID)
            logger.warning("Returned an unfinished job to the queue at shutdown", metadata: ["job": "\(job.id)"])
        }
        inFlight.withLock { $0.removeAll() }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
