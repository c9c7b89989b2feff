import AsyncHTTPClient
import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import SeekCore

/// A JSON document, for jobs' input: literals work (`["hello": "world", "n": 1]`), and objects keep their order.
public typealias JSONValue = SeekCore.JSONValue
/// Why `WebhookReceiver.verify` refused a delivery.
public typealias WebhookVerificationError = SeekCore.WebhookVerificationError

/// Seek's API from Swift: the generated operations (`api`) behind one key, with typed errors and retries,
/// and the calls a program makes most (`run`, `events`, `download`) written out.
///
/// ```swift
/// let seek = try SeekClient()   // SEEK_API_KEY and SEEK_API_BASE
/// let job = try await seek.run(worker: "echo", input: ["hello": "world"])
/// ```
public struct SeekClient: Sendable {
    /// Where a server listens when `SEEK_API_BASE` does not say: `seek serve`'s default.
    public static let defaultBaseURL = URL(string: "http://127.0.0.1:8080")!

    public let apiKey: String
    public let baseURL: URL
    /// Every operation of the OpenAPI document, generated (`Sources/SeekClient/Generated`).
    public let api: Client
    /// The same operations without a response deadline, for event streams that stay open.
    let streams: Client

    /// - Parameters:
    ///   - apiKey: the workspace's `sk_live_…` key; nil reads `SEEK_API_KEY` (or the seed's `SEEKAPI_KEY`).
    ///   - baseURL: the server; nil reads `SEEK_API_BASE`, else `http://127.0.0.1:8080`.
    ///   - retry: when to send a call again (429s and, for safe calls, 5xx and lost connections).
    ///   - timeout: the longest a call may take, `Prefer: wait` included.
    public init(
        apiKey: String? = nil,
        baseURL: URL? = nil,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(90),
        httpClient: HTTPClient = .shared,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SeekClientError) {
        guard let key = apiKey ?? Self.nonEmpty(environment["SEEK_API_KEY"]) ?? Self.nonEmpty(environment["SEEKAPI_KEY"]) else {
            throw .missingAPIKey
        }
        var base = Self.defaultBaseURL
        if let baseURL {
            base = baseURL
        } else if let text = Self.nonEmpty(environment["SEEK_API_BASE"]) {
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .invalidBaseURL(text)
            }
            base = url
        }
        self.apiKey = key
        self.baseURL = base
        let middlewares: [any ClientMiddleware] = [APIErrorMiddleware(), RetryMiddleware(policy: retry), KeyMiddleware(key: key)]
        let configuration = Configuration(dateTranscoder: SeekDates())
        api = Client(
            serverURL: base,
            configuration: configuration,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))),
            middlewares: middlewares
        )
        streams = Client(
            serverURL: base,
            configuration: configuration,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: .hours(24 * 365))),
            middlewares: middlewares
        )
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// Runs `body` and hands the caller the `SeekAPIError` a middleware threw, not the generated client's wrapper.
    func call<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch {
            throw SeekAPIError.unwrapped(error)
        }
    }
}

/// What stops a client being made.
public enum SeekClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingAPIKey
    case invalidBaseURL(String)
    /// The input given to `run` or `submit` is not a JSON object.
    case inputNotAnObject
    /// An answer the document does not describe (a proxy's page, a server of another version).
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .missingAPIKey: "No API key: pass one, or set SEEK_API_KEY."
        case .invalidBaseURL(let text): "SEEK_API_BASE is not an http(s) URL: \(text)"
        case .inputNotAnObject: "A job's input is a JSON object."
        case .unexpectedResponse(let what): "The server answered in a way this client does not know: \(what)"
        }
    }
}

/// Sends the key on every call (the generated code leaves security schemes to middleware), and `Prefer` as written.
struct KeyMiddleware: ClientMiddleware {
    let key: String

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        // A file's signed URL is its own authorization: the key is not sent where it is not needed.
        if operationID != "downloadFile" { request.headerFields[HTTPField.Name("X-Api-Key")!] = key }
        request.headerFields[.userAgent] = "seek-swift/1"
        // The generated code writes header parameters URI-style, so `wait=30` leaves as `wait%3D30`; RFC 7240's
        // preference is a token=value pair and goes as is.
        let prefer = HTTPField.Name("Prefer")!
        if let value = request.headerFields[prefer] { request.headerFields[prefer] = value.removingPercentEncoding ?? value }
        return try await next(request, body, baseURL)
    }
}

/// Seek's timestamps (RFC 3339, milliseconds, UTC), read and written by SeekCore's one implementation.
struct SeekDates: DateTranscoder {
    func encode(_ date: Date) throws -> String { Timestamp.format(date) }

    func decode(_ text: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Not an RFC 3339 timestamp: \(text)"))
        }
        return date
    }
}

extension JSONDecoder {
    /// A decoder for the generated types outside the generated code (an event's data), with Seek's dates.
    static var seek: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try SeekDates().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }
}

extension JSONEncoder {
    /// Pretty, sorted JSON of the generated types, with Seek's dates: what `seek … --json` prints.
    public static var seek: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }
}
