import Foundation
import GRDB
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekCore
@testable import SeekStore

/// Runs `body` and checks that it fails with a `SeekError` of `code`.
func expectSeekError(_ code: SeekError.Code, _ what: String, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("\(what) was allowed")
    } catch let error as SeekError {
        #expect(error.code == code, "\(what): \(error)")
    } catch {
        Issue.record("\(what) failed with \(error), not a SeekError")
    }
}

extension StoreFixture {
    /// The cached balance, checked against the sum of the ledger.
    func checkedBalance(_ workspaceID: String) async throws -> CreditBalance {
        let (cached, summed) = try await balances(workspaceID)
        #expect(cached == summed, "the cached balance drifted from the ledger")
        return cached
    }
}

@Suite("Store contract: jobs, keys, ledger and outbox")
struct StoreContractTests {
    @Test("60 simultaneous submits against 30 credits: exactly 30 accepted and 30 refused with 402", arguments: StoreKind.available)
    func noOverspend(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 30)
        let submission = try fixture.submission(workspaceID)
        let outcomes = await withTaskGroup(of: SeekError.Code?.self) { group in
            for _ in 0..<60 {
                group.addTask {
                    do {
                        _ = try await fixture.store.submit(submission)
                        return nil
                    } catch let error as SeekError {
                        return error.code
                    } catch {
                        return .internalServerError
                    }
                }
            }
            return await group.reduce(into: [SeekError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 30)
        #expect(outcomes.filter { $0 == .paymentRequired }.count == 30)
        let balance = try await fixture.checkedBalance(workspaceID)
        #expect(balance == CreditBalance(balance: 30, reserved: 30))
        #expect(balance.available == 0)
    }

    @Test("a submit the database refuses, among 40 simultaneous ones, fails alone: the 40 commit once each", arguments: StoreKind.available)
    func oneFailingSubmitFailsAlone(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 100)
        let good = try fixture.submission(workspaceID)
        // No such workspace: the job's row breaks a foreign key, which a batch's end may be the first to see.
        let bad = try fixture.submission("ws_missing")
        let outcomes = await withTaskGroup(of: (Bool, Bool).self) { group in
            for index in 0..<41 {
                group.addTask {
                    let isBad = index == 20
                    do {
                        _ = try await fixture.store.submit(isBad ? bad : good)
                        return (isBad, true)
                    } catch {
                        return (isBad, false)
                    }
                }
            }
            return await group.reduce(into: [(Bool, Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0.0 && $0.1 }.count == 40, "every good submit is accepted")
        #expect(outcomes.filter { $0.0 && !$0.1 }.count == 1, "the bad submit is refused")
        let jobs = try await fixture.store.jobs(workspaceID: workspaceID, filter: JobFilter(limit: 100))
        #expect(jobs.count == 40)
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 100, reserved: 40))
    }

