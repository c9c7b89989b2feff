import Logging
import PostgresNIO
import SeekCore
import SeekTestSupport
import Synchronization
import Testing

@testable import SeekStore

/// The tests' way to say "too late": the waits below end with it when a request's budget runs out.
private struct TooLate: Error, Equatable {}

private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

private func failure<T>(of result: Result<T, any Error>) -> SeekError? {
    guard case let .failure(error) = result else { return nil }
    return error as? SeekError
}

private func isTooLate<T>(_ result: Result<T, any Error>) -> Bool {
    guard case let .failure(error) = result else { return false }
    return error is TooLate
}

@Suite("One bound for all of a request's waiting on the store")
struct StoreWaitBudgetTests {
    @Test("a wait that gets no answer ends when the request's budget runs out; its next wait ends at once, and a late answer is dropped")
    func waitsEndAtTheBudget() async throws {
        let budget = StoreWaitBudget(.milliseconds(200))
        let pending = Mutex<[PendingAnswer<Int>]>([])
        let rescuer = rescue { for answer in pending.withLock({ $0 }) { answer.give(.success(1)) } }
        let (first, second) = await StoreWaitBudget.$current.withValue(budget) {
            // Nothing answers these waits but the rescue: only the budget should end them.
            let first = await outcome {
                try await StoreWaitBudget.wait(orElse: .failure(TooLate())) { answer in pending.withLock { $0.append(answer) } }
            }
            let second = await outcome {
                try await StoreWaitBudget.wait(orElse: .failure(TooLate())) { answer in pending.withLock { $0.append(answer) } }
            }
            return (first, second)
        }
        rescuer.cancel()
        #expect(isTooLate(first) && isTooLate(second))
        #expect(pending.withLock { $0.count } == 1, "a request with nothing left does not ask")
        #expect(budget.remaining <= .zero)
        #expect(pending.withLock { $0 }.first?.give(.success(1)) == false)
    }

    @Test("a wait answered in time has its answer, and spends only what it waited")
    func answeredWaits() async throws {
        let budget = StoreWaitBudget(.seconds(60))
        let answer = try await StoreWaitBudget.$current.withValue(budget) {
            try await StoreWaitBudget.wait(orElse: .failure(TooLate())) { answer in
                Task { answer.give(.success(42)) }
            }
        }
        #expect(answer == 42)
        #expect(budget.remaining > .zero && budget.remaining < .seconds(60))
        // Outside a request nothing bounds a wait, and nothing is spent.
        #expect(try await StoreWaitBudget.wait(orElse: .failure(TooLate())) { answer in Task { answer.give(.success(7)) } } == 7)
    }

    @Test("a call is bounded by the lesser of its own bound and what the request has left, and not made when nothing is left")
    func callsTakeTheLesserBound() async throws {
        #expect(try await StoreWaitBudget.call(bounded: .seconds(8), exhausted: TooLate()) { $0 } == .seconds(8))
        let limit = try await StoreWaitBudget.$current.withValue(StoreWaitBudget(.seconds(2))) {
            try await StoreWaitBudget.call(bounded: .seconds(8), exhausted: TooLate()) { $0 }
        }
        #expect(limit <= .seconds(2) && limit > .seconds(1))
        let made = Atomic(false)
        let refused = await StoreWaitBudget.$current.withValue(StoreWaitBudget(.zero)) {
            await outcome { try await StoreWaitBudget.call(bounded: .seconds(8), exhausted: TooLate()) { _ in made.store(true, ordering: .relaxed) } }
        }
        #expect(isTooLate(refused) && !made.load(ordering: .relaxed))
    }

