import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SeekCore
import SeekStore

/// `POST /v1/files`: an upload (the raw body, with its Content-Type and `?name=`) that a job's input may
/// name where a worker takes a URL. `GET /v1/me/files/{file_id}`: one of the workspace's files with a fresh
/// signed URL, for a client that kept only its id (`seek files get`).
struct FilesController {
    let files: any FileStore
    let presenter: Presenter
    let uploadLimit: Int

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.post("files", use: upload)
        v1.get("me/files/:file_id", use: show)
    }

    @Sendable func show(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let id = context.parameters.get("file_id") ?? ""
        // Another workspace's file is a 404, never a 403 (the contract).
        guard let stored = try await files.file(id: id), stored.workspaceID == workspaceID else {
            throw SeekError.notFound("File \(id.prefix(64))")
        }
        return JSONResponse.make(presenter.storedFile(stored))
    }

    @Sendable func upload(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let upload = try await RawUpload(request, limit: uploadLimit)
        let stored = try await files.put(
            workspaceID: workspaceID,
            jobID: nil,
            name: upload.name,
            contentType: upload.contentType,
            bytes: upload.bytes
        )
        return JSONResponse.make(status: .created, presenter.storedFile(stored))
    }
}

/// `GET /v1/files/{file_id}?expires=…&signature=…`: the bytes, for whoever holds a URL that is still good.
/// 403 when it expired or was altered; 404 when there is no such file (or it was cleaned away).
struct FileDownloadController {
    let files: any FileStore
    let signer: FileURLSigner
    let now: @Sendable () -> Date

    func register(in router: Router<SeekRequestContext>) {
        router.get("v1/files/:file_id", use: download)
    }

    @Sendable func download(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("file_id") ?? ""
        guard let file = try await files.file(id: id) else { throw SeekError.notFound("File \(id.prefix(64))") }
        let query = request.uri.queryParameters
        guard
            signer.verify(
                fileID: file.id,
                workspaceID: file.workspaceID,
                expires: query.get("expires"),
                signature: query.get("signature"),
                now: now()
            )
        else { throw SeekError(.forbidden, "This file URL has expired or is not valid. Read the job again for a fresh one.") }
        guard let bytes = try await files.contents(of: file) else { throw SeekError.notFound("File \(id)") }
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(
            status: .ok,
            headers: [
                .contentType: file.contentType, .contentDisposition: "attachment; filename=\"\(file.name)\"",
                .cacheControl: "private, max-age=300", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: buffer)
        )
    }
}

/// A raw request body taken as a file: its bytes (at most `limit`), media type and name.
struct RawUpload {
    let bytes: [UInt8]
    let name: String
    let contentType: String

    init(_ request: Request, limit: Int) async throws {
        guard request.headers[.contentLength].flatMap(Int.init).map({ $0 <= limit }) ?? true else {
            throw SeekError(.payloadTooLarge, "An upload may be at most \(limit) bytes.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw SeekError(.payloadTooLarge, "An upload may be at most \(limit) bytes.")
        }
        bytes = Array(buffer.readableBytesView)
        guard !bytes.isEmpty else { throw SeekError(.badRequest, "The upload is empty: send the file as the request body.") }
        name = request.uri.queryParameters.get("name") ?? "upload"
        contentType = FileName.contentType(request.headers[.contentType] ?? "application/octet-stream")
    }
}
