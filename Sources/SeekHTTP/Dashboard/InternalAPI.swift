import HTTPTypes
import Hummingbird
import NIOCore
import SeekCore

/// The /v1 API called in-process by the dashboard, with the signed-in session's workspace as the caller: every
/// page shows what the API answers and every form does what the API does, through the same controllers,
/// rules and errors. Nothing here is reachable from outside: the router is not served.
struct InternalAPI: Sendable {
    let responder: RouterResponder<SeekRequestContext>

    /// What the API answered: its status and JSON body (the contract's error object for a 4xx or 5xx).
    struct Answer {
        var status: HTTPResponse.Status
        var body: JSONValue

        var succeeded: Bool { (200..<300).contains(status.code) }
        var errorMessage: String { body["message"]?.stringValue ?? "The request failed (\(status.code))." }
        /// The paths and messages of a 422's schema violations.
        var errorDetails: [JSONValue] { body["details"]?.arrayValue ?? [] }
    }

    func get(_ path: String, context: SeekRequestContext) async throws -> Answer {
        try await call(.get, path, body: nil, context: context)
    }

    func call(_ method: HTTPRequest.Method, _ path: String, body: JSONValue?, context: SeekRequestContext) async throws -> Answer {
        var fields: HTTPFields = [:]
        var buffer = ByteBuffer()
        if let body {
            fields[.contentType] = "application/json"
            buffer.writeBytes(body.serialized)
        }
        let request = Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "dashboard", path: path, headerFields: fields),
            body: RequestBody(buffer: buffer)
        )
        let response = try await responder.respond(to: request, context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        let bytes = collector.buffer.readableBytesView
        return Answer(status: response.status, body: bytes.isEmpty ? .null : (try? JSONParser.parse(bytes)) ?? .null)
    }
}

/// Gathers a response body written by the router, in the task that asked for it.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