    @Test("a batched call whose caller stopped waiting before its batch began is not run")
    func batchesSkipAbandonedCalls() async throws {
        let batcher = PostgresBatcher<Int, Int>(logger: Logger(label: "test"), tooLate: { TooLate() }, conclude: { _, steps in steps })
        let (entries, entered) = AsyncStream.makeStream(of: Void.self)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let transactions = Atomic(0)
        // A transaction that the first batch holds until the test lets go. It runs no call's body (there is no
        // database here), so that each call's answer is the batch's failure; what counts is how many run.
        let transact: PostgresBatcher<Int, Int>.Transact = { _, _ in
            transactions.add(1, ordering: .relaxed)
            entered.yield()
            for await _ in held {}
        }
        let first = Task { await outcome { try await batcher.run(order: "a", transact: transact) { _ in 1 } } }
        for await _ in entries { break }
        let rescuer = rescue { release.finish() }
        defer { rescuer.cancel() }
        let abandoned = await StoreWaitBudget.$current.withValue(StoreWaitBudget(.milliseconds(200))) {
            await outcome { try await batcher.run(order: "b", transact: transact) { _ in 2 } }
        }
        #expect(isTooLate(abandoned))
        // Another lane's call, which waits behind the abandoned one's lane.
        let last = Task { await outcome { try await batcher.run(lane: "later", order: "c", transact: transact) { _ in 3 } } }
        release.finish()
        _ = await first.value
        _ = await last.value
        #expect(transactions.load(ordering: .relaxed) == 2, "the first batch and the last; none for the abandoned call")
    }

    @Test("a rate-limit take whose caller stopped waiting is left out of the next statement")
    func rateTakesSkipAbandonedTakes() async throws {
        let batcher = RateTakeBatcher(tooLate: { TooLate() })
        let (entries, entered) = AsyncStream.makeStream(of: Void.self)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let statements = Mutex<[[String]]>([])
        let run: RateTakeBatcher.Run = { takes in
            statements.withLock { $0.append(takes.map(\.name)) }
            entered.yield()
            for await _ in held {}
            return Dictionary(uniqueKeysWithValues: takes.map { ($0.name, RateGrant(granted: 1, tokensLeft: 0)) })
        }
        let limit = RateLimit(perSecond: 10, burst: 10)
        let first = Task { try await batcher.take(RateTake(name: "a", wanted: 1, limit: limit), run: run) }
        for await _ in entries { break }
        let rescuer = rescue { release.finish() }
        defer { rescuer.cancel() }
        let abandoned = await StoreWaitBudget.$current.withValue(StoreWaitBudget(.milliseconds(200))) {
            await outcome { try await batcher.take(RateTake(name: "b", wanted: 1, limit: limit), run: run) }
        }
        #expect(isTooLate(abandoned))
        let last = Task { try await batcher.take(RateTake(name: "c", wanted: 1, limit: limit), run: run) }
        release.finish()
        let (firstGrant, lastGrant) = (try await first.value, try await last.value)
        #expect(firstGrant.granted == 1 && lastGrant.granted == 1)
        #expect(statements.withLock { $0 } == [["a"], ["c"]])
    }

    @Test(
        "on PostgreSQL, a request's calls share one bound: a call held past it is a 503, and so is the request's next call, at once",
        .enabled(if: TestPostgres.available)
    )
    func postgresCallsShareTheBound() async throws {
        let fixture = try await StoreFixture(.postgres)
        let store = try #require(fixture.store as? PostgresStore)
        let holder = try #require(try await fixture.another() as? PostgresStore)
        let logger = TestPostgres.logger
        let (entries, entered) = AsyncStream.makeStream(of: Void.self)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let holding = Task {
            try await holder.write { db in
                try await db.run("SELECT pg_advisory_xact_lock(4242)", logger: logger)
                entered.yield()
                for await _ in held {}
            }
        }
        for await _ in entries { break }
        let budget = StoreWaitBudget(.milliseconds(500))
        let (blocked, waited, next) = await StoreWaitBudget.$current.withValue(budget) {
            let started = ContinuousClock.now
            let blocked = await outcome { try await store.write { db in try await db.run("SELECT pg_advisory_xact_lock(4242)", logger: logger) } }
            let waited = ContinuousClock.now - started
            // This one would succeed at once; the request has no time left for it.
            let next = await outcome { try await store.ping() }
            return (blocked, waited, next)
        }
        release.finish()
        try await holding.value
        #expect(failure(of: blocked) == PostgresStore.busy)
        #expect(failure(of: next) == PostgresStore.busy)
        #expect(waited < PostgresStore.callTimeout, "the request's bound, not the call's own, ended the wait")
        try await store.ping()
    }
}
