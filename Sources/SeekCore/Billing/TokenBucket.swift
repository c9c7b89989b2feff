/// One API key's (or client address's) bucket. Requests take a token; tokens come back at the
/// limit's rate up to its burst. Times are seconds on a monotonic clock.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updatedAt: Double
    /// When the bucket is full again if nothing takes from it: from then on, dropping it changes nothing.
    public private(set) var fullAt: Double

    /// A full bucket.
    public init(limit: RateLimit, now: Double) {
        tokens = Double(limit.burst)
        updatedAt = now
        fullAt = now
    }

    /// What one request learns from the bucket.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// The bucket's size (`RateLimit-Limit`).
        public var limit: Int
        /// Whole tokens left after this request (`RateLimit-Remaining`).
        public var remaining: Int
        /// Seconds until the bucket is full again (`RateLimit-Reset`).
        public var resetSeconds: Int
        /// For a refused request: whole seconds (≥ 1) after which one token is certainly back (`Retry-After`).
        public var retryAfterSeconds: Int
    }

    /// Takes a token if there is one. A limit changed since the last request applies at once.
    public mutating func take(limit: RateLimit, now: Double) -> Decision {
        // Clamped again here: a limit from storage written before the bounds existed cannot trap `Int(burst)`.
        let rate = Double(min(max(RateLimit.bounds.lowerBound, limit.perSecond), RateLimit.bounds.upperBound))
        let burst = Double(min(max(RateLimit.bounds.lowerBound, limit.burst), RateLimit.bounds.upperBound))
        tokens = min(burst, tokens + max(0, now - updatedAt) * rate)
        updatedAt = now
        let allowed = tokens >= 1
        if allowed { tokens -= 1 }
        fullAt = now + (burst - tokens) / rate
        // Rounded up, so that a client that waits this long finds what was promised.
        let reset = Int(((burst - tokens) / rate).rounded(.up))
        let retryAfter = allowed ? 0 : max(1, Int(((1 - tokens) / rate).rounded(.up)))
        return Decision(allowed: allowed, limit: Int(burst), remaining: Int(tokens), resetSeconds: reset, retryAfterSeconds: retryAfter)
    }
}
