import SeekCore

/// Waits `ms` milliseconds, then reports how long it slept: for trying deadlines, cancellation and load.
public struct SleepWorker: Worker {
    public static let maxMilliseconds: Int64 = 300_000

    public init() {}

    public let manifest = WorkerManifest(
        id: "sleep",
        name: "Sleep",
        description: "Waits for the given number of milliseconds, then completes.",
        version: "1.0.0",
        inputSchema: [
            "type": "object",
            "properties": ["ms": ["type": "integer", "minimum": 0, "maximum": .integer(SleepWorker.maxMilliseconds)]],
            "required": ["ms"],
            "additionalProperties": false,
        ],
        outputKind: .object,
        pricing: .perRun(1),
        maxDurationSeconds: 300
    )

    public func run(_ input: JSONValue, context: WorkerContext) async throws -> ResultEnvelope {
        let milliseconds = input["ms"]?.integerValue ?? 0
        context.log("Sleeping for \(milliseconds) ms")
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .object(["slept_ms": .integer(milliseconds)])
    }
}