    @Test("claims take high before normal before low, FIFO within one", arguments: StoreKind.available)
    func claimOrder(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 100)
        var expected: [JobPriority: [String]] = [:]
        for priority in [JobPriority.low, .normal, .high, .low, .high, .normal, .normal] {
            let id = try await fixture.store.submit(try fixture.submission(workspaceID, priority: priority)).job.id
            expected[priority, default: []].append(id)
        }
        var claimed: [String] = []
        while case let batch = try await fixture.claim(2, by: "r", lease: 30), !batch.isEmpty {
            claimed += batch.map(\.id)
        }
        #expect(claimed == expected[.high]! + expected[.normal]! + expected[.low]!)
    }

    @Test(
        "claims serve workspaces in turn whatever their priorities, and never run more than a workspace's concurrency",
        arguments: StoreKind.available
    )
    func fairShare(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let busy = try await fixture.workspace(credits: 100)
        let quiet = try await fixture.workspace(credits: 100)
        let free = try await fixture.store.createWorkspace(NewWorkspace(name: "free", plan: .free, startingCredits: 100)).workspace.id
        for _ in 0..<10 { _ = try await fixture.store.submit(try fixture.submission(busy, priority: .high)) }
        let quietJob = try await fixture.store.submit(try fixture.submission(quiet)).job.id
        for _ in 0..<5 { _ = try await fixture.store.submit(try fixture.submission(free, priority: .high)) }

        let first = try await fixture.claim(1, by: "r")
        let second = try await fixture.claim(1, by: "r")
        #expect(first.map(\.workspaceID) == [busy])
        #expect(second.map(\.id) == [quietJob], "the quiet workspace's one job comes next, not after the busy one's queue")
        let rest = try await fixture.claim(50, by: "r")
        #expect(rest.filter { $0.workspaceID == busy }.count == 9)
        let freeRunning = rest.filter { $0.workspaceID == free }
        #expect(freeRunning.count == Plan.free.concurrency, "a Free workspace runs 2 at once; the rest wait queued")
        #expect(try await fixture.claim(50, by: "r").isEmpty)
        #expect(try await fixture.store.jobs(workspaceID: free, filter: JobFilter(status: .queued, limit: 10)).count == 3, "waiting, not refused")
        #expect(try await fixture.finish(try #require(freeRunning.first), by: "r", .failed(JobFailure(code: "done", message: "enough"))))
        #expect(try await fixture.claim(50, by: "r").map(\.workspaceID) == [free], "a slot freed is the workspace's again")
    }

    @Test("completion charges the actual cost and releases the rest; failure releases all", arguments: StoreKind.available)
    func settlement(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 20)
        _ = try await fixture.store.submit(try fixture.submission(workspaceID, credits: 5))
        _ = try await fixture.store.submit(try fixture.submission(workspaceID, credits: 4))
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 20, reserved: 9))
        let claimed = try await fixture.claim(2, by: "r", lease: 30)
        #expect(
            try await fixture.finish(claimed[0], by: "r", .completed(.object(["ok": true]), files: [], cost: .init(runCredits: 3, infraCredits: 0)))
        )
        let completed = try await fixture.store.job(id: claimed[0].id, workspaceID: workspaceID)
        #expect(completed?.status == .completed)
        #expect(completed?.costCredits == 3)
        #expect(completed?.result == .object(["ok": true]))
        #expect(
            try await fixture.finish(claimed[1], by: "r", .failed(JobFailure(code: "boom", message: "no")))
        )
        let failed = try await fixture.store.job(id: claimed[1].id, workspaceID: workspaceID)
        #expect(failed?.status == .failed)
        #expect(failed?.costCredits == 0)
        #expect(failed?.error == JobFailure(code: "boom", message: "no"))
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 17, reserved: 0))
        let types = try await fixture.store.ledger(workspaceID: workspaceID, filter: LedgerFilter(limit: 10)).items.map(\.type)
        #expect(types == [.release, .release, .charge, .reserve, .reserve, .grant])
    }

    @Test("a run that lost its lease cannot finish the job twice", arguments: StoreKind.available)
    func staleFinish(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        _ = try await fixture.store.submit(try fixture.submission(workspaceID))
        let first = try #require(try await fixture.claim(1, by: "dead", lease: 0.001).first)
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await fixture.store.requeueExpiredLeases(before: Date()) == 1)
        let second = try #require(try await fixture.claim(1, by: "alive", lease: 30).first)
        #expect(second.attempt == 2)
        let outcome = JobOutcome.completed(.object([:]), files: [], cost: .init(runCredits: 1, infraCredits: 0))
        #expect(try await fixture.finish(first, by: "dead", outcome) == false)
        #expect(try await fixture.finish(second, by: "alive", outcome))
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 9, reserved: 0))
    }

    @Test(
        "simultaneous finishes: each run ends once, a repeated or stale finish records nothing, one the database refuses fails alone",
        arguments: StoreKind.available
    )
    func simultaneousFinishes(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 100)
        for _ in 0..<20 { _ = try await fixture.store.submit(try fixture.submission(workspaceID, credits: 2)) }
        // One run loses its lease and the same claimant claims the job again: attempt 1 is stale, attempt 2 live.
        let lapsed = try #require(try await fixture.claim(1, by: "r", lease: 0.001).first)
        #expect(try await fixture.store.requeueExpiredLeases(before: Date().addingTimeInterval(1)) == 1)
        let runs = try await fixture.claim(20, by: "r", lease: 30)
        #expect(runs.count == 20)
        let retried = try #require(runs.first { $0.id == lapsed.id })
        #expect(retried.attempt == 2)
        let done = JobOutcome.completed(.object([:]), files: [], cost: .init(runCredits: 1, infraCredits: 0))
        // PostgreSQL's text holds no NUL, so that finish fails there; SQLite stores it.
        let refused = JobOutcome.failed(JobFailure(code: "nul", message: "a\u{0}b"))
        let special = runs[19].id == lapsed.id ? runs[18] : runs[19]
        // Each run finished twice at once, the stale run once, all together.
        let finishes = runs.flatMap { run in [(run, run.id == special.id ? refused : done), (run, done)] } + [(lapsed, done)]
        let outcomes = await withTaskGroup(of: (ClaimedJob, Result<Bool, any Error>).self) { group in
            for (run, outcome) in finishes {
                group.addTask {
                    do {
                        return (run, .success(try await fixture.finish(run, by: "r", outcome)))
                    } catch {
                        return (run, .failure(error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let failures = outcomes.filter { if case .failure = $0.1 { true } else { false } }
        #expect(failures.count == (kind == .postgres ? 1 : 0), "only the NUL finish fails, and only on PostgreSQL: \(failures)")
        for run in runs {
            let recorded = outcomes.filter { $0.0.id == run.id && $0.0.attempt == run.attempt && (try? $0.1.get()) == true }
            #expect(recorded.count == 1, "run \(run.id) ended once")
        }
        let stale = outcomes.filter { $0.0.attempt == 1 && $0.0.id == lapsed.id }
        #expect(stale.count == 1 && (try? stale[0].1.get()) == false, "the stale run recorded nothing")
        var charged = 0
        for job in try await fixture.store.jobs(workspaceID: workspaceID, filter: JobFilter(limit: 100)) {
            // On SQLite the NUL finish may be the one that ends its run.
            let failedFirst = kind == .sqlite && job.id == special.id && job.status == .failed && job.costCredits == 0
            #expect(failedFirst || (job.status == .completed && job.costCredits == 1), "\(job.id): \(job.status)")
            charged += job.costCredits ?? 0
        }
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 100 - charged, reserved: 0))
    }

    @Test("a claimant that restarts releases only what it held; another claimant's live lease is untouched", arguments: StoreKind.available)
    func restartReleasesOwnClaims(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        for _ in 0..<3 { _ = try await fixture.store.submit(try fixture.submission(workspaceID)) }
        #expect(try await fixture.claim(2, by: "node-a", lease: 300).count == 2)
        let other = try await fixture.another()
        let theirs = try #require(try await fixture.claim(1, by: "node-b", lease: 300, in: other).first)
        let restarted = try await fixture.another()
        #expect(try await restarted.releaseClaims(of: "node-a") == 2)
        #expect(try await restarted.queueCounts() == (2, 1))
        #expect(try await restarted.requeueExpiredLeases(before: Date()) == 0, "a live lease is not expired")
        #expect(try await fixture.finish(theirs, by: "node-b", .failed(JobFailure(code: "x", message: "y"))))
    }

    @Test("a job handed off at submit is stored running under its lease, in the one commit that queues it", arguments: StoreKind.available)
    func handOff(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        var submission = try fixture.submission(workspaceID, credits: 2)
        submission.handOff = Lease(claimant: "node-a", seconds: 30)
        let job = try await fixture.store.submit(submission).job
        #expect(job.status == .running && job.attempts == 1 && job.startedAt != nil)
        let stored = try #require(try await fixture.store.job(id: job.id, workspaceID: workspaceID))
        #expect(stored.status == .running && stored.attempts == 1)
        #expect(try await fixture.claim(5, by: "node-b").isEmpty, "a handed-off job is not claimable")
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 10, reserved: 2))
        let claimed = ClaimedJob(handedOff: job, workerVersion: nil)
        #expect(claimed.attempt == 1 && claimed.reservedCredits == 2)
        #expect(try await fixture.finish(claimed, by: "node-a", .completed(.object([:]), files: [], cost: .init(runCredits: 2, infraCredits: 0))))
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 8, reserved: 0))
        // Its lease is an ordinary lease: a restart of its claimant gives it back.
        submission.idempotency = nil
        let second = try await fixture.store.submit(submission).job
        #expect(try await fixture.store.releaseClaims(of: "node-a") == 1)
        #expect(try await fixture.store.job(id: second.id, workspaceID: workspaceID)?.status == .queued)
    }

    @Test(
        "a finish claims the next job for the freed slot in its own commit, in queue order; a stale finish records nothing",
        arguments: StoreKind.available
    )
    func finishClaimsNext(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        _ = try await fixture.store.submit(try fixture.submission(workspaceID))
        let low = try await fixture.store.submit(try fixture.submission(workspaceID, priority: .low)).job
        let high = try await fixture.store.submit(try fixture.submission(workspaceID, priority: .high)).job
        let first = try #require(try await fixture.claim(1, by: "r").first)
        #expect(first.id == high.id)
        let request = ClaimRequest(workers: StoreFixture.workers, limit: 1, leaseSeconds: 30)
        let outcome = JobOutcome.completed(.object([:]), files: [], cost: .init(runCredits: 1, infraCredits: 0))
        let result = try await fixture.store.finish(
            first,
            claimant: "r",
            ending: JobEnding(jobID: first.id, outcome: outcome, at: Date()),
            thenClaim: request
        )
        #expect(result.recorded)
        let next = try #require(result.next.first)
        #expect(result.next.count == 1 && next.id != low.id && next.attempt == 1, "normal before low")
        let stale = try await fixture.store.finish(
            first,
            claimant: "r",
            ending: JobEnding(jobID: first.id, outcome: outcome, at: Date()),
            thenClaim: nil
        )
        #expect(!stale.recorded && stale.next.isEmpty)
        #expect(try await fixture.store.queueCounts() == (1, 1))
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 9, reserved: 2))
    }

    @Test("cancel releases a queued job's credits; a running job is a conflict", arguments: StoreKind.available)
    func cancel(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        let queued = try await fixture.store.submit(try fixture.submission(workspaceID, credits: 2)).job
        let cancelled = try await fixture.cancel(queued.id, in: workspaceID)
        #expect(cancelled.status == .cancelled)
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 10, reserved: 0))
        await #expect(throws: SeekError.self) { try await fixture.cancel(queued.id, in: workspaceID) }
        let running = try await fixture.store.submit(try fixture.submission(workspaceID)).job
        _ = try await fixture.claim(1, by: "r", lease: 30)
        await expectSeekError(.conflict, "cancelling a running job") {
            _ = try await fixture.cancel(running.id, in: workspaceID)
        }
    }

    @Test("another workspace's job does not exist", arguments: StoreKind.available)
    func isolation(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let mine = try await fixture.workspace(credits: 10)
        let theirs = try await fixture.workspace(credits: 10)
        let job = try await fixture.store.submit(try fixture.submission(mine)).job
        #expect(try await fixture.store.job(id: job.id, workspaceID: theirs) == nil)
        await #expect(throws: SeekError.notFound("Job \(job.id)")) { try await fixture.cancel(job.id, in: theirs) }
    }

    @Test("an Idempotency-Key replays its job for the same request and refuses another", arguments: StoreKind.available)
    func idempotency(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        let claim = IdempotencyClaim(key: "order-1", fingerprint: "aaa")
        let first = try await fixture.store.submit(try fixture.submission(workspaceID, idempotency: claim))
        let again = try await fixture.store.submit(try fixture.submission(workspaceID, idempotency: claim))
        guard case .replayed(let replayed) = again else {
            Issue.record("not replayed")
            return
        }
        #expect(replayed.id == first.job.id)
        #expect(try await fixture.checkedBalance(workspaceID).reserved == 1)
        await expectSeekError(.unprocessableEntity, "another body under the same Idempotency-Key") {
            _ = try await fixture.store.submit(try fixture.submission(workspaceID, idempotency: IdempotencyClaim(key: "order-1", fingerprint: "bbb")))
        }
    }

    @Test("keys: a revoked key stops at once; the last key cannot be revoked", arguments: StoreKind.available)
    func keys(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let created = try await fixture.store.createWorkspace(NewWorkspace(name: "k", plan: .free))
        #expect(created.workspace.credits.balance == 100, "a free workspace starts with its monthly grant")
        let workspaceID = created.workspace.id
        let first = try #require(try await fixture.store.identity(forKeyHash: Secrets.hashAPIKey(created.apiKey)))
        await expectSeekError(.conflict, "revoking the last key") {
            _ = try await fixture.store.revokeKey(workspaceID: workspaceID, keyID: first.keyID)
        }
        let second = try await fixture.store.createKey(workspaceID: workspaceID, name: "ci", scope: .full)
        #expect(try await fixture.store.keys(workspaceID: workspaceID).count == 2)
        _ = try await fixture.store.revokeKey(workspaceID: workspaceID, keyID: first.keyID)
        #expect(try await fixture.store.identity(forKeyHash: Secrets.hashAPIKey(created.apiKey)) == nil)
        #expect(try await fixture.store.identity(forKeyHash: Secrets.hashAPIKey(second.key))?.workspaceID == workspaceID)
    }

    @Test("the ledger pages newest first with a cursor", arguments: StoreKind.available)
    func ledgerPages(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        for amount in 1...5 { _ = try await fixture.store.addCredits(workspaceID: workspaceID, type: .topup, amount: amount) }
        let first = try await fixture.store.ledger(workspaceID: workspaceID, filter: LedgerFilter(limit: 4))
        #expect(first.items.map(\.amount) == [5, 4, 3, 2])
        let second = try await fixture.store.ledger(workspaceID: workspaceID, filter: LedgerFilter(cursor: first.nextCursor, limit: 4))
        #expect(second.items.map(\.amount) == [1, 10])
        #expect(second.nextCursor == nil)
        #expect(try await fixture.checkedBalance(workspaceID).balance == 25)
    }

    @Test("a workspace is made with a webhook secret; rotation keeps the old one signing, across restarts", arguments: StoreKind.available)
    func webhookSecrets(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 1)
        let first = try await fixture.store.webhookSecrets(workspaceID: workspaceID)
        #expect(first.previous == nil)
        #expect(try await fixture.store.webhookSecrets(workspaceID: workspaceID) == first)
        let rotated = try await fixture.store.rotateWebhookSecret(workspaceID: workspaceID)
        #expect(rotated.current != first.current)
        #expect(rotated.previous == first.current)
        #expect(rotated.signing(at: Date()) == [rotated.current, first.current])
        let reopened = try await fixture.another()
        #expect(try await reopened.webhookSecrets(workspaceID: workspaceID) == rotated)
    }

    @Test(
        "claiming a delivery hides it until its attempt is logged; a retry waits; a restart makes claimed ones due again",
        arguments: StoreKind.available
    )
    func webhookClaims(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        let job = try await fixture.jobWithWebhook(workspaceID, url: "https://example.com/h")
        let now = Date()
        let claimed = try await fixture.store.claimDueWebhooks(now: now, limit: 10, claimant: "sender", leaseSeconds: 40)
        let delivery = try #require(claimed.first)
        #expect(claimed.count == 1)
        #expect(delivery.jobID == job.id && delivery.url == "https://example.com/h" && delivery.event == "job.cancelled")
        #expect(delivery.attemptsMade == 0)
        #expect(delivery.secrets == (try await fixture.store.webhookSecrets(workspaceID: workspaceID)))
        #expect(try JSONParser.parse(delivery.payload)["job_uuid"] == .string(job.id))
        #expect(try await fixture.store.claimDueWebhooks(now: now, limit: 10, claimant: "sender", leaseSeconds: 40).isEmpty, "claimed twice")
        #expect(try await fixture.store.pendingWebhookCount() == 1)

        let retryAt = now.addingTimeInterval(5)
        try await fixture.store.recordWebhookAttempt(
            deliveryID: delivery.id,
            attempt: WebhookAttempt(attemptedAt: now, statusCode: 500, error: "HTTP 500", durationMs: 3),
            next: .retry(at: retryAt)
        )
        #expect(try await fixture.store.nextWebhookDue()?.timeIntervalSince(retryAt).magnitude ?? 1 < 0.002)
        #expect(try await fixture.store.claimDueWebhooks(now: now.addingTimeInterval(4.9), limit: 10, claimant: "sender", leaseSeconds: 40).isEmpty)
        let retried = try await fixture.store.claimDueWebhooks(now: retryAt, limit: 10, claimant: "sender", leaseSeconds: 40)
        #expect(retried.map(\.id) == [delivery.id], "a retry keeps its webhook-id")
        #expect(retried.first?.attemptsMade == 1)
        #expect(try await fixture.store.job(id: job.id, workspaceID: workspaceID)?.webhook?.state == .pending)

        // The process dies mid-attempt: on restart the claimed delivery is due again, same id.
        #expect(try await fixture.store.releaseWebhookClaims(of: "sender") == 1)
        let again = try await fixture.store.claimDueWebhooks(now: Date(), limit: 10, claimant: "sender", leaseSeconds: 40)
        #expect(again.map(\.id) == [delivery.id])
        try await fixture.store.recordWebhookAttempt(
            deliveryID: delivery.id,
            attempt: WebhookAttempt(attemptedAt: Date(), statusCode: 204, error: nil, durationMs: 2),
            next: .delivered
        )
        #expect(
            try await fixture.store.job(id: job.id, workspaceID: workspaceID)?.webhook
                == WebhookStatus(
                    url: "https://example.com/h",
                    state: .delivered,
                    attempts: 2
                )
        )
        #expect(try await fixture.store.webhookAttempts(jobID: job.id, workspaceID: workspaceID)?.map(\.statusCode) == [500, 204])
        #expect(try await fixture.store.pendingWebhookCount() == 0)
        #expect(try await fixture.store.nextWebhookDue() == nil)
        #expect(try await fixture.store.releaseWebhookClaims(of: "sender") == 0)
    }

    @Test("due deliveries are claimed oldest first, at most the limit", arguments: StoreKind.available)
    func webhookClaimOrder(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.workspace(credits: 10)
        var jobs: [String] = []
        for index in 0..<3 { jobs.append(try await fixture.jobWithWebhook(workspaceID, url: "https://example.com/\(index)").id) }
        let later = Date().addingTimeInterval(1)
        let first = try await fixture.store.claimDueWebhooks(now: later, limit: 2, claimant: "sender", leaseSeconds: 40)
        let second = try await fixture.store.claimDueWebhooks(now: later, limit: 2, claimant: "sender", leaseSeconds: 40)
        #expect(first.map(\.jobID) == Array(jobs.prefix(2)))
        #expect(second.map(\.jobID) == [jobs[2]])
    }
}

