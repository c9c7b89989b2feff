import Foundation
import HTTPTypes
import Hummingbird
import SeekCore
import SeekFetching
import SeekRuntime
import SeekStore
import SeekWorkers
import Synchronization

/// `POST /v1/workers/{worker_id}/jobs`, `GET /v1/jobs`, `GET` and `DELETE /v1/jobs/{job_uuid}`.
struct JobsController {
    /// The longest a `Prefer: wait` may hold a response.
    static let maxWaitSeconds = 60

    let store: any SeekStore
    let queue: JobQueue
    let catalog: WorkerCatalog
    let platformFee: PlatformFee
    let addressGuard: AddressGuard
    let presenter: Presenter
    /// Requests held open by `Prefer: wait` on this server, at most so many at once.
    let waiters: WaiterLimit

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.post("workers/:worker_id/jobs", use: submit)
        v1.get("jobs", use: list)
        v1.get("jobs/:job_uuid", use: show)
        v1.delete("jobs/:job_uuid", use: cancel)
        v1.get("jobs/:job_uuid/webhook-deliveries", use: webhookDeliveries)
    }

    @Sendable func webhookDeliveries(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Query.jobID(context)
        guard let attempts = try await store.webhookAttempts(jobID: id, workspaceID: try context.workspaceID()) else {
            throw SeekError.notFound("Job \(id)")
        }
        return JSONResponse.make(["data": .array(attempts.map(presenter.webhookAttempt))])
    }

    @Sendable func submit(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let entry = try await catalog.entry(context.parameters.get("worker_id") ?? "", for: workspaceID)
        let body = try await JSONRequest.bytes(of: request, context: context)
        let jobRequest = try JobRequest(body: try JSONRequest.parse(body))
        let violations = entry.schema.validate(jobRequest.input)
        guard violations.isEmpty else {
            throw SeekError(.unprocessableEntity, "The input does not match the input schema of worker \(entry.manifest.id).", details: violations)
        }
        // A slot to wait in is taken before anything is accepted: past the cap the answer is 503 and no job exists.
        let wait = PreferWait.seconds(in: request.headers[.prefer], maximum: Self.maxWaitSeconds).flatMap { $0 > 0 ? $0 : nil }
        if wait != nil, !waiters.acquire() {
            throw ErrorWithHeaders(
                SeekError(
                    .serviceUnavailable,
                    "Too many requests are waiting for their jobs. Retry after 1 s, or submit without Prefer: wait and poll."
                ),
                [.retryAfter: "1"]
            )
        }
        defer { if wait != nil { waiters.release() } }
        var submission = try entry.submission(workspaceID: workspaceID, request: jobRequest, idempotency: nil, fee: platformFee)
        if let webhook = jobRequest.webhook { try await addressGuard.checkAtSubmit(webhook) }
        if let key = request.headers[.idempotencyKey] {
            try Idempotency.validate(key)
            submission.idempotency = IdempotencyClaim(key: key, fingerprint: Idempotency.fingerprint(workerID: entry.manifest.id, body: body))
        }
        let outcome = try await queue.submit(submission)
        var headers: HTTPFields = [.location: "/v1/jobs/\(outcome.job.id)"]
        if case .replayed = outcome { headers[.idempotentReplayed] = "true" }
        if let wait {
            let job = try await waitForEnd(of: outcome.job, seconds: wait)
            if job.status.isTerminal {
                headers[.preferenceApplied] = "wait=\(wait)"
                return JSONResponse.make(status: .ok, presenter.job(job, version: context.apiVersion), headers: headers)
            }
        }
        return JSONResponse.make(status: .accepted, presenter.accepted(outcome.job, version: context.apiVersion), headers: headers)
    }

    /// The job once it is terminal, or as it is after `seconds`.
    private func waitForEnd(of job: Job, seconds: Int) async throws -> Job {
        try await queue.waitForEnd(jobID: job.id, workspaceID: job.workspaceID, timeout: .seconds(seconds)) ?? job
    }

    @Sendable func list(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let query = request.uri.queryParameters
        var filter = JobFilter(limit: try Query.limit(request, fallback: 100, maximum: 100))
        filter.status = try Query.status(request)
        filter.workerID = query.get("worker")
        let jobs = try await store.jobs(workspaceID: workspaceID, filter: filter)
        return JSONResponse.make(["data": .array(jobs.map { presenter.job($0, version: context.apiVersion) })])
    }

    @Sendable func show(request: Request, context: SeekRequestContext) async throws -> Response {
        let job = try await ownJob(context)
        return JSONResponse.make(presenter.job(job, version: context.apiVersion))
    }

    @Sendable func cancel(request: Request, context: SeekRequestContext) async throws -> Response {
        // The store answers 404 for a job that is not this workspace's.
        let job = try await queue.cancel(jobID: try Query.jobID(context), workspaceID: try context.workspaceID())
        return JSONResponse.make(presenter.job(job, version: context.apiVersion))
    }

    /// The job named in the path, if it is this workspace's; anything else (malformed, foreign) is a 404.
    private func ownJob(_ context: SeekRequestContext) async throws -> Job {
        let id = try Query.jobID(context)
        guard let job = try await store.job(id: id, workspaceID: try context.workspaceID()) else { throw SeekError.notFound("Job \(id)") }
        return job
    }
}

/// RFC 7240 `Prefer: wait=N`, capped.
enum PreferWait {
    static func seconds(in header: String?, maximum: Int) -> Int? {
        guard let header else { return nil }
        for preference in header.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let parts = preference.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0].lowercased() == "wait", let value = Int(parts[1]), value >= 0 {
                return min(value, maximum)
            }
        }
        return nil
    }
}

/// How many requests may wait for their jobs at once (`Prefer: wait`): each holds a connection and a task.
final class WaiterLimit: Sendable {
    let capacity: Int
    private let waiting = Atomic<Int>(0)

    init(capacity: Int) { self.capacity = capacity }

    func acquire() -> Bool {
        if waiting.add(1, ordering: .relaxed).newValue <= capacity { return true }
        waiting.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { waiting.subtract(1, ordering: .relaxed) }
}
