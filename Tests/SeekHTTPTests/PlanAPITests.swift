import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SeekCore
import SeekStore
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekHTTP

/// A wall clock the test moves.
final class TestClock: Sendable {
    private let date: Mutex<Date>
    init(_ date: Date) { self.date = Mutex(date) }
    func set(_ new: Date) { date.withLock { $0 = new } }
    var now: Date { date.withLock { $0 } }
}

@Suite("Rate limits, key scopes and credits over time, through the API")
struct PlanAPITests {
    @Test("each key has its own bucket: past the burst a key gets 429 with a true Retry-After; other keys do not notice")
    func perKeyBuckets() async throws {
        // Time stands still, so no token trickles back however slowly the requests go.
        let api = try await APIFixture(plan: .free) { $0.rateLimitClock = { 1000 } }
        let other = try await api.another()
        try await api.test { client in
            let second = try #require(try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"second"}"#).json["key"]?.stringValue)
            var statuses: [Int] = []
            var refused: (status: Int, headers: HTTPFields, json: JSONValue)?
            for _ in 0..<25 {
                let response = try await client.call(.get, "/v1/me", key: api.key)
                statuses.append(response.status)
                #expect(response.headers[HTTPField.Name("RateLimit-Limit")!] == "20")
                if response.status == 429, refused == nil { refused = response }
            }
            // One request went to creating the second key.
            #expect(statuses == Array(repeating: 200, count: 19) + Array(repeating: 429, count: 6), "\(statuses)")
            let refusal = try #require(refused)
            #expect(refusal.json.errorCode == "too_many_requests")
            #expect(refusal.headers[.retryAfter] == "1")
            #expect(refusal.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            let fresh = try await client.call(.get, "/v1/me", key: second)
            #expect(fresh.status == 200 && fresh.headers[HTTPField.Name("RateLimit-Remaining")!] == "19", "a new key starts full")
            #expect(try await client.call(.get, "/v1/me", key: other.key).status == 200)
            // Errors carry the fields too (the other workspace is on Pro: 100 a burst).
            let missing = try await client.call(.get, "/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV", key: other.key)
            #expect(missing.status == 404 && missing.headers[HTTPField.Name("RateLimit-Remaining")!].flatMap { Int($0) }.map { $0 < 100 } == true)
        }
    }

