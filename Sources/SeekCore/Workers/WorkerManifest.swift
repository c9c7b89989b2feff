/// What the marketplace says of a worker: who it is, what it takes, what it returns, what it costs.
public struct WorkerManifest: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var version: String
    public var inputSchema: JSONValue
    public var outputKind: ResultEnvelope.Kind
    public var pricing: Pricing
    public var maxDurationSeconds: Int

    public init(
        id: String,
        name: String,
        description: String,
        version: String,
        inputSchema: JSONValue,
        outputKind: ResultEnvelope.Kind,
        pricing: Pricing,
        maxDurationSeconds: Int
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.version = version
        self.inputSchema = inputSchema
        self.outputKind = outputKind
        self.pricing = pricing
        self.maxDurationSeconds = maxDurationSeconds
    }
}
