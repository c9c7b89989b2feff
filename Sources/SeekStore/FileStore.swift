import Foundation
import SeekCore

/// Where the files a job produces live until they expire. Workers write through their context; the
/// store decides where the bytes go and how they are named, never the worker.
public protocol FileStore: Sendable {
    /// Stores `bytes` as a result file of `jobID` and returns the file as the job object lists it.
    func put(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile
    /// A stored file's bytes, or nil if there is no such file (or it expired).
    func contents(fileID: String) async throws -> [UInt8]?
}

/// Result files in a directory on this machine (`files/` in the data directory).
public struct LocalFileStore: FileStore {
    public let directory: URL
    /// How long a file is kept after its job ends.
    public let retention: TimeInterval

    public init(directory: String, retention: TimeInterval = 7 * 24 * 3600) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.retention = retention
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    public func put(jobID: String, name: String, contentType: String, bytes: [UInt8]) async throws -> JobFile {
        let now = Date()
        let id = IDKind.file.make(now: now)
        // Written under a temporary name and renamed, so that a reader never sees half a file.
        let temporary = directory.appendingPathComponent(".\(id).partial")
        try Data(bytes).write(to: temporary, options: .atomic)
        try FileManager.default.moveItem(at: temporary, to: path(of: id))
        return JobFile(
            id: id,
            name: name,
            contentType: contentType,
            sizeBytes: bytes.count,
            url: "/v1/files/\(id)",
            expiresAt: now.addingTimeInterval(retention)
        )
    }

    public func contents(fileID: String) async throws -> [UInt8]? {
        guard IDKind.file.matches(fileID) else { return nil }
        guard let data = FileManager.default.contents(atPath: path(of: fileID).path) else { return nil }
        return Array(data)
    }

    private func path(of id: String) -> URL { directory.appendingPathComponent(id) }
}
