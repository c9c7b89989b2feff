import Foundation
import Logging
import SeekCore

/// What the HTTP layer is told: where to listen and how to answer. Storage and the runtime are chosen
/// and built before it (`seek serve`), and handed to `buildApplication`.
public struct SeekConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var creditPrice = CreditPrice()
    public var logLevel = Logger.Level.info
    /// Per-key token buckets and the per-address limit on requests without a valid key; off only for
    /// benchmarks and trusted networks.
    public var rateLimitsEnabled = true
    /// Seconds on a monotonic scale, for the token buckets (a seam for tests that must not see tokens refill).
    public var rateLimitClock: @Sendable () -> Double = RateLimiter.monotonicSeconds
    /// The wall clock, for calendar months (a seam for tests of the month's turn).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}
