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

/// One GET a worker asks the runtime to make on another host.
public struct FetchRequest: Sendable, Equatable {
    public var url: String
    /// The `Accept` header.
    public var accept: String
    /// The most body bytes read; nil for the server's page limit.
    public var maxBytes: Int?
    /// Whether the host's robots.txt decides: yes for pages a worker crawls, no for an API a worker is
    /// configured to call or a file the caller named.
    public var honoursRobots: Bool

    public init(url: String, accept: String = "*/*", maxBytes: Int? = nil, honoursRobots: Bool) {
        self.url = url
        self.accept = accept
        self.maxBytes = maxBytes
        self.honoursRobots = honoursRobots
    }

    /// A page a worker crawls: HTML first, robots.txt honoured.
    public static func page(_ url: String) -> FetchRequest {
        FetchRequest(url: url, accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5", honoursRobots: true)
    }
}

/// What a fetch answered, after redirects.
public struct FetchedResponse: Sendable, Equatable {
    /// Where the body came from: the last hop of any redirects (relative links resolve against it).
    public var url: String
    public var contentType: String
    /// The body's character set, from the BOM, the Content-Type, or an HTML page's own `<meta>`; else
    /// `utf-8` when the bytes are valid UTF-8 and `windows-1252` when not.
    public var charset: String
    public var bytes: [UInt8]

    public init(url: String, contentType: String, charset: String, bytes: [UInt8]) {
        self.url = url
        self.contentType = contentType
        self.charset = charset
        self.bytes = bytes
    }
}

/// Fetches what a worker names by an http(s) URL on another host, through the server's SSRF guard (only
/// public addresses, each redirect checked again), politely (robots.txt, one request at a time per host,
/// retries that honour Retry-After), within a size limit. The runtime supplies it.
public protocol RemoteFetcher: Sendable {
    /// Throws `WorkerFailure`: `fetch_refused` (the guard), `fetch_disallowed` (robots.txt), `fetch_failed`,
    /// `input_too_large`.
    func fetch(_ request: FetchRequest) async throws -> FetchedResponse
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

    /// What an http(s) URL of another host answers, fetched through the server's guard.
    public func fetch(_ request: FetchRequest) async throws -> FetchedResponse {
        guard let fetcher else { throw WorkerFailure(code: "fetch_failed", message: "This server does not fetch URLs for workers.") }
        return try await fetcher.fetch(request)
    }

    /// The file an input names by URL: one of this workspace's files on this server, read locally, or else
    /// whatever another host serves there (robots.txt does not apply: the caller named the file).
    public func file(at url: String, maxBytes: Int) async throws -> InputFile {
        if let local = try await inputs?.file(at: url) { return local }
        let response = try await fetch(FetchRequest(url: url, maxBytes: maxBytes, honoursRobots: false))
        let name = response.url.split(separator: "?").first?.split(separator: "/").last.map(String.init) ?? ""
        return InputFile(name: name.isEmpty || name.contains(":") ? "download" : name, contentType: response.contentType, bytes: response.bytes)
    }

    /// Counts billable events (emails checked, listings delivered) for a per-event worker.
    public func recordEvents(_ count: Int = 1) {
        report.addEvents(count)
    }

    /// A problem worth telling the caller that did not stop the job; listed in the result's `meta.warnings` and
    /// sent at once to the job's event stream.
    public func warn(_ message: String) {
        report.addWarning(message)
        report.progress(.warning(message))
    }

    /// A line for the caller, sent to the job's event stream as it happens (and not kept with the result).
    public func log(_ message: String) {
        report.progress(.log(message))
    }

    /// A list worker's progress: how many items it has so far, sent to the job's event stream.
    public func itemsSoFar(_ count: Int) {
        report.progress(.items(count))
    }
}

/// What a run reports while it runs, for the job's event stream.
public enum WorkerProgress: Sendable, Equatable {
    case log(String)
    case warning(String)
    case items(Int)
}

/// What a run reported through its context, read by the runtime when the run ends.
public final class WorkerReport: Sendable {
    public struct Totals: Sendable, Equatable {
        public var events = 0
        public var warnings: [String] = []
        public var files: [JobFile] = []
    }

    private let totals = Mutex(Totals())
    private let onProgress: (@Sendable (WorkerProgress) -> Void)?

    /// `onProgress` hears the run's progress as it is reported.
    public init(onProgress: (@Sendable (WorkerProgress) -> Void)? = nil) {
        self.onProgress = onProgress
    }

    func progress(_ progress: WorkerProgress) { onProgress?(progress) }

    public var current: Totals { totals.withLock { $0 } }

    func add(_ file: JobFile) { totals.withLock { $0.files.append(file) } }
    func addEvents(_ count: Int) { totals.withLock { $0.events += max(0, count) } }
    func addWarning(_ message: String) { totals.withLock { $0.warnings.append(message) } }
}
