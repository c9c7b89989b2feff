import HTTPTypes
import Hummingbird
import SeekCore

/// Applies each API key's token bucket (its workspace's plan, or the workspace's own limit) and
/// tells the client where it stands on every authenticated response, errors included.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else { return try await next(request, context) }
        let decision = await limiter.takeShared(identity.keyID, limit: identity.rateLimit)
        let headers = Self.headers(decision)
        guard decision.allowed else {
            throw ErrorWithHeaders(
                SeekError(
                    .tooManyRequests,
                    "Rate limit exceeded for this API key: \(identity.rateLimit.perSecond) "
                        + "requests per second, bursts of \(identity.rateLimit.burst). Retry after \(decision.retryAfterSeconds) s."
                ),
                headers
            )
        }
        // All of the workspace's keys share one more bucket, so that making keys does not multiply the rate.
        let shared = identity.rateLimit.workspaceWide
        let workspace = await limiter.takeShared("workspace:" + identity.workspaceID, limit: shared)
        guard workspace.allowed else {
            throw ErrorWithHeaders(
                SeekError(
                    .tooManyRequests,
                    "Rate limit exceeded for this workspace: its keys together get \(shared.perSecond) requests per second, "
                        + "bursts of \(shared.burst). Retry after \(workspace.retryAfterSeconds) s."
                ),
                Self.headers(workspace)
            )
        }
        do {
            var response = try await next(request, context)
            response.headers.append(contentsOf: headers)
            return response
        } catch let inner as ErrorWithHeaders {
            // An error that already carries headers (a 503's Retry-After) keeps them beside these.
            var merged = inner.headers
            merged.append(contentsOf: headers.filter { field in !merged.contains { $0.name == field.name } })
            throw ErrorWithHeaders(inner.error, merged)
        } catch {
            throw ErrorWithHeaders(error, headers)
        }
    }

    /// The IETF RateLimit fields, and `Retry-After` on a refusal.
    static func headers(_ decision: TokenBucket.Decision) -> HTTPFields {
        var fields: HTTPFields = [
            .rateLimitLimit: String(decision.limit),
            .rateLimitRemaining: String(decision.remaining),
            .rateLimitReset: String(decision.resetSeconds),
        ]
        if !decision.allowed { fields[.retryAfter] = String(decision.retryAfterSeconds) }
        return fields
    }
}

/// An error that keeps the headers its response must carry (rate-limit fields, `Retry-After`).
struct ErrorWithHeaders: Error {
    let error: any Error
    let headers: HTTPFields

    init(_ error: any Error, _ headers: HTTPFields) {
        self.error = error
        self.headers = headers
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
}
