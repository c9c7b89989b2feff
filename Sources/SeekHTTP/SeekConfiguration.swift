import Foundation
import Logging
import SeekCore
import SeekRuntime
import SeekStore

/// Everything `seek serve` can be told, from flags or `SEEK_*` variables.
public struct SeekConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./seek-data"
    /// `postgres://…` switches storage to PostgreSQL.
    public var databaseURL: String?
    public var concurrency = 4 * System.coreCount
    public var creditPrice = CreditPrice()
    public var logLevel = Logger.Level.info
    public var shutdownGrace = Duration.seconds(30)
    public var leaseSeconds = 30.0
    /// See `SQLiteStore.defaultCommitDelay`.
    public var commitDelay = SQLiteStore.defaultCommitDelay
    public var webhooks = WebhookConfiguration()
    /// Per-key token buckets and the per-address limit on requests without a valid key; off only for
    /// benchmarks and trusted networks.
    public var rateLimitsEnabled = true
    /// The wall clock, for calendar months (a seam for tests of the month's turn).
    public var now: @Sendable () -> Date = { Date() }
    /// How webhook hosts are looked up (a seam for tests that play a rebinding DNS server).
    public var hostResolver: any HostResolver = SystemHostResolver()

    public init() {}
}

enum System {
    static var coreCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 4
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
