import Foundation
import HTTPTypes
import Hummingbird
import SeekCore
import SeekRuntime
import SeekStore

/// The marketplace (`GET /v1/workers`, cursor-paginated, and `GET /v1/workers/{worker_id}`) and publishing:
/// `POST /v1/workers`, `PUT /v1/workers/{worker_id}`, `…/publish`, `…/unpublish` and `GET /v1/me/deployments`.
struct WorkersController {
    let catalog: WorkerCatalog
    let store: any SeekStore
    let runnerTokens: RunnerTokenResolver
    let presenter: Presenter
    let now: @Sendable () -> Date

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.get("workers", use: list)
        v1.post("workers", use: create)
        v1.get("workers/:worker_id", use: show)
        v1.put("workers/:worker_id", use: update)
        v1.post("workers/:worker_id/publish", use: publish)
        v1.post("workers/:worker_id/unpublish", use: unpublish)
        v1.get("me/deployments", use: deployments)
        v1.post("workers/:worker_id/runner-tokens", use: createRunnerToken)
        v1.get("workers/:worker_id/runner-tokens", use: runnerTokens)
        v1.delete("workers/:worker_id/runner-tokens/:token_id", use: revokeRunnerToken)
    }

    @Sendable func list(request: Request, context: SeekRequestContext) async throws -> Response {
        _ = try context.workspaceID()
        let limit = try Query.limit(request, fallback: 20, maximum: 100)
        let cursor = request.uri.queryParameters.get("cursor")
        if let cursor, !WorkerSlug.isValid(cursor) { throw SeekError(.badRequest, "cursor must be a worker id from a previous page.") }
        let page = try await catalog.page(after: cursor, limit: limit)
        return JSONResponse.make(
            presenter.page(
                page.manifests.map(presenter.workerSummary),
                nextCursor: page.hasMore ? page.manifests.last?.id : nil
            )
        )
    }

    @Sendable func show(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let entry = try await catalog.entry(workerID(context), for: workspaceID)
        if let published = entry.published, published.ownerWorkspaceID == workspaceID {
            return JSONResponse.make(presenter.ownWorker(published))
        }
        return JSONResponse.make(presenter.workerDetail(entry.manifest))
    }

    @Sendable func create(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let manifest = try WorkerManifest(json: .object(try await JSONRequest.object(of: request, context: context)))
        let worker = try await catalog.create(manifest, owner: workspaceID)
        return JSONResponse.make(status: .created, presenter.ownWorker(worker), headers: [.location: "/v1/workers/\(worker.id)"])
    }

    @Sendable func update(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let id = try workerID(context)
        let manifest = try WorkerManifest(json: .object(try await JSONRequest.object(of: request, context: context)))
        return JSONResponse.make(presenter.ownWorker(try await catalog.update(id, to: manifest, owner: workspaceID)))
    }

    @Sendable func publish(request: Request, context: SeekRequestContext) async throws -> Response {
        JSONResponse.make(presenter.ownWorker(try await catalog.setListed(try workerID(context), true, owner: try context.workspaceID())))
    }

    @Sendable func unpublish(request: Request, context: SeekRequestContext) async throws -> Response {
        JSONResponse.make(presenter.ownWorker(try await catalog.setListed(try workerID(context), false, owner: try context.workspaceID())))
    }

    @Sendable func createRunnerToken(request: Request, context: SeekRequestContext) async throws -> Response {
        let created = try await store.createRunnerToken(workerID: try workerID(context), owner: try context.workspaceID())
        guard case var .object(members) = presenter.runnerToken(created.record) else { return JSONResponse.make(status: .created, .null) }
        members["token"] = .string(created.token)
        return JSONResponse.make(status: .created, .object(members))
    }

    @Sendable func runnerTokens(request: Request, context: SeekRequestContext) async throws -> Response {
        let tokens = try await store.runnerTokens(workerID: try workerID(context), owner: try context.workspaceID())
        return JSONResponse.make(["data": .array(tokens.map(presenter.runnerToken))])
    }

    @Sendable func revokeRunnerToken(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("token_id") ?? ""
        guard IDKind.rtk.matches(id) else { throw SeekError.notFound("Runner token \(id.prefix(64))") }
        let record = try await runnerTokens.revoke(workerID: try workerID(context), owner: try context.workspaceID(), tokenID: id)
        return JSONResponse.make(presenter.runnerToken(record))
    }

    /// My workers with their state, current version, runners online, jobs ended and credits earned this month.
    @Sendable func deployments(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let workers = try await catalog.owned(by: workspaceID)
        let month = UTCMonth(now())
        let jobs = try await store.jobsEnded(workerIDs: workers.map(\.id), from: month.start, until: month.next.start)
        let earned = try await store.usage(workspaceID: workspaceID, month: month).earned.byWorker
        // A runner polls at least every `maxWait`; one silent for longer than twice that is gone.
        let online = try await store.runnersOnline(workerIDs: workers.map(\.id), since: now().addingTimeInterval(-Self.runnerSilence))
        let deployments = workers.map { worker in
            presenter.deployment(
                worker,
                runnersOnline: online[worker.id] ?? 0,
                jobsThisMonth: jobs[worker.id] ?? 0,
                earnedThisMonth: earned.first { $0.key == worker.id }?.credits ?? 0
            )
        }
        return JSONResponse.make(presenter.page(deployments, nextCursor: nil))
    }

    /// How long a runner may stay silent and still count as online.
    static let runnerSilence: TimeInterval = 75

    /// The worker id in the path; one that is not a slug names no worker (404).
    private func workerID(_ context: SeekRequestContext) throws -> String {
        let id = context.parameters.get("worker_id") ?? ""
        guard WorkerSlug.isValid(id) else { throw SeekError.notFound("Worker \(id.prefix(64))") }
        return id
    }
}
