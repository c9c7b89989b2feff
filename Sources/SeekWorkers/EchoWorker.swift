import SeekCore

/// Returns its input as `result.data`. The smallest worker: for trying the API and for benchmarks.
public struct EchoWorker: Worker {
    public init() {}

    public let manifest = WorkerManifest(
        id: "echo",
        name: "Echo",
        description: "Returns its input unchanged as result.data.",
        version: "1.0.0",
        inputSchema: ["type": "object"],
        outputKind: .object,
        pricing: .perRun(1),
        maxDurationSeconds: 10
    )

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        .object(input)
    }
}
