import Logging
import SeekCore
import SeekWorkers
import Synchronization

/// Keeps saved files in memory, as a test's file store.
public final class MemoryFiles: ResultFileSink {
    public init() {}

    private let saved = Mutex<[String: [UInt8]]>([:])

    public func save(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile {
        let id = IDKind.file.make()
        saved.withLock { $0[id] = bytes }
        return JobFile(id: id, name: name, contentType: contentType, sizeBytes: bytes.count, url: "/v1/files/\(id)", expiresAt: nil)
    }

    public func bytes(_ id: String) -> [UInt8]? { saved.withLock { $0[id] } }
}

public func context(
    report: WorkerReport = WorkerReport(),
    files: MemoryFiles = MemoryFiles(),
    fetcher: (any RemoteFetcher)? = nil,
    seconds: Int = 10
) -> WorkerContext {
    WorkerContext(
        jobID: IDKind.job.make(),
        attempt: 1,
        deadline: .now + .seconds(seconds),
        logger: Logger(label: "test"),
        files: files,
        fetcher: fetcher,
        report: report
    )
}

/// A web of fixed pages: each URL answers its bytes, anything else fails as a fetch would. Records what was asked.
public final class FixtureWeb: RemoteFetcher {
    public struct Page: Sendable {
        public var bytes: [UInt8]
        public var contentType: String
        public init(_ bytes: [UInt8], contentType: String = "text/html; charset=utf-8") {
            self.bytes = bytes
            self.contentType = contentType
        }
    }

    private let pages: [String: Page]
    private let asked = Mutex<[FetchRequest]>([])

    public init(_ pages: [String: Page]) {
        self.pages = pages
    }

    public var requests: [FetchRequest] { asked.withLock { $0 } }

    public func fetch(_ request: FetchRequest) async throws -> FetchedResponse {
        asked.withLock { $0.append(request) }
        // A fixture key is a whole URL, or one without its query (for API endpoints).
        guard let page = pages[request.url] ?? pages[String(request.url.prefix { $0 != "?" })] else {
            throw WorkerFailure(code: "fetch_failed", message: "\(request.url) answered HTTP 404.")
        }
        return FetchedResponse(url: request.url, contentType: page.contentType, charset: "utf-8", bytes: page.bytes)
    }
}
