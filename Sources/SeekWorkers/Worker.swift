import SeekCore

/// A program that takes JSON and returns a result. Workers never touch the store: the runtime hands
/// them their input and a context, collects what they return and report, and cancels them at their
/// deadline.
public protocol Worker: Sendable {
    var manifest: WorkerManifest { get }
    /// Runs one job. Throw `WorkerFailure` for an expected failure; anything else fails the job as
    /// `worker_error`.
    func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope
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