    @Test("a workspace's keys share one bucket at twice a key's rate, and a plan caps its keys; the list pages")
    func workspaceBucketAndKeyCap() async throws {
        let api = try await APIFixture(plan: .free) { $0.rateLimitClock = { 1000 } }
        try await api.test { client in
            var keys = [api.key]
            for name in ["b", "c", "d", "e"] {
                let created = try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"\#(name)"}"#)
                keys.append(try #require(created.json["key"]?.stringValue))
            }
            let sixth = try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"f"}"#)
            #expect(sixth.status == 409 && sixth.json.errorCode == "conflict" && sixth.json["message"]?.stringValue?.contains("at most 5") == true)
            let firstPage = try await client.call(.get, "/v1/me/keys?limit=2", key: api.key).json
            #expect(firstPage["data"]?.arrayValue?.count == 2 && firstPage["has_more"] == true)
            let cursor = try #require(firstPage["next_cursor"]?.stringValue)
            let rest = try await client.call(.get, "/v1/me/keys?limit=10&cursor=\(cursor)", key: api.key).json
            #expect(rest["data"]?.arrayValue?.count == 3 && rest["has_more"] == false)
            // The first key spent 7 of the workspace's 40 (four creations, one refused, two lists); the second key
            // spends its own burst of 20, the third the 13 left.
            var statuses: [Int] = []
            for _ in 0..<20 { statuses.append(try await client.call(.get, "/v1/me", key: keys[1]).status) }
            #expect(statuses.allSatisfy { $0 == 200 })
            for _ in 0..<13 { statuses.append(try await client.call(.get, "/v1/me", key: keys[2]).status) }
            #expect(statuses.filter { $0 == 200 }.count == 33, "40 a burst for the whole workspace: \(statuses)")
            let refused = try await client.call(.get, "/v1/me", key: keys[3])
            #expect(refused.status == 429 && refused.json["message"]?.stringValue?.contains("this workspace") == true)
            #expect(refused.headers[.retryAfter] != nil)
        }
    }

    @Test("requests without a valid key are limited per client address")
    func unauthenticatedFlood() async throws {
        // Time stands still, so no token trickles back however slowly a loaded machine sends the requests.
        let api = try await APIFixture { $0.rateLimitClock = { 1000 } }
        try await api.test { client in
            var statuses: [Int] = []
            let readsBefore = api.server.keys.storageReads
            for index in 0..<30 { statuses.append(try await client.call(.get, "/v1/me", key: "sk_live_wrong\(index)").status) }
            #expect(statuses == Array(repeating: 401, count: 20) + Array(repeating: 429, count: 10), "\(statuses)")
            #expect(api.server.keys.storageReads - readsBefore == 20, "past the bucket, a key that is certainly not one costs no read")
            #expect(try await client.call(.get, "/v1/me", key: api.key).status == 200, "a valid key is not held up")
        }
    }

    @Test("rate limits can be turned off")
    func limitsOff() async throws {
        let api = try await APIFixture(plan: .free) { $0.rateLimitsEnabled = false }
        try await api.test { client in
            var statuses: [Int] = []
            for _ in 0..<30 { statuses.append(try await client.call(.get, "/v1/me", key: api.key).status) }
            #expect(statuses.allSatisfy { $0 == 200 })
        }
    }

    @Test("a read key gets 403 on POST and DELETE routes and on the signing secret, and 200 on other GETs")
    func readScope() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let created = try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"dashboard","scope":"read"}"#)
            #expect(created.status == 201 && created.json["scope"] == "read")
            let readKey = try #require(created.json["key"]?.stringValue)
            let keyID = try #require(created.json["id"]?.stringValue)
            for path in ["/v1/me", "/v1/me/credits", "/v1/me/usage", "/v1/me/keys", "/v1/jobs", "/v1/workers", "/v1/workers/echo"] {
                #expect(try await client.call(.get, path, key: readKey).status == 200, "GET \(path)")
            }
            let forbidden: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/v1/workers/echo/jobs", "{}"), (.post, "/v1/me/keys", #"{"name":"x"}"#), (.delete, "/v1/me/keys/\(keyID)", nil),
                (.post, "/v1/me/webhook-secret/rotate", nil), (.delete, "/v1/jobs/job_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil),
            ]
            for (method, path, body) in forbidden {
                let response = try await client.call(method, path, key: readKey, body: body)
                #expect(response.status == 403 && response.json.errorCode == "forbidden", "\(method) \(path)")
            }
            #expect(try await client.call(.get, "/v1/jobs", key: readKey).json["data"]?.arrayValue?.isEmpty == true, "nothing was submitted")
            // The signing secret would let a read key forge webhooks: reading it takes a full key.
            let secret = try await client.call(.get, "/v1/me/webhook-secret", key: readKey)
            #expect(secret.status == 403 && secret.json.errorCode == "forbidden" && secret.json["secret"] == nil)
            #expect(try await client.call(.get, "/v1/me/webhook-secret", key: api.key).status == 200)
            #expect(try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"x","scope":"admin"}"#).status == 400)
        }
    }

    @Test("the month turns on the first request after it: one grant, one expiry, even with concurrent requests")
    func monthRollover() async throws {
        let clock = TestClock(Date())
        let api = try await APIFixture(credits: nil, plan: .free) { configuration in configuration.now = { clock.now } }
        try await api.test { client in
            #expect(try await client.call(.get, "/v1/me", key: api.key).json["credits"]?["balance"] == 100)
            let next = UTCMonth(clock.now).next
            clock.set(next.start)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<15 { group.addTask { try await client.call(.get, "/v1/me/credits", key: api.key).status } }
                for try await status in group { #expect(status == 200) }
            }
            let ledger = try await client.call(.get, "/v1/me/credits?type=grant,expire", key: api.key).json
            #expect(ledger["data"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["grant", "expire", "grant"])
            #expect(ledger["balance"] == 100)
            let (cached, summed) = try await api.fixture.balances(api.workspaceID)
            #expect(cached == summed)
        }
    }

    @Test("usage totals a month's charges per worker and per day; the ledger filters by type and time")
    func usageAndHistory() async throws {
        let api = try await APIFixture()
        try await api.test(runner: true) { client in
            for body in [#"{"a":1}"#, #"{"a":2}"#] {
                let job = try await client.call(
                    .post,
                    "/v1/workers/echo/jobs",
                    key: api.key,
                    body: body,
                    headers: [HTTPField.Name("Prefer")!: "wait=10"]
                )
                #expect(job.json["status"] == "completed")
            }
            let usage = try await client.call(.get, "/v1/me/usage", key: api.key).json
            #expect(usage["credits"] == 2 && usage["jobs"] == 2)
            #expect(usage["by_worker"] == [["worker": "echo", "credits": 2, "jobs": 2]])
            #expect(usage["by_day"]?.arrayValue?.count == 1)
            #expect(try await client.call(.get, "/v1/me/usage?month=2020-01", key: api.key).json["jobs"] == 0)
            #expect(try await client.call(.get, "/v1/me/usage?month=January", key: api.key).status == 400)
            let charges = try await client.call(.get, "/v1/me/credits?type=charge", key: api.key).json["data"]?.arrayValue ?? []
            #expect(charges.count == 2 && charges.allSatisfy { $0["worker"] == "echo" && $0["balance_after"] != nil && $0["job_uuid"] != .null })
            #expect(try await client.call(.get, "/v1/me/credits?from=2999-01-01", key: api.key).json["data"] == [])
            #expect(try await client.call(.get, "/v1/me/credits?to=2000-01-01T00:00:00Z", key: api.key).json["data"] == [])
            #expect(try await client.call(.get, "/v1/me/credits?type=gift", key: api.key).status == 400)
            #expect(try await client.call(.get, "/v1/me/credits?from=soon", key: api.key).status == 400)
        }
    }
}

