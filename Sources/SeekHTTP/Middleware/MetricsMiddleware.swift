import HTTPTypes
import Hummingbird

/// Counts requests by route and status and times them.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = SeekRequestContext
    let metrics: SeekMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(
            method: request.method.rawValue,
            route: context.endpointPath ?? "unmatched",
            status: response.status.code,
            duration: ContinuousClock.now - started
        )
        return response
    }
}