@Suite("Store contract: two processes on one database")
struct SharedDatabaseTests {
    @Test("a key revoked through one instance is refused by the other within a second; through itself at once", arguments: StoreKind.available)
    func revocationCrossesProcesses(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let other = try await fixture.another()
        let created = try await fixture.store.createWorkspace(NewWorkspace(name: "k", plan: .pro, startingCredits: 1))
        let spare = try await fixture.store.createKey(workspaceID: created.workspace.id, name: "spare", scope: .full)
        // A workspace keeps one key: this one stays.
        _ = try await fixture.store.createKey(workspaceID: created.workspace.id, name: "kept", scope: .full)
        let clock = HandClock()
        let here = APIKeyResolver(store: fixture.store, now: { clock.now })
        let there = APIKeyResolver(store: other, now: { clock.now })
        #expect(try await here.identity(forKey: created.apiKey) != nil)
        #expect(try await there.identity(forKey: created.apiKey) != nil, "the other process caches the key")

        #expect(try await here.identity(forKey: spare.key) != nil, "cached here before it is revoked")
        _ = try await here.revoke(workspaceID: created.workspace.id, keyID: spare.record.id)
        #expect(try await here.identity(forKey: spare.key) == nil, "revoked here: refused here at once")

        let first = try #require(try await here.identity(forKey: created.apiKey))
        _ = try await here.revoke(workspaceID: created.workspace.id, keyID: first.keyID)
        clock.advance(.milliseconds(999))
        #expect(try await there.identity(forKey: created.apiKey) != nil, "within the second the other may still use its cache")
        clock.advance(.milliseconds(1))
        #expect(try await there.identity(forKey: created.apiKey) == nil, "a second after, the other refuses it")
    }

