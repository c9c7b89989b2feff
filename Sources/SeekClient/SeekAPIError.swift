import Foundation
import HTTPTypes
import OpenAPIRuntime

/// An error answer of the API, as the contract spells it: `{"error", "message", "status", "details",
/// "request_id"}`. Every non-2xx response reaches the caller as one of these, whatever the operation.
public struct SeekAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One field's problem, for a 422 (`path` is a JSON Pointer into the input).
    public struct Detail: Sendable, Equatable, Decodable {
        public let path: String
        public let message: String
    }

    /// The contract's code: `bad_request`, `unauthorized`, `payment_required`, `forbidden`, `not_found`,
    /// `conflict`, `payload_too_large`, `unprocessable_entity`, `too_many_requests`, `internal_server_error`,
    /// `service_unavailable`; `http_<status>` for an answer that is not in the contract's shape (a proxy's).
    public let code: String
    public let status: Int
    public let message: String
    public let details: [Detail]
    public let requestID: String?
    /// From `Retry-After`, on a 429 or a 503.
    public let retryAfter: Duration?

    public init(code: String, status: Int, message: String, details: [Detail] = [], requestID: String? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.details = details
        self.requestID = requestID
        self.retryAfter = retryAfter
    }

    public var description: String {
        let fields = details.map { "\n  \($0.path.isEmpty ? "(input)" : $0.path): \($0.message)" }.joined()
        return "\(status) \(code): \(message)\(fields)"
    }

    /// Reads an error answer; a body that is not the contract's shape keeps its text as the message.
    init(response: HTTPResponse, body: [UInt8]) {
        struct Wire: Decodable {
            let error: String
            let message: String
            let details: [Detail]?
            let request_id: String?
        }
        let retryAfter = response.headerFields[.retryAfter].flatMap(Int.init).map { Duration.seconds($0) }
        let status = response.status.code
        if let wire = try? JSONDecoder().decode(Wire.self, from: Data(body)) {
            self.init(
                code: wire.error,
                status: status,
                message: wire.message,
                details: wire.details ?? [],
                requestID: wire.request_id ?? response.headerFields[.requestID],
                retryAfter: retryAfter
            )
        } else {
            let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.init(
                code: "http_\(status)",
                status: status,
                message: text.isEmpty ? response.status.reasonPhrase : text,
                requestID: response.headerFields[.requestID],
                retryAfter: retryAfter
            )
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
    static let idempotencyKey = Self("Idempotency-Key")!
}

/// Turns every answer outside 2xx into a thrown `SeekAPIError`, so that callers handle one error type and the
/// generated operations' error cases never reach them.
struct APIErrorMiddleware: ClientMiddleware {
    /// Longer error bodies are cut: a message is a sentence, not a page.
    static let bodyLimit = 64 * 1024

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        guard !(200..<300).contains(response.status.code) else { return (response, responseBody) }
        var bytes: [UInt8] = []
        if let responseBody {
            for try await chunk in responseBody {
                bytes.append(contentsOf: chunk.prefix(Self.bodyLimit - bytes.count))
                if bytes.count >= Self.bodyLimit { break }
            }
        }
        throw SeekAPIError(response: response, body: bytes)
    }
}

extension SeekAPIError {
    /// The `SeekAPIError` inside what the generated client threw (it wraps middleware errors in `ClientError`).
    static func unwrapped(_ error: any Error) -> any Error {
        if let client = error as? ClientError { return unwrapped(client.underlyingError) }
        return error
    }
}
