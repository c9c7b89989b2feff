import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SeekCore
import SeekRuntime
import SeekStore
import Synchronization

/// Resolves `X-Api-Key` to a workspace. Keys are looked up by hash only; a revoked key fails at once.
/// Requests without a valid key spend their client address's bucket, so guessing keys is slow.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    /// Per client address, for requests without a valid key.
    static let unauthenticatedLimit = RateLimit(perSecond: 10, burst: 20)

    let keys: APIKeyResolver
    let usage: KeyUsageRecorder
    /// Nil when rate limits are off.
    let limiter: RateLimiter?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = try await identity(request, context) else {
            try Self.slowDownGuessing(context, limiter: limiter, credential: "API key")
            throw SeekError.unauthorized
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "workspace_id"] = .string(identity.workspaceID)
        usage.used(identity, logger: context.logger)
        return try await next(request, context)
    }

    /// The identity of the request's key; nil when there is none, it is malformed, storage does not know it, or
    /// its address has spent its bucket and the key is certainly not one. That last is decided without reading
    /// storage, so guessing costs no more reads than the bucket allows, and a real key is not held up.
    private func identity(_ request: Request, _ context: Context) async throws -> APIKeyIdentity? {
        guard let key = request.headers[.apiKey], key.hasPrefix("sk_live_"), key.utf8.count <= 128 else { return nil }
        if let limiter, !limiter.wouldAllow(Self.addressBucket(context), limit: Self.unauthenticatedLimit), !(await keys.mightExist(key)) {
            return nil
        }
        return try await keys.identity(forKey: key)
    }
}

extension AuthMiddleware {
    static func addressBucket(_ context: SeekRequestContext) -> String { "address:" + context.clientNetwork }

    /// A request without a valid credential spends its client address's bucket: 429 once it is empty.
    static func slowDownGuessing(_ context: SeekRequestContext, limiter: RateLimiter?, credential: String) throws {
        guard let limiter else { return }
        let decision = limiter.take(addressBucket(context), limit: unauthenticatedLimit)
        guard decision.allowed else {
            throw ErrorWithHeaders(
                SeekError(
                    .tooManyRequests,
                    "Too many requests without a valid \(credential) from this address. Retry after \(decision.retryAfterSeconds) s."
                ),
                RateLimitMiddleware.headers(decision)
            )
        }
    }
}

/// Resolves `Authorization: Bearer srt_…` to a runner of one worker, on every call: a revoked token is
/// refused at its next call.
struct RunnerAuthMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    let gateway: RunnerGateway
    let limiter: RateLimiter?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : ""
        let runner: RunnerIdentity
        do {
            runner = try await gateway.identity(token: token)
        } catch let error as SeekError where error.code == .unauthorized {
            try AuthMiddleware.slowDownGuessing(context, limiter: limiter, credential: "runner token")
            throw error
        }
        var context = context
        context.runner = runner
        context.logger[metadataKey: "worker"] = .string(runner.workerID)
        return try await next(request, context)
    }
}

/// Records `last_used_at` at most once a minute per key, off the request's path.
final class KeyUsageRecorder: Sendable {
    static let resolution: TimeInterval = 60
    private let store: any WorkspaceStore
    private let lastWritten = Mutex<[String: Date]>([:])

    init(store: any WorkspaceStore) {
        self.store = store
    }

    func used(_ identity: APIKeyIdentity, logger: Logger) {
        let now = Date()
        if let stored = identity.lastUsedAt, now.timeIntervalSince(stored) < Self.resolution { return }
        let due = lastWritten.withLock { written -> Bool in
            if let last = written[identity.keyID], now.timeIntervalSince(last) < Self.resolution { return false }
            written[identity.keyID] = now
            return true
        }
        guard due else { return }
        // Detached: the write outlives the request, and must not spend or be bounded by its store budget.
        let store = store
        Task.detached {
            do {
                try await store.recordKeyUse(keyID: identity.keyID, at: now)
            } catch {
                logger.warning("Recording key use failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