    @Test(
        "a runner token revoked through one instance is refused by the other within a second; through itself at once",
        arguments: StoreKind.available
    )
    func runnerTokenRevocationCrossesProcesses(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let other = try await fixture.another()
        let owner = try await fixture.workspace(credits: 0)
        _ = try await fixture.store.createWorker(.sample(), owner: owner)
        let local = try await fixture.store.createRunnerToken(workerID: "sample", owner: owner)
        let remote = try await fixture.store.createRunnerToken(workerID: "sample", owner: owner)
        let clock = HandClock()
        let here = RunnerTokenResolver(store: fixture.store, now: { clock.now })
        let there = RunnerTokenResolver(store: other, now: { clock.now })
        #expect(try await here.identity(forToken: local.token)?.workerID == "sample")
        #expect(try await there.identity(forToken: remote.token)?.tokenID == remote.record.id, "the other process caches the token")
        #expect(try await here.identity(forToken: "srt_unknown") == nil)

        _ = try await here.revoke(workerID: "sample", owner: owner, tokenID: local.record.id)
        #expect(try await here.identity(forToken: local.token) == nil, "revoked here: refused here at once")

        _ = try await here.revoke(workerID: "sample", owner: owner, tokenID: remote.record.id)
        clock.advance(.milliseconds(999))
        #expect(try await there.identity(forToken: remote.token) != nil, "within the second the other may still use its cache")
        clock.advance(.milliseconds(1))
        #expect(try await there.identity(forToken: remote.token) == nil, "a second after, the other refuses it")
    }

