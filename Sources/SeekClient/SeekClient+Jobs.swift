import Foundation
import OpenAPIRuntime
import SeekCore

public typealias Job = Components.Schemas.Job

extension Components.Schemas.Job {
    /// Completed, failed, timed out or cancelled: the job will not change again.
    public var isFinished: Bool { status != .queued && status != .running }
}

/// What a submit gave back: the job itself when it ended within `Prefer: wait`, else its acceptance.
public enum Submitted: Sendable {
    case finished(Job)
    case queued(Components.Schemas.Accepted)

    public var jobID: String {
        switch self {
        case .finished(let job): job.jobUuid
        case .queued(let accepted): accepted.jobUuid
        }
    }
}

extension SeekClient {
    /// The longest `Prefer: wait` the server honours.
    public static let longestWait: Duration = .seconds(60)

    /// Submits a job. The input is the worker's input plus the control keys (`webhook`, `priority`, `timeout_s`,
    /// `max_credits`), sent as given: the server validates it and answers a 422 with every field's problem.
    ///
    /// - Parameters:
    ///   - idempotencyKey: the same key and body within 24 h make one job; a submit with a key may be retried.
    ///   - wait: hold the answer until the job ends, up to this long (`Prefer: wait`, at most 60 s).
    public func submit(
        worker: String,
        input: JSONValue = [:],
        idempotencyKey: String? = nil,
        wait: Duration? = nil
    ) async throws
        -> Submitted
    {
        guard case .object = input else { throw SeekClientError.inputNotAnObject }
        let members = try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(input.serialized))
        let prefer = wait.map { "wait=\(Int(min($0, Self.longestWait).seconds.rounded(.up)))" }
        let output = try await call {
            try await api.submitJob(
                path: .init(workerId: worker),
                headers: .init(idempotencyKey: idempotencyKey, prefer: prefer),
                body: .json(.init(additionalProperties: members))
            )
        }
        switch output {
        case .ok(let ok):
            guard let job = try ok.body.json.value1 else { throw SeekClientError.unexpectedResponse("a job in the legacy shape") }
            return .finished(job)
        case .accepted(let accepted):
            guard let queued = try accepted.body.json.value1 else { throw SeekClientError.unexpectedResponse("an acceptance in the legacy shape") }
            return .queued(queued)
        default:
            throw SeekClientError.unexpectedResponse("submitJob answered \(output)")
        }
    }

    /// Runs a job to its end: submits it with an idempotency key (so that a retried submit makes one job),
    /// waits with `Prefer: wait`, then follows its event stream, polling if the stream cannot be held.
    ///
    /// - Parameter onEvent: each of the job's events as it comes (status, log lines, items so far).
    public func run(
        worker: String,
        input: JSONValue = [:],
        wait: Duration = .seconds(10),
        idempotencyKey: String = "run_" + UUID().uuidString,
        onEvent: (@Sendable (JobEvent) async -> Void)? = nil
    ) async throws -> Job {
        let submitted = try await submit(worker: worker, input: input, idempotencyKey: idempotencyKey, wait: onEvent == nil ? wait : nil)
        if case .finished(let job) = submitted { return job }
        return try await waitForEnd(job: submitted.jobID, onEvent: onEvent)
    }

    /// The job once it has ended, from its event stream; by polling if the stream fails (a proxy that does not
    /// pass server-sent events, the per-key stream cap).
    public func waitForEnd(job jobID: String, onEvent: (@Sendable (JobEvent) async -> Void)? = nil) async throws -> Job {
        do {
            for try await event in events(job: jobID) {
                await onEvent?(event)
                if let job = event.job { return job }
            }
        } catch let error as SeekAPIError where [401, 403, 404].contains(error.status) {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Fall through to polling.
        }
        var delay = Duration.milliseconds(250)
        while true {
            let current = try await job(jobID)
            if current.isFinished { return current }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    public func job(_ jobID: String) async throws -> Job {
        let output = try await call { try await api.getJob(path: .init(jobUuid: jobID)) }
        guard let job = try output.ok.body.json.value1 else { throw SeekClientError.unexpectedResponse("a job in the legacy shape") }
        return job
    }

    /// The workspace's jobs, newest first.
    public func jobs(
        worker: String? = nil,
        status: Operations.ListJobs.Input.Query.StatusPayload? = nil,
        limit: Int? = nil
    ) async throws -> [Job] {
        let output = try await call { try await api.listJobs(query: .init(limit: limit, status: status, worker: worker)) }
        return try output.ok.body.json.data.compactMap(\.value1)
    }

    /// Cancels a queued or running job; the job as it is afterwards.
    public func cancel(job jobID: String) async throws -> Job {
        let output = try await call { try await api.cancelJob(path: .init(jobUuid: jobID)) }
        guard let job = try output.ok.body.json.value1 else { throw SeekClientError.unexpectedResponse("a job in the legacy shape") }
        return job
    }
}
