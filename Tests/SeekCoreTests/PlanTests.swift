import Foundation
import Testing

@testable import SeekCore

@Suite("Token buckets")
struct TokenBucketTests {
    let limit = RateLimit(perSecond: 10, burst: 20)

    @Test("a full bucket allows the burst, then refuses, with a Retry-After that is true")
    func burstThenRefuse() {
        var bucket = TokenBucket(limit: limit, now: 0)
        let decisions = (0..<25).map { _ in bucket.take(limit: limit, now: 0) }
        #expect(decisions.filter(\.allowed).count == 20)
        #expect(decisions[19].remaining == 0)
        #expect(decisions[0].remaining == 19 && decisions[0].limit == 20)
        let refused = decisions[20]
        #expect(!refused.allowed && refused.retryAfterSeconds == 1)
        #expect(refused.resetSeconds == 2, "20 tokens at 10 per second")
        // Waiting exactly Retry-After seconds is enough.
        #expect(bucket.take(limit: limit, now: Double(refused.retryAfterSeconds)).allowed)
    }

    @Test("tokens come back at the rate, never beyond the burst")
    func refill() {
        var bucket = TokenBucket(limit: limit, now: 0)
        for _ in 0..<20 { _ = bucket.take(limit: limit, now: 0) }
        #expect(bucket.take(limit: limit, now: 0.5).remaining == 4, "5 tokens back after 0.5 s, one taken")
        #expect(bucket.take(limit: limit, now: 1000).remaining == 19, "capped at the burst")
    }

    @Test("Retry-After is at least one second, however fast the rate")
    func retryAfterFloor() {
        let fast = RateLimit(perSecond: 1000, burst: 1)
        var bucket = TokenBucket(limit: fast, now: 0)
        _ = bucket.take(limit: fast, now: 0)
        #expect(bucket.take(limit: fast, now: 0).retryAfterSeconds == 1)
    }

    @Test("a sustained rate of 4× the limit gets burst + rate × time through")
    func sustained() {
        var bucket = TokenBucket(limit: limit, now: 0)
        let allowed = (0..<400).filter { bucket.take(limit: limit, now: Double($0) / 40).allowed }.count
        #expect((114...126).contains(allowed), "\(allowed)")
    }
}

@Suite("Plans and credits over time")
struct PlanTests {
    @Test("plans are data: limits, grants and allowances")
    func plans() {
        #expect(Plan.named("free")?.rateLimit == RateLimit(perSecond: 10, burst: 20))
        #expect(Plan.named("pro")?.rateLimit == RateLimit(perSecond: 50, burst: 100))
        #expect(Plan.free.monthlyGrant == 100 && Plan.pro.monthlyGrant == 0)
        #expect(Plan.enterprise.allowsCreditLine && !Plan.pro.allowsCreditLine)
        #expect(Plan.named("gold") == nil)
    }

    @Test("a month opens by expiring the unused rest of the last grant, then granting")
    func monthlyGrant() {
        let entries = MonthlyGrant.entries(plan: .free, balance: CreditBalance(balance: 130, reserved: 0), lastGrant: 100)
        #expect(entries.map(\.0) == [.expire, .grant] && entries.map(\.1) == [100, 100])
        let spent = MonthlyGrant.entries(plan: .free, balance: CreditBalance(balance: 40, reserved: 15), lastGrant: 100)
        #expect(spent.map(\.1) == [25, 100], "credits reserved by running jobs do not expire")
        #expect(MonthlyGrant.entries(plan: .free, balance: CreditBalance(balance: 0, reserved: 0), lastGrant: 100).map(\.0) == [.grant])
        #expect(
            MonthlyGrant.entries(plan: .pro, balance: CreditBalance(balance: 500, reserved: 0), lastGrant: 500).isEmpty,
            "pay-as-you-go credits never expire"
        )
    }

    @Test("a credit line lets available credits go down to −N, never further; settling always works")
    func creditLine() throws {
        let empty = CreditBalance(balance: 0, reserved: 0)
        #expect(throws: SeekError.self) { try empty.applying(.reserve, 1) }
        let reserved = try empty.applying(.reserve, 5, creditLine: 5)
        #expect(reserved.available == -5)
        #expect(throws: SeekError.self) { try reserved.applying(.reserve, 1, creditLine: 5) }
        // A charge settles even after the line was lowered: it does not change what is available.
        #expect(try reserved.applying(.charge, 5) == CreditBalance(balance: -5, reserved: 0))
        #expect(try reserved.applying(.release, 5) == empty)
    }

    @Test("read keys may only GET")
    func scopes() {
        #expect(KeyScope.read.permits(method: "GET") && KeyScope.read.permits(method: "HEAD"))
        #expect(!KeyScope.read.permits(method: "POST") && !KeyScope.read.permits(method: "DELETE"))
        #expect(KeyScope.full.permits(method: "DELETE"))
    }

    @Test("months parse, order and roll over in UTC")
    func months() {
        #expect(UTCMonth(parsing: "2026-12")?.next == UTCMonth(year: 2027, month: 1))
        #expect(UTCMonth(parsing: "2026-13") == nil && UTCMonth(parsing: "26-01") == nil && UTCMonth(parsing: "2026-1") == nil)
        #expect(UTCMonth(Date(timeIntervalSince1970: 1_772_323_199)) == UTCMonth(year: 2026, month: 2), "23:59:59 UTC on Feb 28")
        #expect(UTCMonth(Date(timeIntervalSince1970: 1_772_323_200)) == UTCMonth(year: 2026, month: 3))
        #expect(UTCMonth(year: 2026, month: 3).start == Date(timeIntervalSince1970: 1_772_323_200))
    }

    @Test("filters take RFC 3339 times or dates")
    func timestamps() {
        #expect(Timestamp.parse("2026-03-01") == Date(timeIntervalSince1970: 1_772_323_200))
        #expect(Timestamp.parse("2026-03-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_772_323_200))
        #expect(Timestamp.parse("2026-03-01T00:00:00.500Z") == Date(timeIntervalSince1970: 1_772_323_200.5))
        #expect(Timestamp.parse("yesterday") == nil && Timestamp.parse("2026-02-30") == nil)
    }
}