    @Test("one Idempotency-Key used through two instances at once makes one job", arguments: StoreKind.available)
    func idempotencyCrossesProcesses(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let other = try await fixture.another()
        let workspaceID = try await fixture.workspace(credits: 100)
        let submission = try fixture.submission(workspaceID, idempotency: IdempotencyClaim(key: "order-7", fingerprint: "f"))
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<20 {
                let store = index.isMultiple(of: 2) ? fixture.store : other
                group.addTask { try await store.submit(submission).job.id }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 100, reserved: 1))
    }

    @Test("claims through two instances at once never run more of a workspace's jobs than its plan allows", arguments: StoreKind.available)
    func concurrencyCrossesProcesses(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let other = try await fixture.another()
        let free = try await fixture.store.createWorkspace(NewWorkspace(name: "free", plan: .free, startingCredits: 100)).workspace.id
        for _ in 0..<10 { _ = try await fixture.store.submit(try fixture.submission(free)) }
        let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<20 {
                let store = index.isMultiple(of: 2) ? fixture.store : other
                group.addTask { try await fixture.claim(1 + index % 3, by: "node-\(index % 2)", in: store).count }
            }
            return try await group.reduce(0, +)
        }
        #expect(claimed == Plan.free.concurrency)
        #expect(try await fixture.store.jobs(workspaceID: free, filter: JobFilter(status: .queued, limit: 20)).count == 10 - Plan.free.concurrency)
    }
}

