import Foundation
import SeekCore
import Testing

@testable import SeekRuntime

@Suite("The job event journal")
struct JobEventJournalTests {
    let job = JobEventSubject(jobID: "job_1", workspaceID: "ws_1", workerID: "sleep")

    @Test("ids rise across jobs and restarts; a job's events after an id are exactly the later ones")
    func idsAndResume() throws {
        let earlier = JobEventJournal(now: Date(timeIntervalSince1970: 1_800_000_000))
        let before = try #require(earlier.status(job, .queued))
        let journal = JobEventJournal(now: Date(timeIntervalSince1970: 1_800_000_001))
        let queued = try #require(journal.status(job, .queued))
        #expect(queued.id > before.id, "a restarted process's ids come after the last one's")
        let other = JobEventSubject(jobID: "job_2", workspaceID: "ws_1", workerID: "echo")
        journal.status(other, .queued)
        let running = try #require(journal.status(job, .running))
        let line = try #require(journal.record(job, .log, ["message": "hello"]))
        #expect(journal.events(jobID: "job_1", after: nil).map(\.id) == [queued.id, running.id, line.id])
        #expect(journal.events(jobID: "job_1", after: queued.id).map(\.id) == [running.id, line.id])
        #expect(journal.events(jobID: "job_1", after: line.id).isEmpty)
        #expect(journal.events(workspaceID: "ws_1", after: queued.id).map(\.jobID) == ["job_2", "job_1", "job_1"])
    }

    @Test("a job's terminal status is its last event: nothing is recorded after it")
    func terminalIsLast() throws {
        let journal = JobEventJournal()
        journal.status(job, .running)
        let ended = try #require(journal.status(job, .completed))
        #expect(ended.isTerminal)
        #expect(journal.status(job, .completed) == nil, "a second ending, such as another node's news, is not recorded")
        #expect(journal.record(job, .log, ["message": "late"]) == nil)
        #expect(journal.events(jobID: "job_1", after: nil).last == ended)
    }

    @Test("the oldest jobs are forgotten past the capacity, and a workspace keeps its most recent events")
    func capacity() {
        let journal = JobEventJournal(jobCapacity: 3, workspaceCapacity: 4)
        for index in 1...5 { journal.status(JobEventSubject(jobID: "job_\(index)", workspaceID: "ws_1", workerID: "echo"), .queued) }
        #expect(!journal.knows(jobID: "job_1") && !journal.knows(jobID: "job_2"))
        #expect(journal.knows(jobID: "job_3") && journal.knows(jobID: "job_5"))
        #expect(journal.events(workspaceID: "ws_1", after: nil).map(\.jobID) == ["job_2", "job_3", "job_4", "job_5"])
    }

    @Test("after any id, past the workspace's capacity too, come exactly the later events, in order")
    func afterEveryID() throws {
        let journal = JobEventJournal(jobCapacity: 1_000, workspaceCapacity: 50)
        var recorded: [JobEvent] = []
        for index in 1...120 {
            let subject = JobEventSubject(jobID: "job_\(index % 7)", workspaceID: "ws_1", workerID: "echo")
            recorded.append(try #require(journal.record(subject, .log, ["n": .integer(index)])))
        }
        let kept = Array(recorded.suffix(50))
        #expect(journal.events(workspaceID: "ws_1", after: nil) == kept)
        #expect(journal.latestID(workspaceID: "ws_1") == recorded.last?.id)
        for cut in [recorded[0].id - 1, recorded[69].id, recorded[70].id, recorded[100].id, recorded[119].id] {
            #expect(journal.events(workspaceID: "ws_1", after: cut) == kept.filter { $0.id > cut })
        }
        let third = recorded.filter { $0.jobID == "job_3" }
        #expect(journal.events(jobID: "job_3", after: third[4].id) == Array(third.dropFirst(5)))
    }

    @Test("a stream's ticket, taken before it reads, hears an event that comes before it waits")
    func ticketBeforeRead() async throws {
        let journal = JobEventJournal()
        let ticket = journal.ticket(for: .job("job_1"))
        journal.status(job, .queued)
        let clock = ContinuousClock()
        let start = clock.now
        await journal.wait(ticket, timeout: .seconds(600))
        #expect(clock.now - start < .seconds(120), "the event before the wait did not end it")
    }
}
