import Foundation
import SeekCore
import Synchronization

/// Resolves API keys to identities through a short-lived cache that no revocation outlives: a key
/// revoked through this resolver stops at once, one revoked by another process sharing the storage
/// (an admin command, another node) within `epochCheckInterval`, when the credentials epoch moves.
public final class APIKeyResolver: Sendable {
    private struct State {
        var entries: [String: (identity: APIKeyIdentity, readAt: ContinuousClock.Instant)] = [:]
        /// Moves whenever the cache is cleared, so that a lookup that read before the clear does not put
        /// what it read back.
        var generation: UInt64 = 0

        mutating func forgetAll() {
            entries.removeAll()
            generation &+= 1
        }
    }

    private let store: any WorkspaceStore
    private let state = Mutex(State())
    /// An entry is read again after this long even if nothing moved the epoch.
    let lifetime: Duration
    private let epoch: EpochWatch
    private let now: @Sendable () -> ContinuousClock.Instant

    public init(
        store: any WorkspaceStore,
        lifetime: Duration = .seconds(10),
        epochCheckInterval: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.store = store
        self.lifetime = lifetime
        self.epoch = EpochWatch(interval: epochCheckInterval, now: now) { try await store.credentialsEpoch() }
        self.now = now
    }

    /// The identity of a live key, or nil.
    public func identity(forKey key: String) async throws -> APIKeyIdentity? {
        let hash = Secrets.hashAPIKey(key)
        if try await epoch.moved() { state.withLock { $0.forgetAll() } }
        let now = now()
        let (cached, generation) = state.withLock { state in (state.entries[hash], state.generation) }
        if let cached, now - cached.readAt < lifetime { return cached.identity }
        let identity = try await store.identity(forKeyHash: hash)
        // Unknown keys are not cached: a key another process creates must work at once.
        state.withLock { state in
            guard state.generation == generation else { return }
            if let identity { state.entries[hash] = (identity, now) } else { state.entries.removeValue(forKey: hash) }
        }
        return identity
    }

    /// Revokes a key; once this returns, no lookup in this process accepts it.
    public func revoke(workspaceID: String, keyID: String) async throws -> APIKeyRecord {
        let record = try await store.revokeKey(workspaceID: workspaceID, keyID: keyID)
        // After the commit: a lookup that read the key before it cannot put it back (the generation moved).
        state.withLock { $0.forgetAll() }
        return record
    }
}
