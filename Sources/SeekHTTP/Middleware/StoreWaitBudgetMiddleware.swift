import Hummingbird
import SeekStore

/// Gives each request one bound for all its waiting on the store (`StoreWaitBudget`): a request that makes several
/// calls while the database is slow or away answers 503 within it, rather than within a bound per call added up.
/// What a response's body does after its handler returns (an event stream) is outside it.
struct StoreWaitBudgetMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await StoreWaitBudget.$current.withValue(StoreWaitBudget()) {
            try await next(request, context)
        }
    }
}
