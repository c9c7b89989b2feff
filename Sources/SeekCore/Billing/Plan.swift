/// A plan as data: its limits and how credits reach the workspace. Code asks a plan what it allows;
/// it never branches on a plan's name.
public struct Plan: Sendable, Equatable {
    public var name: String
    /// Each API key's sustained requests per second and burst, unless the workspace sets its own.
    public var rateLimit: RateLimit
    /// Credits granted each calendar month (UTC); unused ones do not roll over.
    public var monthlyGrant: Int
    /// Whether a workspace on this plan may be given a credit line (available credits below zero).
    public var allowsCreditLine: Bool
    /// Whether the workspace may set its own rate limit and concurrency (`seek admin workspace update --rate
    /// --burst --concurrency`).
    public var allowsCustomRateLimit: Bool
    /// The workspace's jobs that may run at once; more wait `queued`, never refused.
    public var concurrency: Int

    /// What a workspace's own concurrency may be.
    public static let concurrencyBounds = 1...10_000
    /// The live API keys a workspace may hold: without a cap, many keys would multiply its per-key rate.
    public var maxKeys: Int
    /// What a workspace's own key cap may be.
    public static let maxKeysBounds = 1...10_000
    /// All of a workspace's keys together get this many times one key's rate and burst.
    public static let workspaceRateMultiplier = 2

    public static let free = Plan(
        name: "free",
        rateLimit: RateLimit(perSecond: 10, burst: 20),
        monthlyGrant: 100,
        allowsCreditLine: false,
        allowsCustomRateLimit: false,
        concurrency: 2,
        maxKeys: 5
    )
    public static let pro = Plan(
        name: "pro",
        rateLimit: RateLimit(perSecond: 50, burst: 100),
        monthlyGrant: 0,
        allowsCreditLine: false,
        allowsCustomRateLimit: false,
        concurrency: 25,
        maxKeys: 50
    )
    /// Enterprise limits are set per workspace; until they are, Pro's apply.
    public static let enterprise = Plan(
        name: "enterprise",
        rateLimit: RateLimit(perSecond: 50, burst: 100),
        monthlyGrant: 0,
        allowsCreditLine: true,
        allowsCustomRateLimit: true,
        concurrency: 25,
        maxKeys: 50
    )

    public static let all: [Plan] = [.free, .pro, .enterprise]

    public static func named(_ name: String) -> Plan? { all.first { $0.name == name } }
}

/// A token bucket's shape: refilled at `perSecond`, holding at most `burst`.
public struct RateLimit: Sendable, Equatable, Hashable {
    /// What a rate or a burst may be: a billion a second is beyond any server (benchmarks use it as "no limit"),
    /// and far below where a Double or an Int conversion could trap.
    public static let bounds = 1...1_000_000_000

    public var perSecond: Int
    public var burst: Int

    public init(perSecond: Int, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// The bucket all of a workspace's keys share, `Plan.workspaceRateMultiplier` times one key's.
    public var workspaceWide: RateLimit {
        let factor = Plan.workspaceRateMultiplier
        return RateLimit(
            perSecond: min(perSecond, Self.bounds.upperBound / factor) * factor,
            burst: min(burst, Self.bounds.upperBound / factor) * factor
        )
    }
}
