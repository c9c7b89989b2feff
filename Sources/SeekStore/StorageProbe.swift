/// Whether the storage answers at all: what `/healthz` reports, so that a load balancer stops sending a node
/// requests it cannot serve.
public protocol StorageProbe: Sendable {
    /// Returns when the storage answered a trivial query; throws when it cannot be reached.
    func ping() async throws
}
