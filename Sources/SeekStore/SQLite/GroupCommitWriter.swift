import Foundation
import GRDB
import Synchronization

/// Runs many callers' writes in one SQLite transaction, so that they share one fsync.
///
/// One caller's error never undoes another's changes, and the caller resumes only after the whole
/// transaction has committed: an answer never gets ahead of the disk. While one transaction commits, the
/// next batch gathers. Most writes succeed, so a batch first runs bare; if a write fails, that attempt is
/// rolled back and the batch runs again with each write in a savepoint of its own.
///
/// The writer is the one serial resource of the store, so it runs on a thread of its own rather
/// than on Swift's cooperative pool, where each commit would wait its turn behind request handling.
final class GroupCommitWriter: Sendable {
    private struct Operation: Sendable {
        /// Runs the work, in a savepoint of its own or bare; returns how to answer the caller once the commit
        /// succeeds, or nil when a bare run failed (its batch then runs again, isolated).
        let run: @Sendable (Database, _ isolated: Bool) -> (@Sendable () -> Void)?
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Operation] = []
        var closed = false
    }

    private let pool: DatabasePool
    private let maxBatch: Int
    /// Like PostgreSQL's commit_delay: when the last commit was moments ago (so more work is likely on
    /// its way) and the batch is still small, wait this long for it to fill. A lone write never waits.
    private let commitDelay: TimeInterval
    private let commitSiblings: Int
    // NSCondition is documented thread-safe; it guards `state`'s hand-over between callers and the thread.
    private nonisolated(unsafe) let wakeup = NSCondition()
    private let state = Mutex(State())
    private let commits = Atomic<Int>(0)

    /// Transactions committed so far: fewer than writes when callers share commits.
    var commitCount: Int { commits.load(ordering: .relaxed) }

    init(pool: DatabasePool, commitDelay: TimeInterval, maxBatch: Int = 1024, commitSiblings: Int = 64) {
        self.pool = pool
        self.maxBatch = maxBatch
        self.commitDelay = commitDelay
        self.commitSiblings = commitSiblings
        let thread = Thread { [self] in self.flushForever() }
        thread.name = "seek-sqlite-writer"
        thread.start()
    }

    /// Lets the writer thread end once pending work is done.
    func close() {
        wakeup.lock()
        state.withLock { $0.closed = true }
        wakeup.signal()
        wakeup.unlock()
    }

    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let operation = Operation(
                run: { db, isolated in
                    do {
                        let value = isolated ? try Self.inSavepoint(db) { try work(db) } : try work(db)
                        return { continuation.resume(returning: value) }
                    } catch {
                        guard isolated else { return nil }
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            wakeup.lock()
            state.withLock { $0.pending.append(operation) }
            wakeup.signal()
            wakeup.unlock()
        }
    }

    /// GRDB's savepoints prepare their SQL on every call; these statements are prepared once.
    private static func inSavepoint<T>(_ db: Database, _ work: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT op").execute()
        do {
            let value = try work()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
            return value
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT op").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT op").execute()
            throw error
        }
    }

    private func flushForever() {
        var lastCommit = Date.distantPast
        while let batch = nextBatch(lastCommit: lastCommit) {
            lastCommit = Date()
            do {
                let answers = try pool.writeWithoutTransaction { db in
                    try Self.commit(batch, isolated: false, in: db) ?? Self.commit(batch, isolated: true, in: db) ?? []
                }
                commits.add(1, ordering: .relaxed)
                for answer in answers { answer() }
            } catch {
                for operation in batch { operation.fail(error) }
            }
        }
    }

    /// Runs a batch in one transaction and commits it; nil (and nothing committed) if a bare run failed.
    private static func commit(_ batch: [Operation], isolated: Bool, in db: Database) throws -> [@Sendable () -> Void]? {
        var answers: [@Sendable () -> Void] = []
        answers.reserveCapacity(batch.count)
        // IMMEDIATE: take the write lock up front, so that a concurrent admin process makes us wait (busy
        // timeout) instead of failing the transaction half-way.
        try db.inTransaction(.immediate) {
            for operation in batch {
                guard let answer = operation.run(db, isolated) else { return .rollback }
                answers.append(answer)
            }
            return .commit
        }
        return answers.count == batch.count ? answers : nil
    }

    /// Blocks until there is work; nil once closed and drained.
    private func nextBatch(lastCommit: Date) -> [Operation]? {
        wakeup.lock()
        defer { wakeup.unlock() }
        let busy = Date().timeIntervalSince(lastCommit) < commitDelay
        if busy, commitDelay > 0 {
            let deadline = Date().addingTimeInterval(commitDelay)
            while state.withLock({ $0.pending.count < commitSiblings && !$0.closed }), wakeup.wait(until: deadline) {}
        }
        while true {
            let (batch, closed) = state.withLock { state -> ([Operation], Bool) in
                guard state.pending.count > maxBatch else {
                    defer { state.pending = [] }
                    return (state.pending, state.closed)
                }
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(maxBatch)
                return (batch, state.closed)
            }
            if !batch.isEmpty { return batch }
            if closed { return nil }
            wakeup.wait()
        }
    }
}
