import Logging
import PostgresNIO
import SeekCore

extension PostgresStore: RateBucketStore {
    /// One statement in its own commit, on an unlogged table: a bucket is refilled by the time since its last
    /// take and spent in the same row update, so that concurrent nodes queue on the row and never spend a token
    /// twice. A crash loses the table's rows, which is a full bucket again: what a restart of one node did anyway.
    public func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant {
        let (rate, burst) = limit.clamped
        let wanted = Double(max(0, count))
        let logger = logger
        return try await read { db in
            let row = try await db.first(
                """
                WITH now AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS at)
                INSERT INTO rate_buckets AS b (name, tokens, refreshed_at, granted)
                SELECT \(name), \(burst) - LEAST(\(wanted), floor(\(burst))), now.at, LEAST(\(wanted), floor(\(burst))) FROM now
                ON CONFLICT (name) DO UPDATE SET
                    granted = LEAST(\(wanted), floor(LEAST(\(burst), b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * \(rate)))),
                    tokens = LEAST(\(burst), b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * \(rate))
                        - LEAST(\(wanted), floor(LEAST(\(burst), b.tokens + GREATEST(0, EXCLUDED.refreshed_at - b.refreshed_at) * \(rate)))),
                    refreshed_at = GREATEST(b.refreshed_at, EXCLUDED.refreshed_at)
                RETURNING granted, tokens
                """,
                logger: logger
            )
            guard let row else { return RateGrant(granted: 0, tokensLeft: 0) }
            return RateGrant(granted: Int(try row.cells["granted"].decode(Double.self)), tokensLeft: try row.cells["tokens"].decode(Double.self))
        }
    }
}