@Suite("The rate limiter's memory")
struct RateLimiterMemoryTests {
    final class Clock: Sendable {
        private let value = Mutex<Double>(0)
        var now: Double { value.withLock { $0 } }
        func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
    }

    @Test("pruning drops only buckets that are full again by their own rate: a drained slow bucket stays drained")
    func pruneKeepsDrainedBuckets() {
        let clock = Clock()
        let limiter = RateLimiter(clock: { clock.now })
        let slow = RateLimit(perSecond: 1, burst: 2)
        for index in 0..<10_001 {
            _ = limiter.take("slow-\(index)", limit: slow)
            _ = limiter.take("slow-\(index)", limit: slow)
        }
        #expect(!limiter.take("slow-0", limit: slow).allowed)
        clock.advance(0.5)
        // A newcomer with a fast limit starts a prune; the slow buckets have half a token, far from full.
        _ = limiter.take("fast", limit: RateLimit(perSecond: 100, burst: 20))
        #expect(limiter.count > 10_000, "drained buckets were dropped and would come back full")
        #expect(!limiter.take("slow-1", limit: slow).allowed, "a drained bucket stays drained")
        clock.advance(5)
        _ = limiter.take("fast-2", limit: RateLimit(perSecond: 100, burst: 20))
        #expect(limiter.count < 10, "full buckets are dropped once they are full again")
    }
}

@Suite("Rate limits across nodes")
struct SharedRateLimitTests {
    /// Counts the calls that reach the shared buckets.
    final class CountingBuckets: RateBucketStore {
        let inner: any RateBucketStore
        let calls = Atomic<Int>(0)
        init(_ inner: any RateBucketStore) { self.inner = inner }
        func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant {
            calls.add(1, ordering: .relaxed)
            return try await inner.takeTokens(name, count: count, limit: limit)
        }
    }

