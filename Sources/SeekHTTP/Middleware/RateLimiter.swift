import SeekCore
import Synchronization

/// Token buckets by name (an API key id, or a client address): each name's traffic only ever
/// spends its own bucket.
public final class RateLimiter: Sendable {
    /// Past this many buckets, those full again (idle long enough to refill, each at its own rate) are dropped,
    /// at most once a second: a full bucket and a missing one behave the same.
    private static let pruneAbove = 10_000

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var nextPrune = -Double.infinity
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Double

    /// `clock` counts seconds on a monotonic scale.
    init(clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.clock = clock
    }

    func take(_ name: String, limit: RateLimit) -> TokenBucket.Decision {
        let now = clock()
        return state.withLock { state in
            if state.buckets.count > Self.pruneAbove, now >= state.nextPrune, state.buckets[name] == nil {
                state.buckets = state.buckets.filter { $0.value.fullAt > now }
                state.nextPrune = now + 1
            }
            return state.buckets[name, default: TokenBucket(limit: limit, now: now)].take(limit: limit, now: now)
        }
    }

    /// Whether `take` would allow a request now, without spending a token.
    func wouldAllow(_ name: String, limit: RateLimit) -> Bool {
        let now = clock()
        return state.withLock { state in
            guard var bucket = state.buckets[name] else { return true }
            return bucket.take(limit: limit, now: now).allowed
        }
    }

    /// How many buckets are kept (for tests of pruning).
    var count: Int { state.withLock { $0.buckets.count } }

    @Sendable public static func monotonicSeconds() -> Double {
        (ContinuousClock.now - start).seconds
    }

    private static let start = ContinuousClock.now
}
