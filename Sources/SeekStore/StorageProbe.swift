/// Whether the storage answers at all: what `/healthz` reports, so that a load balancer stops sending a node
/// requests it cannot serve.
public protocol StorageProbe: Sendable {
    /// Returns when the storage answered a trivial query; throws when it cannot be reached.
    func ping() async throws

    /// Whether calls wait on a database across the network, so that each request's calls share one bound
    /// (`StoreWaitBudget`). An embedded database's calls wait only on its own writer, and spend none.
    var waitsOnNetwork: Bool { get }
}

extension StorageProbe {
    public var waitsOnNetwork: Bool { false }
}
