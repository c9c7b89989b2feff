import Foundation
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
        await bell.wait(timeout: .seconds(30))
        #expect(clock.now - start < .seconds(5), "a kept ring did not end the wait")
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
