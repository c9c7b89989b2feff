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