    @Test("two nodes' limiters on one PostgreSQL allow a key its limit once, not twice", arguments: StoreKind.available.filter { $0 == .postgres })
    func oneLimitForTwoNodes(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let nodes = [
            RateLimiter(shared: try #require(fixture.store as? any RateBucketStore)),
            RateLimiter(shared: try #require(try await fixture.another() as? any RateBucketStore)),
        ]
        let limit = RateLimit(perSecond: 10, burst: 20)
        let started = ContinuousClock.now
        var allowed = 0
        for index in 0..<60 where await nodes[index % 2].takeShared("key_1", limit: limit).allowed { allowed += 1 }
        let refilled = Int(((ContinuousClock.now - started).seconds * 10).rounded(.up))
        #expect(allowed >= 20 && allowed <= 20 + refilled, "allowed \(allowed); alone, each node would allow 20")
        let refused = await nodes[0].takeShared("key_1", limit: RateLimit(perSecond: 1, burst: 20))
        #expect(!refused.allowed && refused.retryAfterSeconds >= 1 && refused.remaining == 0)
    }

    @Test(
        "a node leases a tenth of a second's tokens at a time: a fast key costs a storage call per lease, not per request",
        arguments: StoreKind.available.filter { $0 == .postgres }
    )
    func leasesCutCalls(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let buckets = CountingBuckets(try #require(fixture.store as? any RateBucketStore))
        let limiter = RateLimiter(shared: buckets)
        let limit = RateLimit(perSecond: 1000, burst: 2000)
        #expect(RateLimiter.leaseSize(limit) == 100)
        for _ in 0..<500 { #expect(await limiter.takeShared("key_fast", limit: limit).allowed) }
        #expect(buckets.calls.load(ordering: .relaxed) == 5)
    }

    @Test("requests that arrive at once share one lease: 64 at once under a key's limit are all allowed")
    func simultaneousRequestsShareALease() async throws {
        /// A bucket of 200 tokens that never refills; its calls wait until the test lets them through.
        final class HeldBuckets: RateBucketStore {
            let left = Mutex(200)
            let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
            private let gate = Mutex<(open: Bool, held: [CheckedContinuation<Void, Never>])>((false, []))
            func open() {
                let held = gate.withLock { gate in
                    gate.open = true
                    defer { gate.held = [] }
                    return gate.held
                }
                for call in held { call.resume() }
            }
            func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant {
                arrived.yield()
                await withCheckedContinuation { call in
                    let through = gate.withLock { gate in
                        if !gate.open { gate.held.append(call) }
                        return gate.open
                    }
                    if through { call.resume() }
                }
                return left.withLock { left in
                    let granted = min(count, left)
                    left -= granted
                    return RateGrant(granted: granted, tokensLeft: Double(left))
                }
            }
        }
        let buckets = HeldBuckets()
        let limiter = RateLimiter(shared: buckets)
        // A lease is 10 tokens: 64 leases of their own would take 640 and refuse 44 requests.
        let limit = RateLimit(perSecond: 100, burst: 200)
        #expect(RateLimiter.leaseSize(limit) == 10)
        let (entries, entered) = AsyncStream.makeStream(of: Void.self)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    entered.yield()
                    return await limiter.takeShared("key_burst", limit: limit).allowed
                }
            }
            // Held until every request has come in and the first lease is asked for.
            var count = 0
            for await _ in entries {
                count += 1
                if count == 64 { break }
            }
            for await _ in buckets.arrivals { break }
            buckets.open()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 64)
        #expect(buckets.left.withLock { $0 } >= 200 - 70, "seven leases at most (each lasts a second from its coming)")
    }

    @Test("without shared buckets, or while they do not answer, a node limits alone")
    func fallsBackToItsOwnBuckets() async throws {
        struct Unreachable: RateBucketStore {
            func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant { throw SeekError(.serviceUnavailable, "away") }
        }
        let limit = RateLimit(perSecond: 1, burst: 3)
        for limiter in [RateLimiter(), RateLimiter(shared: Unreachable())] {
            var allowed = 0
            for _ in 0..<10 where await limiter.takeShared("key", limit: limit).allowed { allowed += 1 }
            #expect(allowed == 3)
        }
    }

    @Test("a request whose store budget runs out while another's lease is taken limits alone")
    func waitForALeaseIsBounded() async throws {
        /// A shared bucket whose calls never end until the test lets them.
        final class HeldBuckets: RateBucketStore {
            let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
            let (held, release) = AsyncStream.makeStream(of: Void.self)
            func takeTokens(_ name: String, count: Int, limit: RateLimit) async throws -> RateGrant {
                arrived.yield()
                for await _ in held {}
                return RateGrant(granted: count, tokensLeft: 0)
            }
        }
        let buckets = HeldBuckets()
        let limiter = RateLimiter(shared: buckets)
        let limit = RateLimit(perSecond: 1, burst: 3)
        let first = Task { await limiter.takeShared("key", limit: limit) }
        for await _ in buckets.arrivals { break }
        // The lease this request would share is held until it has its answer (or, should its budget not end its
        // wait, until a rescue after 30 s lets the lease come, and the answer is the shared bucket's).
        let rescuer = rescue { buckets.release.finish() }
        defer { rescuer.cancel() }
        let second = await StoreWaitBudget.$current.withValue(StoreWaitBudget(.milliseconds(200))) {
            await limiter.takeShared("key", limit: limit)
        }
        #expect(second.allowed && second.remaining == 2, "the node's own bucket of 3 answered")
        buckets.release.finish()
        #expect(await first.value.allowed)
    }
}

@Suite("Clients as rate limits count them")
struct ClientNetworkTests {
    @Test func anIPv6HostIsItsSlash64AndAnIPv4HostItsAddress() throws {
        let one = try SocketAddress(ipAddress: "2001:db8:1234:5678::1", port: 443)
        let other = try SocketAddress(ipAddress: "2001:db8:1234:5678:ffff:eeee:dddd:cccc", port: 80)
        #expect(SeekRequestContext.network(of: one) == "2001:db8:1234:5678::/64")
        #expect(SeekRequestContext.network(of: one) == SeekRequestContext.network(of: other), "one /64, one bucket")
        #expect(SeekRequestContext.network(of: try SocketAddress(ipAddress: "2001:db8:1234:5679::1", port: 1)) != SeekRequestContext.network(of: one))
        #expect(SeekRequestContext.network(of: try SocketAddress(ipAddress: "203.0.113.7", port: 1)) == "203.0.113.7")
        #expect(SeekRequestContext.network(of: try SocketAddress(ipAddress: "::1", port: 1)) == "::1")
        #expect(SeekRequestContext.network(of: nil) == "unknown")
    }
}
