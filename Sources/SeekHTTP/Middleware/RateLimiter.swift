import SeekCore
import Synchronization

/// Token buckets by name (an API key id, or a client address): each name's traffic only ever
/// spends its own bucket.
public final class RateLimiter: Sendable {
    /// Past this many buckets, full ones (idle long enough to refill) are dropped: a full bucket and a
    /// missing one behave the same.
    private static let pruneAbove = 10_000

    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let clock: @Sendable () -> Double

    /// `clock` counts seconds on a monotonic scale.
    init(clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.clock = clock
    }

    func take(_ name: String, limit: RateLimit) -> TokenBucket.Decision {
        let now = clock()
        return buckets.withLock { buckets in
            if buckets.count > Self.pruneAbove, buckets[name] == nil {
                buckets = buckets.filter { now - $0.value.updatedAt < Double(limit.burst) / Double(max(1, limit.perSecond)) }
            }
            return buckets[name, default: TokenBucket(limit: limit, now: now)].take(limit: limit, now: now)
        }
    }

    @Sendable public static func monotonicSeconds() -> Double {
        (ContinuousClock.now - start).seconds
    }

    private static let start = ContinuousClock.now
}
