import GRDB
import Synchronization

/// Runs many callers' writes in one SQLite transaction, so that they share one fsync.
///
/// Each caller's work runs in its own savepoint (one caller's error rolls back only its own
/// changes) and the caller resumes only after the whole transaction has committed: an answer
/// never gets ahead of the disk. While one transaction commits, the next batch gathers.
final class GroupCommitWriter: Sendable {
    private struct Operation: Sendable {
        /// Runs the work; returns how to answer the caller once the commit succeeds.
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Operation] = []
        var flushing = false
    }

    private let pool: DatabasePool
    private let maxBatch: Int
    private let state = Mutex(State())
    private let commits = Atomic<Int>(0)

    /// Transactions committed so far: fewer than writes when callers share commits.
    var commitCount: Int { commits.load(ordering: .relaxed) }

    init(pool: DatabasePool, maxBatch: Int = 1024) {
        self.pool = pool
        self.maxBatch = maxBatch
    }

    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let operation = Operation(
                run: { db in
                    do {
                        var value: T?
                        try db.inSavepoint {
                            value = try work(db)
                            return .commit
                        }
                        let result = value!
                        return { continuation.resume(returning: result) }
                    } catch {
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            enqueue(operation)
        }
    }

    private func enqueue(_ operation: Operation) {
        let startFlushing = state.withLock { state -> Bool in
            state.pending.append(operation)
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        if startFlushing {
            Task.detached { await self.flushUntilEmpty() }
        }
    }

    private func flushUntilEmpty() async {
        while true {
            let batch = state.withLock { state -> [Operation] in
                guard !state.pending.isEmpty else {
                    state.flushing = false
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            do {
                let answers = try await pool.writeWithoutTransaction { db in
                    var answers: [@Sendable () -> Void] = []
                    answers.reserveCapacity(batch.count)
                    // IMMEDIATE: take the write lock up front, so that a concurrent admin process makes us
                    // wait (busy timeout) instead of failing the transaction half-way.
                    try db.inTransaction(.immediate) {
                        answers = batch.map { $0.run(db) }
                        return .commit
                    }
                    return answers
                }
                commits.add(1, ordering: .relaxed)
                answers.forEach { $0() }
            } catch {
                batch.forEach { $0.fail(error) }
            }
        }
    }
}
