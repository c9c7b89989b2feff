import Foundation
import SeekCore

/// A stored file: a job's result, or an upload a job's input may name. Its URL is signed when it is shown.
public struct StoredFile: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    /// The job whose result it is; nil for an upload.
    public var jobID: String?
    public var name: String
    public var contentType: String
    public var sizeBytes: Int
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        id: String,
        workspaceID: String,
        jobID: String?,
        name: String,
        contentType: String,
        sizeBytes: Int,
        createdAt: Date,
        expiresAt: Date
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.jobID = jobID
        self.name = name
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    /// The file as a job lists it; the presenter replaces the URL with a signed one on every read.
    public var jobFile: JobFile {
        JobFile(id: id, name: name, contentType: contentType, sizeBytes: sizeBytes, url: "/v1/files/\(id)", expiresAt: expiresAt)
    }
}

/// Where files live until they expire. Workers write through their context and runners through the runner
/// API; the store decides where the bytes go and how they are named, never the worker.
public protocol FileStore: Sendable {
    /// Stores `bytes` for `workspaceID` (as a result of `jobID`, or an upload) under a sanitized name.
    func put(workspaceID: String, jobID: String?, name: String, contentType: String, bytes: [UInt8]) async throws -> StoredFile
    /// A file that exists and has not expired.
    func file(id: String) async throws -> StoredFile?
    func contents(of file: StoredFile) async throws -> [UInt8]?
    /// Deletes the files that expired before `cutoff`; returns how many.
    func removeExpired(before cutoff: Date) async throws -> Int
}

/// Files in a directory (`files/` in the data directory, or a mount every node shares): each file's bytes
/// beside a small JSON record of what it is, so that any process that sees the directory can serve it.
public struct LocalFileStore: FileStore {
    public let directory: URL
    /// How long a file is kept.
    public let retention: TimeInterval

    public init(directory: String, retention: TimeInterval = 7 * 24 * 3600) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.retention = retention
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    public func put(workspaceID: String, jobID: String?, name: String, contentType: String, bytes: [UInt8]) async throws -> StoredFile {
        let now = Date()
        let file = StoredFile(
            id: IDKind.file.make(now: now),
            workspaceID: workspaceID,
            jobID: jobID,
            name: FileName.sanitized(name),
            contentType: FileName.contentType(contentType),
            sizeBytes: bytes.count,
            createdAt: now,
            expiresAt: now.addingTimeInterval(retention)
        )
        // Bytes first, then the record, each written under a temporary name and renamed: a reader that finds
        // the record always finds the whole file.
        try write(Data(bytes), to: bytesPath(file.id))
        try write(Data(record(file).serializedString.utf8), to: recordPath(file.id))
        return file
    }

    public func file(id: String) async throws -> StoredFile? {
        guard IDKind.file.matches(id), let data = FileManager.default.contents(atPath: recordPath(id).path),
            let json = try? JSONParser.parse(Array(data)), let file = Self.decode(json), file.expiresAt > Date()
        else { return nil }
        return file
    }

    public func contents(of file: StoredFile) async throws -> [UInt8]? {
        FileManager.default.contents(atPath: bytesPath(file.id).path).map(Array.init)
    }

    public func removeExpired(before cutoff: Date) async throws -> Int {
        var removed = 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".json") {
            let id = String(name.dropLast(".json".count))
            guard IDKind.file.matches(id), let data = FileManager.default.contents(atPath: recordPath(id).path),
                let json = try? JSONParser.parse(Array(data)), let file = Self.decode(json), file.expiresAt < cutoff
            else { continue }
            // The record goes first: from then on the file is gone for readers, whatever happens to the bytes.
            try? FileManager.default.removeItem(at: recordPath(id))
            try? FileManager.default.removeItem(at: bytesPath(id))
            removed += 1
        }
        return removed
    }

    private func write(_ data: Data, to path: URL) throws {
        let temporary = directory.appendingPathComponent(".\(UUID().uuidString).partial")
        try data.write(to: temporary)
        // rename(2) replaces atomically: a reader sees the old file or the new one, never half of one.
        guard rename(temporary.path, path.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown)
        }
    }

    private func bytesPath(_ id: String) -> URL { directory.appendingPathComponent(id) }
    private func recordPath(_ id: String) -> URL { directory.appendingPathComponent("\(id).json") }

    private func record(_ file: StoredFile) -> JSONValue {
        [
            "id": .string(file.id), "workspace_id": .string(file.workspaceID), "job_id": .string(file.jobID), "name": .string(file.name),
            "content_type": .string(file.contentType), "size_bytes": .integer(file.sizeBytes),
            "created_at": .integer(Int64(file.createdAt.timeIntervalSince1970 * 1000)),
            "expires_at": .integer(Int64(file.expiresAt.timeIntervalSince1970 * 1000)),
        ]
    }

    private static func decode(_ json: JSONValue) -> StoredFile? {
        guard let id = json["id"]?.stringValue, let workspaceID = json["workspace_id"]?.stringValue, let name = json["name"]?.stringValue,
            let type = json["content_type"]?.stringValue, let size = json["size_bytes"]?.integerValue,
            let created = json["created_at"]?.integerValue, let expires = json["expires_at"]?.integerValue
        else { return nil }
        return StoredFile(
            id: id,
            workspaceID: workspaceID,
            jobID: json["job_id"]?.stringValue,
            name: name,
            contentType: type,
            sizeBytes: Int(size),
            createdAt: Date(timeIntervalSince1970: Double(created) / 1000),
            expiresAt: Date(timeIntervalSince1970: Double(expires) / 1000)
        )
    }
}
