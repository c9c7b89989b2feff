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
    /// Signs the temporary URLs of files; `seek serve` uses the key every node shares (`serverSecret`).
    public var fileSigner = FileURLSigner.ephemeral()
    /// The server's public base URL (`https://seek.example.com`), which file URLs start with; without it
    /// they are paths on this server.
    public var publicURL: String?
    /// The largest upload `POST /v1/files` takes.
    public var uploadLimit = 25 << 20
    /// How long a connection may sit without a request in progress before it is closed: this also bounds
    /// how long a client may take to send a request's head (a slow client cannot hold a connection forever).
    public var idleTimeout: Duration = .seconds(60)
    /// Requests that may wait for their jobs at once (`Prefer: wait`); more get 503 with `Retry-After`.
    public var maxWaitingRequests = 1000
    /// Event streams (`GET /v1/jobs/{id}/events`, `GET /v1/events`) one API key may hold open at once; more get 429.
    public var eventStreamsPerKey = 250
    /// Whether the dashboard's sign-in page offers "Sign up" (a new user with a Free workspace).
    public var signUpEnabled = true
    /// Signs the dashboard forms' CSRF tokens; `seek serve` uses the key every node shares (`serverSecret`).
    public var dashboardFormKey: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    /// The wall clock, for calendar months (a seam for tests of the month's turn).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}
