import SeekCore

/// The workers this node can run, each with its input schema compiled once.
public struct WorkerCatalog: Sendable {
    public struct Entry: Sendable {
        public let worker: any Worker
        public let schema: JSONSchema
        public var manifest: WorkerManifest { worker.manifest }
    }

    private let entries: [String: Entry]
    /// Worker ids in listing order (by id), for cursor pagination.
    public let ids: [String]

    /// Fails if two workers share an id or a manifest's schema does not compile.
    public init(_ workers: [any Worker]) throws(SeekError) {
        var entries: [String: Entry] = [:]
        for worker in workers {
            let id = worker.manifest.id
            guard WorkerSlug.isValid(id) else { throw SeekError(.internalServerError, "Worker id \(id) is not a valid slug.") }
            guard entries[id] == nil else { throw SeekError(.internalServerError, "Two workers are named \(id).") }
            entries[id] = Entry(worker: worker, schema: try JSONSchema(worker.manifest.inputSchema))
        }
        self.entries = entries
        self.ids = entries.keys.sorted()
    }

    /// The built-in workers every node runs.
    public static func builtIn() -> WorkerCatalog {
        // The built-ins' schemas are fixed and covered by tests, so failing here is a programming error.
        try! WorkerCatalog([EchoWorker(), SleepWorker()])
    }

    public subscript(id: String) -> Entry? { entries[id] }

    /// Looks a worker up by id, or throws the contract's 404.
    public func entry(_ id: String) throws(SeekError) -> Entry {
        guard let entry = entries[id] else { throw SeekError.notFound("Worker \(id)") }
        return entry
    }

    /// One page of manifests after `cursor` (a worker id), and whether more follow.
    public func page(after cursor: String?, limit: Int) -> (manifests: [WorkerManifest], hasMore: Bool) {
        let remaining = cursor.map { cursor in ids.filter { $0 > cursor } } ?? ids
        let page = remaining.prefix(limit).compactMap { entries[$0]?.manifest }
        return (page, remaining.count > limit)
    }
}
