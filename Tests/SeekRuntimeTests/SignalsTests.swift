import Foundation
import Synchronization
import Testing

@testable import SeekRuntime

@Suite("The doorbell")
struct DoorbellTests {
    @Test("a ring before the wait is kept; a wait without a ring ends at its timeout")
    func keepsRings() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        let clock = ContinuousClock()
        let start = clock.now
        // Far apart, so that a loaded machine cannot blur them: a kept ring ends the wait long before its timeout.
        await bell.wait(timeout: .seconds(600))
        #expect(clock.now - start < .seconds(120), "a kept ring did not end the wait")
        let second = clock.now
        await bell.wait(timeout: .milliseconds(100))
        #expect(clock.now - second >= .milliseconds(100), "two rings counted twice")
    }
}

extension DoorbellTests {
    @Test("cancelling the waiting task ends its wait")
    func cancellation() async {
        let bell = Doorbell()
        let clock = ContinuousClock()
        let start = clock.now
        let waiting = Task { await bell.wait(timeout: .seconds(60)) }
        waiting.cancel()
        await waiting.value
        #expect(clock.now - start < .seconds(30))
    }
}

@Suite("The wait list")
struct WaitListTests {
    @Test("every waiter of a key hears its news; waiters of other keys do not")
    func manyWaiters() async {
        let list = WaitList<String>()
        let tickets = (0..<5).map { _ in list.ticket(for: "job_a") }
        let other = list.ticket(for: "job_b")
        let clock = ContinuousClock()
        let start = clock.now
        let heard = await withTaskGroup(of: Bool.self) { group in
            for ticket in tickets {
                group.addTask {
                    await list.wait(ticket, timeout: .seconds(60))
                    return clock.now - start < .seconds(30)
                }
            }
            list.notify("job_a")
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(heard == 5)
        let otherStart = clock.now
        await list.wait(other, timeout: .milliseconds(50))
        #expect(clock.now - otherStart >= .milliseconds(50), "news of job_a ended a wait for job_b")
    }

    @Test("news between taking a ticket and waiting on it is not missed; news before the ticket is not kept")
    func ticketFirst() async {
        let list = WaitList<String>()
        list.notify("job_a")
        let ticket = list.ticket(for: "job_a")
        list.notify("job_a")
        await list.wait(ticket, timeout: .seconds(60))
        let late = list.ticket(for: "job_a")
        let clock = ContinuousClock()
        let start = clock.now
        await list.wait(late, timeout: .milliseconds(50))
        #expect(clock.now - start >= .milliseconds(50), "old news ended a new wait")
    }

    @Test("a cancelled waiter stops waiting and leaves the others waiting")
    func cancellation() async {
        let list = WaitList<String>()
        let cancelled = list.ticket(for: "job_a")
        let kept = list.ticket(for: "job_a")
        let clock = ContinuousClock()
        let start = clock.now
        let waiting = Task { await list.wait(cancelled, timeout: .seconds(60)) }
        waiting.cancel()
        await waiting.value
        #expect(clock.now - start < .seconds(30), "cancellation did not end the wait")
        let heard = Task {
            await list.wait(kept, timeout: .seconds(60))
            return clock.now - start < .seconds(30)
        }
        list.notify("job_a")
        #expect(await heard.value, "the other waiter did not hear the news")
    }
}

/// What a timer fired, in order.
final class Fired: Sendable {
    private let names = Mutex<[String]>([])
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    init() { (stream, continuation) = AsyncStream.makeStream() }
    func add(_ name: String) {
        names.withLock { $0.append(name) }
        continuation.yield()
    }
    var values: [String] { names.withLock { $0 } }
}

@Suite("The deadline timer")
struct DeadlineTimerTests {
    @Test("fires entries in deadline order, an earlier one scheduled later included; a cancelled one never fires")
    func firesInOrder() async {
        let timer = DeadlineTimer()
        let running = Task { await timer.run() }
        defer { running.cancel() }
        let fired = Fired()
        let now = ContinuousClock.now
        _ = timer.schedule(at: now + .milliseconds(300)) { fired.add("late") }
        let cancelled = timer.schedule(at: now + .milliseconds(50)) { fired.add("cancelled") }
        _ = timer.schedule(at: now + .milliseconds(100)) { fired.add("early") }
        timer.cancel(cancelled)
        var events = fired.stream.makeAsyncIterator()
        _ = await events.next()
        _ = await events.next()
        #expect(fired.values == ["early", "late"])
        #expect(ContinuousClock.now - now >= .milliseconds(300))
    }
}
