import Foundation
import SeekCore
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekStore

@Suite("Credential cache and revocation")
struct CredentialCacheTests {
    /// A read that waits until the test lets it answer, and counts how often it ran.
    final class SlowRead: Sendable {
        private let state = Mutex<(reads: Int, waiting: [CheckedContinuation<Void, Never>], open: Bool)>((0, [], false))

        var reads: Int { state.withLock { $0.reads } }

        func read(_ hash: String) async -> String? {
            await withCheckedContinuation { continuation in
                let resume = state.withLock { state -> Bool in
                    state.reads += 1
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resume { continuation.resume() }
            }
            return "identity-of-" + hash
        }

        var waitingCount: Int { state.withLock { $0.waiting.count } }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    @Test("a lookup that read a key before its revocation committed cannot put it back in the cache")
    func lookupAcrossRevocation() async throws {
        let fixture = try await StoreFixture()
        let slow = SlowRead()
        let cache = CredentialCache<String>(store: fixture.store, epochCheckInterval: .seconds(3600)) { hash in await slow.read(hash) }
        // A request reads the key's row just before the revocation commits…
        let early = Task { try await cache.identity(forHash: "k") }
        while slow.waitingCount == 0 { await Task.yield() }
        // …the revocation commits and clears the cache…
        cache.forgetAll()
        // …then the early read answers with what it saw before.
        slow.open()
        #expect(try await early.value == "identity-of-k")
        // The next request must read the store again (and, for a revoked key, find nothing), not the early answer.
        _ = try await cache.identity(forHash: "k")
        #expect(slow.reads == 2, "the read that started before the revocation was cached")
        _ = try await cache.identity(forHash: "k")
        #expect(slow.reads == 2, "a read after the revocation is cached as usual")
    }

    @Test("many requests around a revocation: none that starts after it is answered from before it")
    func concurrentRequestsAroundARevocation() async throws {
        let fixture = try await StoreFixture()
        let workspaceID = try await fixture.workspace(credits: 0)
        let created = try await fixture.store.createKey(workspaceID: workspaceID, name: "doomed", scope: .full)
        let resolver = APIKeyResolver(store: fixture.store)
        #expect(try await resolver.identity(forKey: created.key) != nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await resolver.identity(forKey: created.key) } }
            group.addTask { _ = try await resolver.revoke(workspaceID: workspaceID, keyID: created.record.id) }
            try await group.waitForAll()
        }
        for _ in 0..<20 { #expect(try await resolver.identity(forKey: created.key) == nil) }
    }
}

@Suite("Key hash filter")
struct KeyHashFilterTests {
    @Test("every key, revoked or made by another process, is a maybe; a made-up hash is a no")
    func knowsEveryKey() async throws {
        let fixture = try await StoreFixture()
        let clock = HandClock()
        // One word (room for 4 keys) to start with, so the filter has to grow past 20 keys.
        let filter = KeyHashFilter(store: fixture.store, interval: .seconds(1), words: 1) { clock.now }
        var keys: [String] = []
        for _ in 0..<4 {
            let workspaceID = try await fixture.workspace(credits: 0)
            for index in 0..<5 { keys.append(try await fixture.store.createKey(workspaceID: workspaceID, name: "k\(index)", scope: .full).key) }
        }
        for key in keys { #expect(await filter.mightContain(Secrets.hashAPIKey(key)), "a real key is a maybe") }
        let fakes = (0..<1000).map { Secrets.hashAPIKey("sk_live_fake\($0)") }
        var maybes = 0
        for fake in fakes where await filter.mightContain(fake) { maybes += 1 }
        #expect(maybes < 10, "\(maybes) of 1,000 made-up keys were a maybe")

        // A key made by another process after the last look is known once the interval has passed.
        let other = try await fixture.another()
        let workspaceID = try await fixture.workspace(credits: 0)
        let late = try await other.createKey(workspaceID: workspaceID, name: "late", scope: .full).key
        #expect(await filter.mightContain(Secrets.hashAPIKey(late)) == false, "not looked for again within the interval")
        clock.advance(.seconds(1))
        #expect(await filter.mightContain(Secrets.hashAPIKey(late)))
    }
}
