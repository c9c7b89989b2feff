import Foundation
import HTTPTypes
import Hummingbird
import SeekCore
import SeekRuntime
import SeekStore

/// The runner API, for `seek runner` and any program that runs a published worker's jobs:
/// `POST /v1/runner/claim` (a long poll), `POST /v1/runner/heartbeat` and
/// `POST /v1/runner/jobs/{job_uuid}/finish`, authenticated with a runner token. Documented in `docs/workers.md`.
struct RunnerController {
    /// The longest `wait_s` a claim may ask for.
    static let maxWaitSeconds = 30

    let gateway: RunnerGateway
    let presenter: Presenter
    let uploadLimit: Int

    func register(in group: RouterGroup<SeekRequestContext>) {
        group.post("claim", use: claim)
        group.post("heartbeat", use: heartbeat)
        group.post("jobs/:job_uuid/finish", use: finish)
        group.post("jobs/:job_uuid/files", use: upload)
    }

    /// A result file of a job this runner holds (`?runner_id=…&name=…`, the raw body); the finish names its id.
    @Sendable func upload(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("job_uuid") ?? ""
        guard IDKind.job.matches(id) else { throw SeekError.notFound("Job \(id.prefix(64))") }
        guard let runnerID = request.uri.queryParameters.get("runner_id") else {
            throw SeekError(.badRequest, "runner_id is required: the runner process's own id.")
        }
        let upload = try await RawUpload(request, limit: uploadLimit)
        let stored = try await gateway.upload(
            try context.runnerIdentity(),
            runnerID: runnerID,
            jobID: id,
            name: upload.name,
            contentType: upload.contentType,
            bytes: upload.bytes
        )
        return JSONResponse.make(status: .created, presenter.storedFile(stored))
    }

    @Sendable func claim(request: Request, context: SeekRequestContext) async throws -> Response {
        let body = try await JSONRequest.object(of: request, context: context)
        let limit = try Self.integer(body["limit"], "limit", default: 1, in: 1...gateway.configuration.maxClaim)
        // The gateway holds no longer than its own setting allows.
        let wait = try Self.integer(body["wait_s"], "wait_s", default: 0, in: 0...Self.maxWaitSeconds)
        let jobs = try await gateway.claim(try context.runnerIdentity(), runnerID: try Self.runnerID(body), limit: limit, wait: .seconds(wait))
        return JSONResponse.make(["jobs": .array(jobs.map(Self.claimed)), "lease_s": .double(gateway.configuration.leaseSeconds)])
    }

    @Sendable func heartbeat(request: Request, context: SeekRequestContext) async throws -> Response {
        let body = try await JSONRequest.object(of: request, context: context)
        guard let ids = body["jobs"]?.arrayValue?.compactMap(\.stringValue), ids.count == body["jobs"]?.arrayValue?.count, ids.count <= 1_000
        else { throw SeekError(.badRequest, "jobs must be an array of at most 1,000 job ids.") }
        let renewed = try await gateway.heartbeat(try context.runnerIdentity(), runnerID: try Self.runnerID(body), jobIDs: ids)
        return JSONResponse.make([
            "renewed": .array(ids.filter(renewed.contains).map(JSONValue.string)),
            "lost": .array(ids.filter { !renewed.contains($0) }.map(JSONValue.string)),
            "lease_s": .double(gateway.configuration.leaseSeconds),
        ])
    }

    @Sendable func finish(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = context.parameters.get("job_uuid") ?? ""
        guard IDKind.job.matches(id) else { throw SeekError.notFound("Job \(id.prefix(64))") }
        let body = try await JSONRequest.object(of: request, context: context)
        let attempt = try Self.integer(body["attempt"], "attempt", default: nil, in: 1...Int(Int32.max))
        let report = try RunnerReport(json: .object(body))
        let claimNext = try Self.integer(body["claim_next"], "claim_next", default: 0, in: 0...gateway.configuration.maxClaim)
        let finish = try await gateway.finish(
            try context.runnerIdentity(),
            runnerID: try Self.runnerID(body),
            jobID: id,
            attempt: attempt,
            report: report,
            claimNext: claimNext
        )
        return JSONResponse.make([
            "recorded": true, "status": .string(finish.status.rawValue), "jobs": .array(finish.next.map(Self.claimed)),
            "lease_s": .double(gateway.configuration.leaseSeconds),
        ])
    }

    /// A claimed job as a runner needs it: how its result is shaped (`output_kind`) and what a `charge` line
    /// names (`event`) come from the version the job runs.
    static func claimed(_ remote: RemoteJob) -> JSONValue {
        let job = remote.job
        return [
            "job_uuid": .string(job.id), "worker": .string(job.workerID), "worker_version": .integer(job.workerVersion),
            "version": .string(remote.manifest.version), "attempt": .integer(job.attempt), "input": job.input,
            "deadline_s": .integer(job.deadlineSeconds), "started_at": Timestamp.json(job.startedAt),
            "output_kind": .string(remote.manifest.outputKind.rawValue), "event": .string(remote.manifest.pricing.event),
        ]
    }

    private static func runnerID(_ body: OrderedDictionaryOfJSON) throws -> String {
        guard let id = body["runner_id"]?.stringValue else { throw SeekError(.badRequest, "runner_id is required: the runner process's own id.") }
        return id
    }

    private static func integer(_ value: JSONValue?, _ name: String, default fallback: Int?, in range: ClosedRange<Int>) throws -> Int {
        guard let value, value != .null else {
            guard let fallback else { throw SeekError(.badRequest, "\(name) is required.") }
            return fallback
        }
        guard let number = value.integerValue, range.contains(Int(number)) else {
            throw SeekError(.badRequest, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return Int(number)
    }
}
