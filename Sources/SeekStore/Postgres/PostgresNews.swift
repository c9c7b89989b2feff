import Foundation
import Logging
import PostgresNIO
import SeekCore
import Synchronization

/// News between nodes over PostgreSQL's LISTEN/NOTIFY, on the channel `seek_news`. Notifications are sent after
/// the commits they tell of, outside them, on one connection and coalesced: a NOTIFY inside a transaction would
/// take PostgreSQL's notification lock at every commit and serialize the commits of all nodes. News is a hint
/// (a runner claims from the table, a waiter reads the job), so one lost with a connection costs a poll, no job.
final class PostgresNews: Sendable {
    static let channel = "seek_news"
    /// Job ids per notification: a payload stays under PostgreSQL's 8,000 bytes.
    static let idsPerNotification = 200

    private struct Pending {
        var queued: Set<String> = []
        var queuedUnknown = false
        var ended: [String] = []
        var sending = false

        var isEmpty: Bool { queued.isEmpty && !queuedUnknown && ended.isEmpty }
    }

    private let pool: PostgresPool
    private let logger: Logger
    private let pending = Mutex(Pending())

    init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Tells the other nodes, soon after this commit; what piles up while a send runs goes out in the next.
    func announce(_ news: StoreNews) {
        let start = pending.withLock { state -> Bool in
            switch news {
            case let .queued(workerID?): state.queued.insert(workerID)
            case .queued(nil): state.queuedUnknown = true
            case let .ended(ids): state.ended += ids
            }
            guard !state.sending else { return false }
            state.sending = true
            return true
        }
        if start { Task { await self.sendPending() } }
    }

    private func sendPending() async {
        while true {
            let batch = pending.withLock { state -> Pending? in
                guard !state.isEmpty else {
                    state.sending = false
                    return nil
                }
                let batch = state
                state = Pending(sending: true)
                return batch
            }
            guard let batch else { return }
            do {
                try await send(Self.payloads(batch))
            } catch {
                logger.warning("News to other nodes was not sent; they find the work at their next poll", metadata: ["error": "\(error)"])
            }
        }
    }

    private static func payloads(_ batch: Pending) -> [String] {
        var payloads = batch.queued.sorted().map { "q:" + $0 }
        if batch.queuedUnknown { payloads.append("q:") }
        var ended = batch.ended[...]
        while !ended.isEmpty {
            payloads.append("e:" + ended.prefix(idsPerNotification).joined(separator: ","))
            ended = ended.dropFirst(idsPerNotification)
        }
        return payloads
    }

    private func send(_ payloads: [String]) async throws {
        let logger = logger
        try await pool.client.withConnection { connection in
            for payload in payloads {
                try await connection.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
            }
        }
    }

    /// What a notification's payload says; nil for one this version does not know.
    static func parse(_ payload: String) -> StoreNews? {
        if payload.hasPrefix("q:") {
            let worker = String(payload.dropFirst(2))
            return .queued(workerID: worker.isEmpty ? nil : worker)
        }
        if payload.hasPrefix("e:") {
            return .ended(jobIDs: payload.dropFirst(2).split(separator: ",").map(String.init))
        }
        return nil
    }

    /// Listens on a connection of its own, reopened a second after it is lost, until the consumer stops.
    func stream() -> AsyncStream<StoreNews> {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreNews.self)
        let logger = logger
        let pool = pool
        let listening = Task {
            while !Task.isCancelled {
                do {
                    try await pool.client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            for try await notification in notifications {
                                if let news = Self.parse(notification.payload) { continuation.yield(news) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("Listening for other nodes' news failed; listening again", metadata: ["error": "\(error)"])
                }
                // A listener that reconnects may have missed news: tell the consumer to look at the queue.
                continuation.yield(.queued(workerID: nil))
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listening.cancel() }
        return stream
    }
}