@Suite("Numbers bounded at the edge")
struct NumberBoundsTests {
    @Test func aHugeBurstIsRefusedAtTheEdgeAndCannotTrapTheBucket() throws {
        let enterprise = Workspace(
            id: "ws_x",
            name: "big",
            plan: .enterprise,
            credits: CreditBalance(balance: 0, reserved: 0),
            customRateLimit: nil,
            creditLine: 0,
            createdAt: Date()
        )
        #expect(throws: SeekError.self) { try enterprise.applying(WorkspaceChange(rateLimit: RateLimit(perSecond: 10, burst: Int.max))) }
        #expect(throws: SeekError.self) { try enterprise.applying(WorkspaceChange(rateLimit: RateLimit(perSecond: 1 << 62, burst: 10))) }
        #expect(throws: SeekError.self) { try enterprise.applying(WorkspaceChange(creditLine: Int.max)) }
        #expect(throws: SeekError.self) { try enterprise.applying(WorkspaceChange(maxKeys: 0)) }
        #expect(try enterprise.applying(WorkspaceChange(maxKeys: 3)).maxKeys == 3)
        #expect(enterprise.maxKeys == Plan.enterprise.maxKeys, "the plan's cap until one is set")
        var pro = enterprise
        pro.plan = .pro
        #expect(throws: SeekError.self) { try pro.applying(WorkspaceChange(maxKeys: 3)) }
        #expect(try enterprise.applying(WorkspaceChange(rateLimit: RateLimit(perSecond: 1_000_000, burst: 1_000_000))).rateLimit.burst == 1_000_000)
        // A limit written before the bounds existed is clamped, not trapped on.
        var bucket = TokenBucket(limit: RateLimit(perSecond: Int.max, burst: Int.max), now: 0)
        let decision = bucket.take(limit: RateLimit(perSecond: Int.max, burst: Int.max), now: 1e12)
        #expect(decision.allowed && decision.limit == RateLimit.bounds.upperBound)
    }

    @Test func theLedgerRefusesToOverflowInsteadOfTrapping() throws {
        let full = CreditBalance(balance: Int.max - 5, reserved: 0)
        #expect(throws: SeekError.self) { try full.applying(.topup, 10) }
        #expect(try full.applying(.topup, 5).balance == Int.max)
        #expect(throws: SeekError.self) { try CreditAddition.validate(type: .topup, amount: Int.max) }
        #expect(throws: SeekError.self) { try NewWorkspace(name: "x", plan: .free, startingCredits: Int.max).validated() }
        #expect(throws: SeekError.self) { try NewWorkspace(name: "a" + String(repeating: "\u{301}", count: 200), plan: .free).validated() }
    }

    @Test func anErrorListsAHundredDetailsAndSaysHowManyThereWere() {
        let details = (0..<250).map { SeekError.Detail(path: "/items/\($0)", message: "must be a string") }
        let error = SeekError(.unprocessableEntity, "The input does not match.", details: details)
        #expect(error.details.count == 100 && error.details.last?.path == "/items/99")
        #expect(error.message.contains("100 of 250"))
    }
}
