import Logging
import PostgresNIO
import SeekCore
import Synchronization

extension PostgresStore: RateBucketStore {
    public func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant {
        try await rateTakes.take(RateTake(name: name, wanted: Double(max(0, count)), limit: limit)) { takes in
            try await self.read { db in try await Self.take(takes, on: db, logger: self.logger) }
        }
    }

    /// Takes from several buckets in one statement, in its own commit, on an unlogged table: a bucket is refilled by
    /// the time since its last take and spent in the same row update, so that concurrent nodes queue on the row and
    /// never spend a token twice. A crash loses the table's rows, which is a full bucket again: what a restart of
    /// one node did anyway. `takes` name distinct buckets, in byte order, so that two nodes' statements lock the
    /// rows they share in one order.
    static func take(_ takes: [RateTake], on db: PostgresConnection, logger: Logger) async throws -> [String: RateGrant] {
        let names = takes.map(\.name)
        let wanted = takes.map(\.wanted)
        let rates = takes.map { $0.limit.clamped.rate }
        let bursts = takes.map { $0.limit.clamped.burst }
        let rows = try await db.all(
            """
            WITH now AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS at),
                 w AS (SELECT * FROM unnest(\(names)::text[], \(wanted)::float8[], \(rates)::float8[], \(bursts)::float8[])
                       AS w(name, wanted, rate, burst))
            INSERT INTO rate_buckets AS b (name, tokens, refreshed_at, granted)
            SELECT w.name, w.burst - LEAST(w.wanted, floor(w.burst)), now.at, LEAST(w.wanted, floor(w.burst)) FROM w, now
            ON CONFLICT (name) DO UPDATE SET
                granted = (SELECT LEAST(w.wanted, floor(LEAST(w.burst, b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * w.rate)))
                           FROM w WHERE w.name = b.name),
                tokens = (SELECT LEAST(w.burst, b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * w.rate)
                                 - LEAST(w.wanted, floor(LEAST(w.burst, b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * w.rate)))
                          FROM w WHERE w.name = b.name),
                refreshed_at = GREATEST(b.refreshed_at, EXCLUDED.refreshed_at)
            RETURNING name, granted, tokens
            """,
            logger: logger
        )
        var grants: [String: RateGrant] = [:]
        for row in rows {
            grants[try row.string("name")] = RateGrant(
                granted: Int(try row.cells["granted"].decode(Double.self)),
                tokensLeft: try row.cells["tokens"].decode(Double.self)
            )
        }
        return grants
    }
}

/// One bucket's take, waiting for its statement.
struct RateTake: Sendable {
    var name: String
    var wanted: Double
    var limit: RateLimit
}

/// Takes that wait at one moment share one statement: while one runs, those that come wait for the next. A node
/// leases from many buckets at once when many keys are busy (each key and each workspace is a bucket), and a
/// statement each cost a round trip and a commit apiece (`bench/limiter.py --postgres --keys 200`).
final class RateTakeBatcher: Sendable {
    typealias Run = @Sendable ([RateTake]) async throws -> [String: RateGrant]

    private struct Waiting {
        var take: RateTake
        var answer: PendingAnswer<RateGrant>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = false

        /// The next batch: one take per bucket, in byte order of their names; a second take of a bucket waits
        /// for the next batch, since one statement may change a row only once.
        mutating func next() -> [Waiting] {
            var seen = Set<String>()
            var batch: [Waiting] = []
            var later: [Waiting] = []
            // A take whose caller stopped waiting is not taken: the tokens stay in the bucket.
            for waiting in waiting where !waiting.answer.isAnswered {
                if seen.insert(waiting.take.name).inserted { batch.append(waiting) } else { later.append(waiting) }
            }
            self.waiting = later
            return batch.sorted { $0.take.name.utf8.lexicographicallyPrecedes($1.take.name.utf8) }
        }
    }

    private let state = Mutex(State())
    /// What a caller whose request ran out of time to wait is answered.
    private let tooLate: @Sendable () -> any Error

    init(tooLate: @escaping @Sendable () -> any Error) {
        self.tooLate = tooLate
    }

    func take(_ take: RateTake, run: @escaping Run) async throws -> RateGrant {
        let tooLate = tooLate
        return try await StoreWaitBudget.wait(orElse: .failure(tooLate())) { answer in
            let starts = state.withLock { state -> Bool in
                state.waiting.append(Waiting(take: take, answer: answer))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            // Detached: a statement serves every request waiting, and must not carry the store budget of the first.
            if starts { Task.detached { await self.drain(run) } }
        }
    }

    private func drain(_ run: Run) async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = state.next()
                if batch.isEmpty { state.running = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let grants = try await run(batch.map(\.take))
                for waiting in batch {
                    waiting.answer.give(.success(grants[waiting.take.name] ?? RateGrant(granted: 0, tokensLeft: 0)))
                }
            } catch {
                for waiting in batch { waiting.answer.give(.failure(error)) }
            }
        }
    }
}
