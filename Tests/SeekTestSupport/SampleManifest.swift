import SeekCore

extension WorkerManifest {
    /// A per-run manifest of `id`, for tests.
    public static func sample(_ id: String = "sample", version: String = "1.0.0", credits: Int = 10) -> WorkerManifest {
        WorkerManifest(
            id: id,
            name: "Sample",
            description: "",
            version: version,
            inputSchema: ["type": "object"],
            outputKind: .object,
            pricing: .perRun(credits),
            maxDurationSeconds: 30
        )
    }
}
