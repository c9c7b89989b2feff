import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OrderedCollections
import SeekCore

/// JSON in and out of Hummingbird, through SeekCore's parser (which bounds nesting).
enum JSONResponse {
    static func make(status: HTTPResponse.Status = .ok, _ json: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let bytes = json.serialized
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}

enum JSONRequest {
    /// The body as raw bytes, at most `context.maxUploadSize` (413 beyond).
    static func bytes(of request: Request, context: SeekRequestContext) async throws -> [UInt8] {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return Array(buffer.readableBytesView)
    }

    /// Parses bytes as JSON, or a 400 that says where it broke.
    static func parse(_ bytes: [UInt8]) throws(SeekError) -> JSONValue {
        guard !bytes.isEmpty else { throw SeekError(.badRequest, "The request body is empty; send a JSON object.") }
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw SeekError(.badRequest, "Malformed JSON: \(error.description).")
        }
    }

    /// The body as a JSON object.
    static func object(of request: Request, context: SeekRequestContext) async throws -> OrderedDictionaryOfJSON {
        guard let object = try parse(try await bytes(of: request, context: context)).objectValue else {
            throw SeekError(.badRequest, "The request body must be a JSON object.")
        }
        return object
    }
}

/// Query-string parameters, checked.
enum Query {
    /// `status`: a job status (or, as the older API spelled it, its legacy name); nil when absent.
    static func status(_ request: Request) throws(SeekError) -> JobStatus? {
        guard let text = request.uri.queryParameters.get("status") else { return nil }
        guard let parsed = JobStatus(rawValue: text) ?? JobStatus.allCases.first(where: { $0.legacyName == text }) else {
            throw SeekError(.badRequest, "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return parsed
    }

    /// The job id in the path; a malformed one is a 404 like any unknown job.
    static func jobID(_ context: SeekRequestContext) throws(SeekError) -> String {
        let id = context.parameters.get("job_uuid") ?? ""
        guard IDKind.job.matches(id) else { throw SeekError.notFound("Job \(id.prefix(64))") }
        return id
    }

    /// `limit`: 1…`maximum`, `fallback` when absent.
    static func limit(_ request: Request, fallback: Int, maximum: Int) throws(SeekError) -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw SeekError(.badRequest, "limit must be an integer from 1 to \(maximum).")
        }
        return value
    }

    /// An optional timestamp parameter: RFC 3339 or a date.
    static func timestamp(_ request: Request, _ name: String) throws(SeekError) -> Date? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let date = Timestamp.parse(String(text)) else {
            throw SeekError(.badRequest, "\(name) must be an RFC 3339 date-time (2026-03-01T00:00:00Z) or a date (2026-03-01).")
        }
        return date
    }
}