@Suite("Store contract: plans, credit lines and usage")
struct PlanStoreTests {
    @Test("a month opens once however many requests ask at its first moment; the balance stays the ledger's sum", arguments: StoreKind.available)
    func monthOpensOnce(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let workspaceID = try await store.createWorkspace(NewWorkspace(name: "free", plan: .free)).workspace.id
        _ = try await store.addCredits(workspaceID: workspaceID, type: .topup, amount: 50)
        let next = UTCMonth(Date()).next
        let opened = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { try await store.openMonth(workspaceID: workspaceID, month: next, at: next.start) } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(opened.filter { $0 }.count == 1)
        let entries = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(types: [.grant, .expire])).items
        #expect(entries.map(\.type) == [.grant, .expire, .grant])
        #expect(entries.map(\.amount) == [100, 100, 100])
        #expect(entries.first?.createdAt == next.start)
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: 150, reserved: 0), "the top-up never expires")
        #expect(try await store.openMonth(workspaceID: workspaceID, month: next, at: next.start) == false)
        #expect(try await store.openMonth(workspaceID: workspaceID, month: UTCMonth(Date()), at: Date()) == false, "a past month")

        // A pro workspace opens months without entries.
        let pro = try await fixture.workspace(credits: 10)
        #expect(try await store.openMonth(workspaceID: pro, month: next, at: next.start))
        #expect(try await store.ledger(workspaceID: pro, filter: LedgerFilter()).items.count == 1)
    }

    @Test("an enterprise credit line lets available credits go to −N and no further; plans bound what may be set", arguments: StoreKind.available)
    func creditLines(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let workspaceID = try await store.createWorkspace(NewWorkspace(name: "big", plan: .enterprise, startingCredits: 0)).workspace.id
        await expectSeekError(.paymentRequired, "a job without credits") { _ = try await store.submit(try fixture.submission(workspaceID)) }
        let updated = try await store.updateWorkspace(
            id: workspaceID,
            WorkspaceChange(
                rateLimit: RateLimit(perSecond: 500, burst: 900),
                creditLine: 3
            )
        )
        #expect(updated.creditLine == 3 && updated.rateLimit == RateLimit(perSecond: 500, burst: 900))
        for _ in 0..<3 { _ = try await store.submit(try fixture.submission(workspaceID)) }
        await expectSeekError(.paymentRequired, "past the credit line") { _ = try await store.submit(try fixture.submission(workspaceID)) }
        for job in try await fixture.claim(3, by: "r", lease: 30) {
            _ = try await fixture.finish(job, by: "r", .completed(.object([:]), files: [], cost: .init(runCredits: 1, infraCredits: 0)))
        }
        #expect(try await fixture.checkedBalance(workspaceID) == CreditBalance(balance: -3, reserved: 0))

        let pro = try await fixture.workspace(credits: 1)
        await expectSeekError(.badRequest, "a credit line on pro") { _ = try await store.updateWorkspace(id: pro, WorkspaceChange(creditLine: 5)) }
        await expectSeekError(.badRequest, "custom limits on pro") {
            _ = try await store.updateWorkspace(id: pro, WorkspaceChange(rateLimit: RateLimit(perSecond: 1, burst: 1)))
        }
        await expectSeekError(.notFound, "an unknown workspace") { _ = try await store.updateWorkspace(id: "ws_nope", WorkspaceChange(plan: .pro)) }
        let moved = try await store.updateWorkspace(id: workspaceID, WorkspaceChange(plan: .pro))
        #expect(moved.plan == .pro && moved.creditLine == 0 && moved.customRateLimit == nil, "a plan without allowances drops them")
    }

    @Test("keys carry their scope and their workspace's limit into the identity", arguments: StoreKind.available)
    func keyIdentity(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let workspaceID = try await fixture.store.createWorkspace(NewWorkspace(name: "f", plan: .free)).workspace.id
        let (record, key) = try await fixture.store.createKey(workspaceID: workspaceID, name: "ro", scope: .read)
        #expect(record.scope == .read)
        let identity = try #require(try await fixture.store.identity(forKeyHash: Secrets.hashAPIKey(key)))
        #expect(identity.scope == .read && identity.rateLimit == Plan.free.rateLimit && identity.hasMonthlyGrant)
        #expect(try await fixture.store.keys(workspaceID: workspaceID).map(\.scope) == [.full, .read])
    }

    @Test("the ledger filters by time and type; usage sums charges per worker and per day", arguments: StoreKind.available)
    func ledgerFiltersAndUsage(kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = fixture.store
        let workspaceID = try await fixture.workspace(credits: 100)
        let start = Date()
        for (worker, credits) in [("echo", 1), ("echo", 1), ("sleep", 3)] {
            _ = try await store.submit(try fixture.submission(workspaceID, worker: worker, credits: credits))
        }
        for job in try await fixture.claim(3, by: "r", lease: 30) {
            _ = try await fixture.finish(
                job,
                by: "r",
                .completed(
                    .object([:]),
                    files: [],
                    cost: .init(runCredits: job.reservedCredits, infraCredits: 0)
                )
            )
        }
        let charges = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(types: [.charge])).items
        #expect(charges.count == 3 && charges.allSatisfy { $0.type == .charge && $0.jobID != nil })
        let all = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(limit: 100)).items
        #expect(all.count == 7, "a grant, then a reserve and a charge per job")
        let later = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(from: Date().addingTimeInterval(1))).items
        #expect(later.isEmpty)
        let before = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(limit: 100, to: start.addingTimeInterval(-60))).items
        #expect(before.isEmpty)
        let page = try await store.ledger(workspaceID: workspaceID, filter: LedgerFilter(limit: 2, types: [.charge, .reserve]))
        let rest = try await store.ledger(
            workspaceID: workspaceID,
            filter: LedgerFilter(cursor: page.nextCursor, limit: 10, types: [.charge, .reserve])
        )
        #expect(page.items.count == 2 && rest.items.count == 4 && rest.nextCursor == nil)

        let usage = try await store.usage(workspaceID: workspaceID, month: UTCMonth(Date())).spent
        #expect(usage.credits == 5 && usage.jobs == 3)
        #expect(usage.byWorker == [.init(key: "echo", credits: 2, jobs: 2), .init(key: "sleep", credits: 3, jobs: 1)])
        #expect(usage.byDay.count == 1 && usage.byDay.first?.credits == 5)
        #expect(try await store.usage(workspaceID: workspaceID, month: UTCMonth(Date()).next).spent.jobs == 0)
    }
}

