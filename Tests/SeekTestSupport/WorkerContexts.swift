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

public func context(report: WorkerReport = WorkerReport(), files: MemoryFiles = MemoryFiles(), seconds: Int = 10) -> WorkerContext {
    WorkerContext(
        jobID: IDKind.job.make(),
        attempt: 1,
        deadline: .now + .seconds(seconds),
        logger: Logger(label: "test"),
        files: files,
        report: report
    )
}
