import Foundation
import Logging
import SeekCore
import ServiceLifecycle
import Synchronization

/// A runner on the publisher's machine (`seek runner`): claims its worker's jobs over HTTP with a long poll
/// while it has free slots, runs each with its executor, renews the leases of running jobs, and reports each
/// outcome. A job whose lease was lost (the server gave it to another runner) is dropped: its report would
/// change nothing. On graceful shutdown it stops claiming and lets running jobs finish.
public final class RemoteRunner: Service {
    public struct Configuration: Sendable {
        public var concurrency = 1
        /// How long one claim holds on the server when no job waits.
        public var claimWait: Duration = .seconds(25)
        /// How often the leases of running jobs are renewed at most; a third of the server's lease when that is
        /// shorter.
        public var heartbeatInterval: Duration = .seconds(10)
        /// Bounds on a job's output and files.
        public var limits = OutputLimits()
        /// Where each job's `SEEK_OUTPUT_DIR` is made.
        public var workDirectory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("seek-runner")

        public init() {}
    }

    private let client: RunnerAPIClient
    private let executor: any JobExecutor
    private let configuration: Configuration
    private let logger: Logger
    private let running = Mutex<[String: Task<Void, Never>]>([:])
    private let slotFreed = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let stopping = Atomic<Bool>(false)
    /// The server's lease, in milliseconds, as its last claim answer said.
    private let leaseMillis = Atomic<Int>(30_000)