/// What only the SQLite store does: group commit, its triggers and its outbox rows.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test("concurrent writes share commits, and each answer comes after its commit")
    func groupCommit() async throws {
        let fixture = try await StoreFixture()
        let sqlite = try #require(fixture.store as? SQLiteStore)
        let workspaceID = try await fixture.workspace(credits: 1000)
        let before = sqlite.commitCount
        let submission = try fixture.submission(workspaceID)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<400 { group.addTask { try await fixture.store.submit(submission).job.id } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let commits = sqlite.commitCount - before
        #expect(ids.count == 400)
        #expect(commits < 400, "400 writes took \(commits) commits")
        // Every answered job is on disk: a second store on the same file sees all of them.
        let reopened = try await fixture.another()
        let stored = try await reopened.jobs(workspaceID: workspaceID, filter: JobFilter(limit: 100))
        #expect(stored.count == 100)
        for id in ids { #expect(try await reopened.job(id: id, workspaceID: workspaceID) != nil) }
    }

    @Test("a write that fails after changing rows leaves none of its changes; the writes that share its commit keep theirs")
    func failingWriteInABatch() async throws {
        let fixture = try await StoreFixture()
        let sqlite = try #require(fixture.store as? SQLiteStore)
        try await sqlite.pool.write { try $0.execute(sql: "CREATE TABLE probe (n INTEGER)") }
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<200 {
                group.addTask {
                    do {
                        try await sqlite.writer.write { db in
                            try db.execute(sql: "INSERT INTO probe (n) VALUES (?)", arguments: [n])
                            if n.isMultiple(of: 3) { throw Refused() }
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let stored = try await sqlite.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM probe ORDER BY n") }
        #expect(outcomes.filter { $0 }.count == 133)
        #expect(stored == (0..<200).filter { !$0.isMultiple(of: 3) })
    }

    @Test("ledger entries are immutable")
    func immutableLedger() async throws {
        let fixture = try await StoreFixture()
        let sqlite = try #require(fixture.store as? SQLiteStore)
        let workspaceID = try await fixture.workspace(credits: 10)
        await #expect(throws: DatabaseError.self) {
            try await sqlite.pool.write { try $0.execute(sql: "UPDATE ledger_entries SET amount = 1000") }
        }
        await #expect(throws: DatabaseError.self) {
            try await sqlite.pool.write { try $0.execute(sql: "DELETE FROM ledger_entries") }
        }
        #expect(try await fixture.checkedBalance(workspaceID).balance == 10)
    }

    @Test("a job with a webhook enters the outbox in the commit that makes it terminal; one without does not")
    func webhookOutbox() async throws {
        let fixture = try await StoreFixture()
        let sqlite = try #require(fixture.store as? SQLiteStore)
        let workspaceID = try await fixture.workspace(credits: 10)
        let hooked = try await fixture.store.submit(try fixture.submission(workspaceID, input: ["webhook": "https://example.com/h", "q": 1])).job
        _ = try await fixture.store.submit(try fixture.submission(workspaceID))
        let cancelled = try await fixture.store.submit(try fixture.submission(workspaceID, input: ["webhook": "https://example.com/c"])).job
        #expect(try await fixture.cancel(cancelled.id, in: workspaceID).webhook?.state == .pending)
        #expect(
            try await fixture.store.job(id: hooked.id, workspaceID: workspaceID)?.webhook
                == WebhookStatus(
                    url: "https://example.com/h",
                    state: .pending,
                    attempts: 0
                )
        )
        let before = try await sqlite.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_deliveries") }
        #expect(before == 1, "only the cancelled job is terminal so far")
        for job in try await fixture.claim(2, by: "r", lease: 30) {
            #expect(
                try await fixture.finish(
                    job,
                    by: "r",
                    .completed(
                        .object(job.input),
                        files: [],
                        cost: .init(runCredits: 1, infraCredits: 0)
                    )
                )
            )
        }
        let rows = try await sqlite.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, job_id, event, payload, state, attempts FROM webhook_deliveries ORDER BY seq")
        }
        #expect(rows.map { $0["job_id"] as String } == [cancelled.id, hooked.id])
        #expect(rows.map { $0["event"] as String } == ["job.cancelled", "job.completed"])
        #expect(rows.allSatisfy { IDKind.whd.matches($0["id"]) && $0["state"] == "pending" && $0["attempts"] == 0 })
        let payload = try JSONParser.parse(rows[1]["payload"] as String)
        #expect(payload["event"] == "job.completed")
        #expect(payload["job_uuid"] == .string(hooked.id))
        #expect(payload["status"] == "completed")
        #expect(payload["result"]?["data"] == ["q": 1])
        #expect(payload["error"] == .null)
        #expect(payload["cost_credits"] == 1)
        #expect(payload["fired_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(try await fixture.store.webhookAttempts(jobID: hooked.id, workspaceID: workspaceID) == [])
        #expect(try await fixture.store.webhookAttempts(jobID: hooked.id, workspaceID: try await fixture.workspace(credits: 1)) == nil)
    }
}
