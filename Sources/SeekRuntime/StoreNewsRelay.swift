import Logging
import SeekStore
import ServiceLifecycle

/// Hands the news of other nodes sharing the storage (PostgreSQL's LISTEN/NOTIFY) to this node's front door, so
/// that an idle runner starts a job submitted on another node at once and a `Prefer: wait` answers when another
/// node's runner finishes the job.
public struct StoreNewsRelay: Service {
    let source: any StoreNewsSource
    let queue: JobQueue

    public init(source: any StoreNewsSource, queue: JobQueue) {
        self.source = source
        self.queue = queue
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            for await news in source.news() { queue.relay(news) }
        }
    }
}
