import Hummingbird
import SeekCore

/// Keeps `read` keys to GET requests.
struct ScopeMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let identity = context.identity, !identity.scope.permits(method: request.method.rawValue) {
            throw SeekError(.forbidden, "This API key has the read scope: it may only make GET requests. Use a key with the full scope.")
        }
        return try await next(request, context)
    }
}

/// On routes that reveal a credential: a `full` key only, whatever the method.
struct CredentialScopeMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let identity = context.identity, !identity.scope.revealsCredentials {
            throw SeekError(.forbidden, "This route reveals a credential: it needs an API key with the full scope, not \(identity.scope.rawValue).")
        }
        return try await next(request, context)
    }
}
