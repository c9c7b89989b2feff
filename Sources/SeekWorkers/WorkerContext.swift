import Logging
import SeekCore
import Synchronization

/// Where a worker puts the files it produces. The runtime supplies one per job, backed by a file store;
/// the worker never learns where the bytes go or what a file's URL will be.
public protocol ResultFileSink: Sendable {
    func save(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile
}

/// Files of the job's own workspace that its input names by URL (`POST /v1/files`, or an earlier job's
/// result): read straight from the file store, never through the network.
public protocol InputFileSource: Sendable {
    /// The file a Seek file URL (`/v1/files/{id}?…`, with or without this server's origin) names, if it is one
    /// of the job's workspace; nil for any other URL.
    func file(at url: String) async throws -> InputFile?
}

/// Fetches what an input names by an http(s) URL on another host, through the server's SSRF guard: only
/// public addresses, each redirect checked again, a size limit. The runtime supplies it.
public protocol RemoteFetcher: Sendable {
    /// The body at `url`; throws `WorkerFailure` (`fetch_refused`, `fetch_failed`, `input_too_large`).
    func fetch(_ url: String, maxBytes: Int) async throws -> InputFile
}

public struct InputFile: Sendable, Equatable {
    public var name: String
    public var contentType: String
    public var bytes: [UInt8]

    public init(name: String, contentType: String, bytes: [UInt8]) {
        self.name = name
        self.contentType = contentType
        self.bytes = bytes
    }
}

/// What a worker knows of the job it runs, and how it reports back beyond its result: files, billable
/// events and warnings.
public struct WorkerContext: Sendable {
    public let jobID: String
    /// Which run of the job this is (1 for the first; more after a runner vanished).
    public let attempt: Int
    /// When the runtime cancels the run and ends the job as `timeout`.
    public let deadline: ContinuousClock.Instant
    /// Tagged with the job and the worker.
    public let logger: Logger
    private let files: any ResultFileSink
    private let inputs: (any InputFileSource)?
    private let fetcher: (any RemoteFetcher)?
    private let report: WorkerReport

    public init(
        jobID: String,
        attempt: Int,
        deadline: ContinuousClock.Instant,
        logger: Logger,
        files: any ResultFileSink,
        inputs: (any InputFileSource)? = nil,
        fetcher: (any RemoteFetcher)? = nil,
        report: WorkerReport
    ) {
        self.inputs = inputs
        self.fetcher = fetcher
        self.jobID = jobID
        self.attempt = attempt
        self.deadline = deadline
        self.logger = logger
        self.files = files
        self.report = report
    }

    /// Time left before the deadline.
    public var remaining: Duration { max(.zero, deadline - .now) }

    /// Stores a result file; it is listed in the job's `files`.
    @discardableResult
    public func save(name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile {
        let file = try await files.save(jobID: jobID, name: name, contentType: contentType, bytes: bytes)
        report.add(file)
        return file
    }

    /// The bytes at an http(s) URL of another host, fetched through the server's guard.
    public func fetch(_ url: String, maxBytes: Int) async throws -> InputFile {
        guard let fetcher else { throw WorkerFailure(code: "fetch_failed", message: "This server does not fetch URLs for workers.") }
        return try await fetcher.fetch(url, maxBytes: maxBytes)
    }

    /// The file an input names by URL: one of this workspace's files on this server, read locally, or else
    /// whatever another host serves there.
    public func file(at url: String, maxBytes: Int) async throws -> InputFile {
        if let local = try await inputs?.file(at: url) { return local }
        return try await fetch(url, maxBytes: maxBytes)
    }

    /// Counts billable events (emails checked, listings delivered) for a per-event worker.
    public func recordEvents(_ count: Int = 1) {
        report.addEvents(count)
    }

    /// A problem worth telling the caller that did not stop the job; listed in the result's `meta.warnings`.
    public func warn(_ message: String) {
        report.addWarning(message)
    }
}

/// What a run reported through its context, read by the runtime when the run ends.
public final class WorkerReport: Sendable {
    public struct Totals: Sendable, Equatable {
        public var events = 0
        public var warnings: [String] = []
        public var files: [JobFile] = []
    }

    private let totals = Mutex(Totals())

    public init() {}

    public var current: Totals { totals.withLock { $0 } }

    func add(_ file: JobFile) { totals.withLock { $0.files.append(file) } }
    func addEvents(_ count: Int) { totals.withLock { $0.events += max(0, count) } }
    func addWarning(_ message: String) { totals.withLock { $0.warnings.append(message) } }
}
