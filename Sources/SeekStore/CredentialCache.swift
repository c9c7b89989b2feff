import Foundation
import SeekCore
import Synchronization

/// Resolves secrets (API keys, runner tokens) by hash to identities through a short-lived cache that no
/// revocation outlives: one revoked through `forgetAll` stops at once, one revoked by another process sharing
/// the storage (an admin command, another node) within the epoch's interval, when the credentials epoch moves.
public final class CredentialCache<Identity: Sendable>: Sendable {
    private struct State {
        var entries: [String: (identity: Identity, readAt: ContinuousClock.Instant)] = [:]
        /// Moves whenever the cache is cleared, so that a lookup that read before the clear does not put
        /// what it read back.
        var generation: UInt64 = 0
        /// Lookups that went to storage.
        var reads = 0

        mutating func forgetAll() {
            entries.removeAll()
            generation &+= 1
        }
    }

    private let state = Mutex(State())
    /// An entry is read again after this long even if nothing moved the epoch.
    let lifetime: Duration
    private let epoch: EpochWatch
    private let now: @Sendable () -> ContinuousClock.Instant
    private let read: @Sendable (String) async throws -> Identity?

    /// `read` looks a hash up in `store`, whose credentials epoch moves with every revocation.
    public init(
        store: any WorkspaceStore,
        lifetime: Duration = .seconds(10),
        epochCheckInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        read: @escaping @Sendable (String) async throws -> Identity?
    ) {
        self.lifetime = lifetime
        epoch = EpochWatch(interval: epochCheckInterval, now: now) { try await store.credentialsEpoch() }
        self.now = now
        self.read = read
    }

    /// The identity of a live secret with this hash, or nil.
    public func identity(forHash hash: String) async throws -> Identity? {
        if try await epoch.moved() { forgetAll() }
        let now = now()
        let (cached, generation) = state.withLock { state in
            let entry = state.entries[hash].flatMap { now - $0.readAt < lifetime ? $0 : nil }
            if entry == nil { state.reads += 1 }
            return (entry, state.generation)
        }
        if let cached { return cached.identity }
        let identity = try await read(hash)
        // Unknown secrets are not cached: one another process creates must work at once.
        state.withLock { state in
            guard state.generation == generation else { return }
            if let identity { state.entries[hash] = (identity, now) } else { state.entries.removeValue(forKey: hash) }
        }
        return identity
    }

    /// How many lookups went to storage.
    public var storageReads: Int { state.withLock { $0.reads } }

    /// After a revocation has committed: a lookup that read the secret before it cannot put it back.
    public func forgetAll() {
        state.withLock { $0.forgetAll() }
    }
}

/// API keys, cached, with a filter that knows which hashes are certainly not keys.
public final class APIKeyResolver: Sendable {
    private let store: any WorkspaceStore
    private let cache: CredentialCache<APIKeyIdentity>
    private let filter: KeyHashFilter

    public init(store: any WorkspaceStore, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.store = store
        filter = KeyHashFilter(store: store, now: now)
        cache = CredentialCache(store: store, now: now) { hash in try await store.identity(forKeyHash: hash) }
    }

    /// The identity of a live key, or nil.
    public func identity(forKey key: String) async throws -> APIKeyIdentity? {
        try await cache.identity(forHash: Secrets.hashAPIKey(key))
    }

    /// Whether `key` may be a key, without reading it from storage: false means it certainly is not one.
    public func mightExist(_ key: String) async -> Bool {
        await filter.mightContain(Secrets.hashAPIKey(key))
    }

    /// How many lookups went to storage (the cache missed).
    public var storageReads: Int { cache.storageReads }

    /// Revokes a key; once this returns, no lookup in this process accepts it.
    public func revoke(workspaceID: String, keyID: String) async throws -> APIKeyRecord {
        let record = try await store.revokeKey(workspaceID: workspaceID, keyID: keyID)
        cache.forgetAll()
        return record
    }
}

/// Runner tokens, cached: every runner API call presents one.
public final class RunnerTokenResolver: Sendable {
    private let store: any WorkerStore
    private let cache: CredentialCache<RunnerIdentity>

    public init(store: any WorkerStore & WorkspaceStore, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.store = store
        cache = CredentialCache(store: store, now: now) { hash in try await store.runnerIdentity(forTokenHash: hash) }
    }

    /// The runner behind a live token, or nil.
    public func identity(forToken token: String) async throws -> RunnerIdentity? {
        guard token.hasPrefix("srt_"), token.utf8.count <= 100 else { return nil }
        return try await cache.identity(forHash: Secrets.hashAPIKey(token))
    }

    /// Revokes a token; once this returns, no call in this process is accepted with it.
    public func revoke(workerID: String, owner: String, tokenID: String) async throws -> RunnerTokenRecord {
        let record = try await store.revokeRunnerToken(workerID: workerID, owner: owner, tokenID: tokenID)
        cache.forgetAll()
        return record
    }
}