    public init(client: RunnerAPIClient, executor: any JobExecutor, configuration: Configuration, logger: Logger) {
        self.client = client
        self.executor = executor
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        try FileManager.default.createDirectory(at: configuration.workDirectory, withIntermediateDirectories: true)
        logger.notice("Runner started", metadata: ["server": "\(client.server)", "runner_id": "\(client.runnerID)"])
        var freed = slotFreed.stream.makeAsyncIterator()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeats() }
                try await self.claimLoop(&freed)
                await self.waitForRunning(&freed)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .sequentiallyConsistent)
            self.slotFreed.continuation.yield()
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) || Task.isCancelled }

    /// Claims while slots are free; a revoked token ends the runner.
    private func claimLoop(_ freed: inout AsyncStream<Void>.Iterator) async throws {
        var backoff = Backoff()
        while !isStopping {
            let free = configuration.concurrency - running.withLock { $0.count }
            guard free > 0 else {
                _ = await freed.next()
                continue
            }
            do {
                // A shutdown cuts the long poll short; jobs it claimed on the server come back when their lease ends.
                let (jobs, lease) = try await cancelWhenGracefulShutdown {
                    try await self.client.claim(limit: free, wait: self.configuration.claimWait)
                }
                leaseMillis.store(Int(lease * 1000), ordering: .relaxed)
                backoff.reset()
                for job in jobs { start(job) }
            } catch RunnerAPIError.unauthorized(let message) {
                logger.critical("The server refused this runner's token; stopping", metadata: ["reason": "\(message)"])
                throw RunnerAPIError.unauthorized(message)
            } catch {
                guard !isStopping else { break }
                logger.warning("Claiming failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    private func start(_ job: RunnerJob) {
        running.withLock { running in
            running[job.id] = Task {
                await self.execute(job)
                self.running.withLock { _ = $0.removeValue(forKey: job.id) }
                self.slotFreed.continuation.yield()
            }
        }
    }

    private func execute(_ job: RunnerJob) async {
        var logger = logger
        logger[metadataKey: "job_id"] = .string(job.id)
        let directory = configuration.workDirectory.appendingPathComponent("\(job.id)-\(job.attempt)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let executed: ExecutedJob
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            executed = await executor.run(job, outputDirectory: directory)
        } catch {
            executed = ExecutedJob(
                report: .failed(JobFailure(code: "worker_unavailable", message: "The runner could not prepare the job's directory."))
            )
        }
        // A heartbeat that found the lease lost cancelled this task: the job runs elsewhere now.
        guard !Task.isCancelled else { return }
        for line in executed.logs { logger.info("\(line)") }
        await report(job, await withFiles(executed.report, of: job, in: directory), logger: logger)
    }

    /// A completed report with the files the worker left in its output directory uploaded and named; a
    /// failed one if there are too many or one is too large, or an upload is refused.
    private func withFiles(_ report: RunnerReport, of job: RunnerJob, in directory: URL) async -> RunnerReport {
        guard case let .completed(result, events, _) = report else { return report }
        let limits = configuration.limits
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
        guard names.count <= limits.maxFiles else {
            return .failed(ProtocolViolation("The worker wrote \(names.count) files; at most \(limits.maxFiles) are allowed.").failure)
        }
        var ids: [String] = []
        for name in names {
            let path = directory.appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: path.path)[.size] as? Int) ?? 0
            guard size <= limits.maxFileBytes, let data = FileManager.default.contents(atPath: path.path) else {
                return .failed(ProtocolViolation("The file \(name) is larger than \(limits.maxFileBytes) bytes.").failure)
            }
            do {
                ids.append(try await uploadRetrying(job, name: name, bytes: Array(data)))
            } catch {
                return .failed(JobFailure(code: "upload_failed", message: "The runner could not upload \(name): \(error)."))
            }
        }
        return .completed(result, events: events, files: ids)
    }

    private func uploadRetrying(_ job: RunnerJob, name: String, bytes: [UInt8]) async throws(RunnerAPIError) -> String {
        var backoff = Backoff()
        while true {
            do {
                return try await client.upload(job, name: name, contentType: MediaType.guess(name), bytes: bytes)
            } catch .unavailable(let message) {
                guard !Task.isCancelled else { throw .unavailable(message) }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Sends a report until the server takes it, refuses it for good, or the lease is gone. The report asks
    /// for the next job for the slot it frees, so a busy runner goes from job to job without a claim call.
    private func report(_ job: RunnerJob, _ report: RunnerReport, logger: Logger) async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let next = try await client.finish(job, report, claimNext: isStopping ? 0 : 1)
                logger.info("Reported", metadata: ["status": "\(report.json["status"]?.stringValue ?? "")"])
                for job in next { start(job) }
                return
            } catch .leaseLost {
                logger.warning("The job's lease was lost before its report; the server runs it elsewhere")
                return
            } catch .refused(_, let message), .unauthorized(let message) {
                logger.error("The server refused the report", metadata: ["reason": "\(message)"])
                return
            } catch {
                logger.warning("Reporting failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Renews the leases of running jobs; a job whose lease was lost is cancelled here.
    private func heartbeats() async {
        while !Task.isCancelled {
            let third = Duration.milliseconds(leaseMillis.load(ordering: .relaxed) / 3)
            try? await Task.sleep(for: min(configuration.heartbeatInterval, third))
            let ids = running.withLock { Array($0.keys) }
            guard !ids.isEmpty else { continue }
            do {
                let lost = try await client.heartbeat(ids)
                for id in lost {
                    logger.warning("Lost the lease of a running job; stopping it", metadata: ["job_id": "\(id)"])
                    running.withLock { $0[id] }?.cancel()
                }
            } catch {
                logger.warning("Renewing leases failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func waitForRunning(_ freed: inout AsyncStream<Void>.Iterator) async {
        while running.withLock({ !$0.isEmpty }) { _ = await freed.next() }
    }
}

/// Exponential backoff with jitter, from 0.5 s to 30 s.
struct Backoff {
    private var attempt = 0

    mutating func next() -> Duration {
        attempt += 1
        let ceiling = min(30.0, 0.5 * pow(2, Double(attempt - 1)))
        return .milliseconds(Int(Double.random(in: ceiling / 2...ceiling) * 1000))
    }

    mutating func reset() { attempt = 0 }
}

/// A file's media type from its extension, for uploads of a worker's output files.
enum MediaType {
    static let byExtension = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif", "tif": "image/tiff",
        "tiff": "image/tiff", "avif": "image/avif", "heic": "image/heic", "svg": "image/svg+xml", "pdf": "application/pdf",
        "json": "application/json", "csv": "text/csv", "txt": "text/plain", "html": "text/html", "xml": "application/xml",
        "zip": "application/zip", "mp3": "audio/mpeg", "mp4": "video/mp4",
    ]

    static func guess(_ name: String) -> String {
        let ext = name.split(separator: ".").count > 1 ? name.split(separator: ".").last.map { $0.lowercased() } : nil
        return ext.flatMap { byExtension[$0] } ?? "application/octet-stream"
    }
}
