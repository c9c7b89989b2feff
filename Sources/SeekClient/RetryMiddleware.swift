import Foundation
import HTTPTypes
import OpenAPIRuntime

/// How the client retries: when the server says "later" (429, honouring `Retry-After`), and on 502, 503,
/// 504 or a lost connection when the call is safe to send twice.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included; 1 turns retries off.
    public var attempts: Int
    /// The first backoff; each next one doubles, with jitter, up to `maximumDelay`.
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 4, initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(8)) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    public static let none = RetryPolicy(attempts: 1)

    /// A request the server may see twice without a second effect: reads, PUT and DELETE, and a POST that
    /// carries an `Idempotency-Key` (the server replays its first answer).
    static func isSafe(_ request: HTTPRequest) -> Bool {
        switch request.method {
        case .get, .head, .put, .delete, .options: return true
        case .post: return request.headerFields[.idempotencyKey] != nil
        default: return false
        }
    }

    /// The wait before attempt `attempt + 1`, or nil when the answer is final.
    func delay(after attempt: Int, status: Int?, retryAfter: Duration?, safe: Bool) -> Duration? {
        guard attempt < attempts else { return nil }
        switch status {
        // A 429 refuses before doing anything, so any call may be sent again.
        case 429: break
        case 502, 503, 504, nil: guard safe else { return nil }
        default: return nil
        }
        if let retryAfter { return min(retryAfter, maximumDelay) }
        let base = initialDelay * Int(1 << min(attempt - 1, 20))
        let capped = min(base, maximumDelay)
        // Full jitter between half and all of it, so that many clients refused together do not return together.
        return capped * Double.random(in: 0.5...1.0)
    }
}

struct RetryMiddleware: ClientMiddleware {
    let policy: RetryPolicy

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        // A body that can be read only once cannot be sent again.
        let safe = RetryPolicy.isSafe(request) && (body?.iterationBehavior ?? .multiple) == .multiple
        var attempt = 1
        while true {
            let response: HTTPResponse
            let responseBody: HTTPBody?
            do {
                (response, responseBody) = try await next(request, body, baseURL)
            } catch {
                guard !(error is CancellationError), let wait = policy.delay(after: attempt, status: nil, retryAfter: nil, safe: safe) else {
                    throw error
                }
                try await Task.sleep(for: wait)
                attempt += 1
                continue
            }
            let retryAfter = response.headerFields[.retryAfter].flatMap(Int.init).map { Duration.seconds($0) }
            guard let wait = policy.delay(after: attempt, status: response.status.code, retryAfter: retryAfter, safe: safe) else {
                return (response, responseBody)
            }
            try await Task.sleep(for: wait)
            attempt += 1
        }
    }
}
