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
        let (rate, burst) = limit.clamped
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

extension TokenBucket.Decision {
    /// What a request learns from a bucket that many nodes share: it holds `tokensLeft`, and this node holds
    /// `leased` more that it took earlier.
    public static func shared(allowed: Bool, limit: RateLimit, tokensLeft: Double, leased: Int) -> Self {
        let (rate, burst) = limit.clamped
        let remaining = min(Int(burst), Int(max(0, tokensLeft)) + leased)
        return Self(
            allowed: allowed,
            limit: Int(burst),
            remaining: remaining,
            resetSeconds: Int(((burst - Double(remaining)) / rate).rounded(.up)),
            retryAfterSeconds: allowed ? 0 : max(1, Int(((1 - tokensLeft) / rate).rounded(.up)))
        )
    }
}

extension RateLimit {
    /// Rate and burst within `bounds`: a limit from storage written before the bounds existed cannot trap an
    /// `Int` conversion.
    public var clamped: (rate: Double, burst: Double) {
        (
            Double(min(max(Self.bounds.lowerBound, perSecond), Self.bounds.upperBound)),
            Double(min(max(Self.bounds.lowerBound, burst), Self.bounds.upperBound))
        )
    }
}
