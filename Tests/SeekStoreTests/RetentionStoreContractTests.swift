import Foundation
import SeekTestSupport
import Testing

@testable import SeekCore
@testable import SeekStore

@Suite("Store contract: retention")
struct RetentionStoreContractTests {
    @Test(
        "past their retention, finished jobs lose input and result, attempts and idempotency keys go; costs and ledgers stay",
        arguments: StoreKind.available
    )
    func prune(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let workspaceID = try await fixture.workspace(credits: 100)
        let done = try await store.submit(try fixture.submission(workspaceID, credits: 3, input: ["secret": "input"])).job
        let claimed = try #require(try await fixture.claim(1, by: "r").first)
        #expect(
            try await fixture.finish(claimed, by: "r", .completed(.object(["out": true]), files: [], cost: .init(runCredits: 3, infraCredits: 0)))
        )
        let running = try await store.submit(try fixture.submission(workspaceID, input: ["still": "running"])).job
        _ = try await fixture.claim(1, by: "r")
        let hooked = try await fixture.jobWithWebhook(workspaceID, url: "https://example.com/h")
        let delivery = try #require(try await store.claimDueWebhooks(now: Date(), limit: 1, claimant: "s", leaseSeconds: 30).first)
        try await store.recordWebhookAttempt(
            deliveryID: delivery.id,
            attempt: WebhookAttempt(attemptedAt: Date(), statusCode: 204, error: nil, durationMs: 1),
            next: .delivered
        )
        let keyed = try await store.submit(try fixture.submission(workspaceID, idempotency: IdempotencyClaim(key: "order-9", fingerprint: "f"))).job
        let before = try await fixture.balances(workspaceID)

        // Nothing is due yet.
        #expect(try await store.prune(RetentionPolicy(), now: Date()) == PruneReport())
        let report = try await store.prune(RetentionPolicy(), now: Date().addingTimeInterval(31 * RetentionPolicy.days))
        #expect(report.jobsCleared == 1, "the completed job (the cancelled one had no input or result to clear)")
        #expect(report.webhookAttemptsDeleted == 1 && report.idempotencyKeysDeleted == 1)
        let cleared = try #require(try await store.job(id: done.id, workspaceID: workspaceID))
        #expect(cleared.input == .object([:]) && cleared.result == nil && cleared.status == .completed && cleared.costCredits == 3)
        #expect(try await store.job(id: running.id, workspaceID: workspaceID)?.input == ["still": "running"], "a running job keeps its input")
        #expect(try await store.job(id: keyed.id, workspaceID: workspaceID)?.input != nil)
        #expect(try await store.webhookAttempts(jobID: hooked.id, workspaceID: workspaceID) == [])
        let after = try await fixture.balances(workspaceID)
        #expect(after.cached == before.cached && after.ledger == after.cached, "no ledger entry is touched")
        // The idempotency key is new again: the same key makes a new job.
        let again = try await store.submit(try fixture.submission(workspaceID, idempotency: IdempotencyClaim(key: "order-9", fingerprint: "other")))
        #expect(again.job.id != keyed.id)
        #expect(try await store.prune(RetentionPolicy(), now: Date().addingTimeInterval(31 * RetentionPolicy.days)).jobsCleared == 0, "done once")
    }

    @Test("of two instances asking at once, one takes a chore's turn; the next turn is due after the interval", arguments: StoreKind.available)
    func turns(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let instances = [fixture.store, try await fixture.another()]
        let now = Date()
        func ask(at time: Date) async throws -> Int {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<10 { group.addTask { try await instances[index % 2].takeTurn("cleaner", every: 60, now: time) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(try await ask(at: now) == 1)
        #expect(try await ask(at: now.addingTimeInterval(59)) == 0, "not due yet")
        #expect(try await ask(at: now.addingTimeInterval(60)) == 1)
        #expect(try await fixture.store.takeTurn("another chore", every: 60, now: now), "each chore has its own turns")
    }
}
