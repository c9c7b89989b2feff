import SeekCore
import SeekStore
import Synchronization

/// Token buckets by name (an API key id, a workspace, or a client address): each name's traffic only ever
/// spends its own bucket. With a shared storage (`RateBucketStore`), keys' and workspaces' buckets live there
/// and every node spends them together: a node leases a tenth of a second's tokens at a time, so that a key's
/// limit holds across nodes at one storage call per lease, not per request.
public final class RateLimiter: Sendable {
    /// Past this many buckets, those full again (idle long enough to refill, each at its own rate) are dropped,
    /// at most once a second: a full bucket and a missing one behave the same.
    private static let pruneAbove = 10_000
    /// Leased tokens not spent by then are dropped, so that a node does not hoard another node's traffic.
    static let leaseLifetime = 1.0

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var nextPrune = -Double.infinity
        var leases: [String: Lease] = [:]
        /// Buckets whose lease is being taken, with the requests waiting for it: a request that finds no lease
        /// waits for the one being taken rather than take one of its own.
        var fetches: [String: [PendingAnswer<SharedStep>]] = [:]
    }

    /// Tokens this node took from a shared bucket and has not spent yet.
    private struct Lease {
        var tokens: Int
        var expiresAt: Double
        /// What the shared bucket held after the lease, for the response's fields.
        var sharedLeft: Double
    }

    private let state = Mutex(State())
    private let clock: @Sendable () -> Double
    private let shared: (any RateBucketStore)?

    /// `clock` counts seconds on a monotonic scale; `shared` holds the buckets of keys and workspaces when nodes
    /// share a storage.
    init(clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds, shared: (any RateBucketStore)? = nil) {
        self.clock = clock
        self.shared = shared
    }

    /// Takes a token from this node's bucket `name`.
    func take(_ name: String, limit: RateLimit) -> TokenBucket.Decision {
        let now = clock()
        return state.withLock { state in
            if state.buckets.count > Self.pruneAbove, now >= state.nextPrune, state.buckets[name] == nil {
                state.buckets = state.buckets.filter { $0.value.fullAt > now }
                state.leases = state.leases.filter { $0.value.expiresAt > now }
                state.nextPrune = now + 1
            }
            return state.buckets[name, default: TokenBucket(limit: limit, now: now)].take(limit: limit, now: now)
        }
    }

    /// Takes a token from the bucket `name` that every node shares, or from this node's when there is no shared
    /// storage or it does not answer (then each node limits alone until it does).
    ///
    /// One lease is taken at a time per bucket. Requests that arrive while it is taken wait for it and share it:
    /// were each to take a lease of its own, 64 requests at once would take 64 tenths of a second's tokens and
    /// empty the bucket of a key far below its limit.
    func takeShared(_ name: String, limit: RateLimit) async -> TokenBucket.Decision {
        guard let shared else { return take(name, limit: limit) }
        while true {
            // A request whose time to wait on the storage runs out before the lease comes limits alone, as when
            // the storage does not answer.
            let step =
                (try? await StoreWaitBudget.wait(orElse: .success(.fetched(nil))) { nextStep(name, limit: limit, waiter: $0) }) ?? .fetched(nil)
            switch step {
            case let .leased(decision):
                return decision
            case .fetch:
                let grant = await fetchLease(name, limit: limit, from: shared)
                guard let grant else { return take(name, limit: limit) }
                return TokenBucket.Decision.shared(
                    allowed: grant.granted > 0,
                    limit: limit,
                    tokensLeft: grant.tokensLeft,
                    leased: max(0, grant.granted - 1)
                )
            case .fetched(nil):
                return take(name, limit: limit)
            case let .fetched(grant?) where grant.granted == 0:
                // Another request's lease came back empty: its refusal is this one's too.
                return TokenBucket.Decision.shared(allowed: false, limit: limit, tokensLeft: grant.tokensLeft, leased: 0)
            case .fetched:
                continue  // take from the lease that came, or wait for the next
            }
        }
    }

    /// Spends a token of this node's lease of `name`, or has this request take the lease, or has it wait for the
    /// lease being taken (then `waiter` gets its answer when the lease comes).
    private func nextStep(_ name: String, limit: RateLimit, waiter: PendingAnswer<SharedStep>) {
        let now = clock()
        let next = state.withLock { state -> SharedStep? in
            if var lease = state.leases[name], lease.expiresAt > now, lease.tokens > 0 {
                lease.tokens -= 1
                state.leases[name] = lease
                return .leased(TokenBucket.Decision.shared(allowed: true, limit: limit, tokensLeft: lease.sharedLeft, leased: lease.tokens))
            }
            if state.fetches[name] != nil {
                state.fetches[name]?.append(waiter)
                return nil
            }
            state.fetches[name] = []
            return .fetch
        }
        if let next { waiter.give(.success(next)) }
    }

    enum SharedStep {
        case leased(TokenBucket.Decision)
        /// This request takes the lease.
        case fetch
        /// The lease another request took came (nil: the storage did not answer).
        case fetched(RateGrant?)
    }

    /// Takes a lease from the shared bucket; the caller keeps its first token, the rest wait in `leases` for the
    /// requests that waited and those that come. Nil when the storage does not answer (then each node limits
    /// alone until it does).
    private func fetchLease(_ name: String, limit: RateLimit, from shared: any RateBucketStore) async -> RateGrant? {
        let grant = try? await shared.takeTokens(name, count: Self.leaseSize(limit), limit: limit)
        let now = clock()
        let waiting = state.withLock { state in
            if let grant, grant.granted > 1 {
                state.leases[name] = Lease(tokens: grant.granted - 1, expiresAt: now + Self.leaseLifetime, sharedLeft: grant.tokensLeft)
            }
            return state.fetches.removeValue(forKey: name) ?? []
        }
        for waiter in waiting { waiter.give(.success(.fetched(grant))) }
        return grant
    }

    /// A tenth of a second's tokens, at most half the burst, at least one.
    static func leaseSize(_ limit: RateLimit) -> Int {
        max(1, min(limit.perSecond / 10, limit.burst / 2))
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
