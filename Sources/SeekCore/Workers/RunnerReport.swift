/// How a run ended, as a remote runner reports it over HTTP (`POST /v1/runner/jobs/{job_uuid}/finish`).
/// The server prices it by the job's own version and decides what it costs; a runner never says.
public enum RunnerReport: Sendable, Equatable {
    /// The worker's result, the billable events it counted (nil: count the result's items), and the ids of
    /// the files the runner uploaded for the job.
    case completed(ResultEnvelope, events: Int?, files: [String] = [])
    case failed(JobFailure)
    /// The runner stopped the worker at the job's deadline.
    case timeout

    /// The report in a finish body; a malformed one is a 400 naming what is wrong.
    public init(json: JSONValue) throws(SeekError) {
        switch json["status"]?.stringValue {
        case "completed":
            guard let result = json["result"].flatMap(ResultEnvelope.init(json:)) else {
                throw SeekError(.badRequest, "A completed report carries result: {\"kind\": \"object\"|\"list\", \"data\", \"items\", \"meta\"}.")
            }
            var events: Int?
            if let value = json["events"], value != .null {
                guard let count = value.integerValue, count >= 0, count <= Int64(Int32.max) else {
                    throw SeekError(.badRequest, "events must be a non-negative integer.")
                }
                events = Int(count)
            }
            let files = json["files"]?.arrayValue ?? []
            let ids = files.compactMap(\.stringValue)
            guard ids.count == files.count, ids.count <= 100, ids.allSatisfy(IDKind.file.matches) else {
                throw SeekError(.badRequest, "files must be an array of at most 100 file ids the runner uploaded for this job.")
            }
            self = .completed(result, events: events, files: ids)
        case "failed":
            let code = json["error"]?["code"]?.stringValue ?? "worker_error"
            let message = json["error"]?["message"]?.stringValue ?? "The worker failed."
            guard WorkerSlug.isValid(code.replacingOccurrences(of: "_", with: "-")), message.count <= 4_096 else {
                throw SeekError(.badRequest, "error.code must be a snake_case code and error.message at most 4,096 characters.")
            }
            self = .failed(JobFailure(code: code, message: message))
        case "timeout":
            self = .timeout
        default:
            throw SeekError(.badRequest, "status must be completed, failed or timeout.")
        }
    }

    public var json: JSONValue {
        switch self {
        case let .completed(result, events, files):
            return ["status": "completed", "result": result.json, "events": .integer(events), "files": .array(files.map(JSONValue.string))]
        case let .failed(failure):
            return ["status": "failed", "error": failure.json]
        case .timeout:
            return ["status": "timeout"]
        }
    }

    /// The outcome this report makes of a run of `manifest`'s version that started `durationMs` ago with
    /// `reserved` credits, with the files it uploaded: a result of the wrong kind fails the job instead.
    public func outcome(
        for manifest: WorkerManifest,
        reserved: Int,
        durationMs: Int,
        deadlineSeconds: Int,
        files: [JobFile] = []
    )
        -> JobOutcome
    {
        switch self {
        case let .completed(result, events, _):
            guard result.kind == manifest.outputKind else {
                return .failed(
                    JobFailure(
                        code: "invalid_result",
                        message: "The worker returned a result of kind \(result.kind.rawValue); its manifest says \(manifest.outputKind.rawValue)."
                    )
                )
            }
            let cost = manifest.pricing.cost(events: events ?? result.items.count, durationMs: durationMs, reserved: reserved)
            return .completed(result, files: files, cost: cost)
        case let .failed(failure):
            return .failed(failure)
        case .timeout:
            return .timeout(.timedOut(after: deadlineSeconds))
        }
    }
}
