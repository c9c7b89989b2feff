import SeekCore

/// A program that takes JSON and returns a result. Workers never touch the store: the runtime
/// hands them input and collects their output, and cancels them at their deadline.
public protocol Worker: Sendable {
    var manifest: WorkerManifest { get }
    /// Runs one job. Throw `WorkerFailure` for an expected failure; anything else fails the job as `internal`.
    func run(_ input: JSONValue) async throws -> WorkerOutput
}

/// What one run produced.
public struct WorkerOutput: Sendable, Equatable {
    public var result: ResultEnvelope
    /// Billable events (emails checked, listings delivered) for per-event workers.
    public var events: Int
    public var files: [JobFile]

    public init(result: ResultEnvelope, events: Int = 0, files: [JobFile] = []) {
        self.result = result
        self.events = events
        self.files = files
    }
}

/// A failure a worker reports on purpose: the job ends `failed` with this code and message.
public struct WorkerFailure: Error, Sendable, Equatable {
    public var code: String
    public var message: String
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
