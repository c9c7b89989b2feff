import HTTPTypes
import Hummingbird
import SeekCore
import SeekWorkers

/// `GET /v1/workers` (cursor-paginated) and `GET /v1/workers/{worker_id}`.
struct WorkersController {
    let registry: WorkerRegistry
    let presenter: Presenter

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.get("workers", use: list)
        v1.get("workers/:worker_id", use: show)
    }

    @Sendable func list(request: Request, context: SeekRequestContext) async throws -> Response {
        _ = try context.workspaceID()
        let limit = try Query.limit(request, fallback: 20, maximum: 100)
        let cursor = request.uri.queryParameters.get("cursor")
        if let cursor, !WorkerSlug.isValid(cursor) { throw SeekError(.badRequest, "cursor must be a worker id from a previous page.") }
        let page = registry.page(after: cursor, limit: limit)
        return JSONResponse.make(
            presenter.page(
                page.manifests.map(presenter.workerSummary),
                nextCursor: page.hasMore ? page.manifests.last?.id : nil
            )
        )
    }

    @Sendable func show(request: Request, context: SeekRequestContext) async throws -> Response {
        _ = try context.workspaceID()
        let entry = try registry.entry(context.parameters.get("worker_id") ?? "")
        return JSONResponse.make(presenter.workerDetail(entry.manifest))
    }
}
