import SeekCore
import Synchronization

/// The workers a node knows, each with its input schema compiled once. Built-in workers are registered
/// at start; published workers join and leave while the node runs.
public final class WorkerRegistry: Sendable {
    public struct Entry: Sendable {
        public let worker: any Worker
        public let schema: JSONSchema
        public var manifest: WorkerManifest { worker.manifest }
    }

    /// Entries by id, and the ids in listing order (by id) for cursor pagination.
    private let state = Mutex<(entries: [String: Entry], ids: [String])>(([:], []))

    /// Fails if two workers share an id, an id is not a slug, or a manifest's schema does not compile.
    public init(_ workers: [any Worker] = []) throws(SeekError) {
        for worker in workers { try register(worker) }
    }

    /// The built-in workers every node runs, and `others` (the seed's workers, each in its own target so that
    /// only the executable links their libraries).
    public static func builtIn(adding others: [any Worker] = []) throws(SeekError) -> WorkerRegistry {
        try WorkerRegistry([EchoWorker(), SleepWorker()] + others)
    }

    public func register(_ worker: any Worker) throws(SeekError) {
        let id = worker.manifest.id
        guard WorkerSlug.isValid(id) else { throw SeekError(.unprocessableEntity, "Worker id \(id) is not a valid slug.") }
        let entry = Entry(worker: worker, schema: try JSONSchema(worker.manifest.inputSchema))
        try state.withLock { state throws(SeekError) in
            guard state.entries[id] == nil else { throw SeekError(.conflict, "A worker named \(id) already exists.") }
            state.entries[id] = entry
            state.ids.insert(id, at: state.ids.firstIndex { $0 > id } ?? state.ids.endIndex)
        }
    }

    public func remove(_ id: String) {
        state.withLock { state in
            guard state.entries.removeValue(forKey: id) != nil else { return }
            state.ids.removeAll { $0 == id }
        }
    }

    /// Every worker id, in listing order.
    public var ids: [String] { state.withLock { $0.ids } }

    public subscript(id: String) -> Entry? { state.withLock { $0.entries[id] } }

    /// Looks a worker up by id, or throws the contract's 404.
    public func entry(_ id: String) throws(SeekError) -> Entry {
        guard let entry = self[id] else { throw SeekError.notFound("Worker \(id)") }
        return entry
    }

    /// One page of manifests after `cursor` (a worker id), and whether more follow.
    public func page(after cursor: String?, limit: Int) -> (manifests: [WorkerManifest], hasMore: Bool) {
        state.withLock { state in
            let remaining = cursor.map { cursor in state.ids.filter { $0 > cursor } } ?? state.ids
            return (remaining.prefix(limit).compactMap { state.entries[$0]?.manifest }, remaining.count > limit)
        }
    }
}
