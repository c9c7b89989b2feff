import DequeModule
import Foundation
import SeekCore
import SeekStore
import Synchronization

/// One thing that happened to a job, as its event stream tells it (`GET /v1/jobs/{id}/events`).
public struct JobEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The job moved: `data.status` is where it is now.
        case status
        /// A line the worker or its runner logged for the caller.
        case log
        /// A list worker's progress: `data.count` items so far (the items come with the result).
        case item
        /// A problem that did not stop the job (it is also in the result's `meta.warnings`).
        case warning
    }

    /// Increasing across all of this process's events, and across its restarts (it starts from the clock), so
    /// that a stream resumed with `Last-Event-ID` sends exactly what came after.
    public let id: Int64
    public let jobID: String
    public let workspaceID: String
    public let workerID: String
    public let kind: Kind
    public let data: JSONValue
    public let at: Date

    /// A status event for a terminal status: the job's last event.
    public var isTerminal: Bool {
        guard kind == .status, let status = data["status"]?.stringValue.flatMap(JobStatus.init(rawValue:)) else { return false }
        return status.isTerminal
    }
}

/// What a job's event stream can know of a job when it is opened, or when news came from another process.
public struct JobEventSubject: Sendable, Equatable {
    public var jobID: String
    public var workspaceID: String
    public var workerID: String

    public init(jobID: String, workspaceID: String, workerID: String) {
        self.jobID = jobID
        self.workspaceID = workspaceID
        self.workerID = workerID
    }

    public init(_ job: Job) { self.init(jobID: job.id, workspaceID: job.workspaceID, workerID: job.workerID) }
    public init(_ job: ClaimedJob) { self.init(jobID: job.id, workspaceID: job.workspaceID, workerID: job.workerID) }
}

/// The recent events of this process's jobs, fed by the front door (`JobQueue`) and the runner, read by event
/// streams. A stream takes a ticket, reads what came after its last event, and waits on the ticket: nothing that
/// comes between is missed, nothing is sent twice.
///
/// Kept in memory, per job and per workspace, for the most recent jobs (`jobCapacity`) and each workspace's most
/// recent events (`workspaceCapacity`). The store stays the truth of a job's status: a stream on a job this
/// process has no events of starts from the stored status, and news of an ending from another process
/// (`touch`) makes a stream read the store again.
public final class JobEventJournal: Sendable {
    public enum Key: Hashable, Sendable {
        case job(String)
        case workspace(String)
    }

    private struct JobLog {
        var events: [JobEvent] = []
        var ended = false
    }

    // Every collection here is changed in place (`[key, default:]`): a copy taken out of a dictionary and put
    // back copies the whole collection, which for a workspace's 2,000 events made each event cost 2,000 copies.
    private struct State {
        var nextID: Int64
        var jobs: [String: JobLog] = [:]
        /// Jobs in the order their first events came, for forgetting the oldest.
        var order: Deque<String> = []
        var workspaces: [String: Deque<JobEvent>] = [:]
    }

    public let jobCapacity: Int
    public let workspaceCapacity: Int
    /// A job's events beyond this many are dropped (its status events never are).
    public static let eventsPerJob = 1000
    private let state: Mutex<State>
    private let news = WaitList<Key>()

    public init(jobCapacity: Int = 20_000, workspaceCapacity: Int = 2_000, now: Date = Date()) {
        self.jobCapacity = jobCapacity
        self.workspaceCapacity = workspaceCapacity
        state = Mutex(State(nextID: Int64(now.timeIntervalSince1970 * 1000) * 1000))
    }

    /// Records a job's move to `status`; a second terminal status for one job is not recorded.
    @discardableResult
    public func status(_ subject: JobEventSubject, _ status: JobStatus, at: Date = Date()) -> JobEvent? {
        record(subject, .status, ["status": .string(status.rawValue)], at: at)
    }

    /// Records what a worker or runner reported while the job runs.
    @discardableResult
    public func record(_ subject: JobEventSubject, _ kind: JobEvent.Kind, _ data: JSONValue, at: Date = Date()) -> JobEvent? {
        let event = state.withLock { state -> JobEvent? in
            let (known, ended, count) = state.jobs[subject.jobID].map { (true, $0.ended, $0.events.count) } ?? (false, false, 0)
            if ended { return nil }
            if kind != .status, count >= Self.eventsPerJob { return nil }
            state.nextID += 1
            let event = JobEvent(
                id: state.nextID,
                jobID: subject.jobID,
                workspaceID: subject.workspaceID,
                workerID: subject.workerID,
                kind: kind,
                data: data,
                at: at
            )
            if !known { state.order.append(subject.jobID) }
            state.jobs[subject.jobID, default: JobLog()].events.append(event)
            state.jobs[subject.jobID, default: JobLog()].ended = event.isTerminal
            state.workspaces[subject.workspaceID, default: []].append(event)
            if state.workspaces[subject.workspaceID, default: []].count > workspaceCapacity {
                state.workspaces[subject.workspaceID, default: []].removeFirst()
            }
            while state.jobs.count > jobCapacity, let oldest = state.order.popFirst() { state.jobs.removeValue(forKey: oldest) }
            return event
        }
        guard let event else { return nil }
        news.notify(.job(event.jobID))
        news.notify(.workspace(event.workspaceID))
        return event
    }

    /// News from another process that the job may have moved: its streams read the store again.
    public func touch(jobID: String) {
        news.notify(.job(jobID))
    }

    /// The job's events after `after` (all with nil), oldest first.
    public func events(jobID: String, after: Int64?) -> [JobEvent] {
        state.withLock { $0.jobs[jobID]?.events.after(after) ?? [] }
    }

    /// Whether this process has any event of the job.
    public func knows(jobID: String) -> Bool {
        state.withLock { $0.jobs[jobID] != nil }
    }

    /// The workspace's recent events after `after` (all with nil), oldest first.
    public func events(workspaceID: String, after: Int64?) -> [JobEvent] {
        state.withLock { $0.workspaces[workspaceID]?.after(after) ?? [] }
    }

    /// The id of the workspace's newest event, where a stream that starts now begins.
    public func latestID(workspaceID: String) -> Int64? {
        state.withLock { $0.workspaces[workspaceID]?.last?.id }
    }

    /// Interest in `key`'s next events, taken before reading what came so far.
    public func ticket(for key: Key) -> WaitList<Key>.Ticket { news.ticket(for: key) }

    /// Gives a ticket back unused.
    public func discard(_ ticket: WaitList<Key>.Ticket) { news.discard(ticket) }

    /// Returns when `key` has news since the ticket was taken, at `timeout`, or when the task is cancelled.
    public func wait(_ ticket: WaitList<Key>.Ticket, timeout: Duration) async { await news.wait(ticket, timeout: timeout) }
}

extension RandomAccessCollection where Element == JobEvent {
    /// The events after `id` (all with nil). Ids increase along the collection, so a binary search finds where
    /// they start: a stream's wake costs what it sends, not the length of the history.
    fileprivate func after(_ id: Int64?) -> [JobEvent] {
        guard let id else { return Array(self) }
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = index(low, offsetBy: distance(from: low, to: high) / 2)
            if self[middle].id <= id { low = index(after: middle) } else { high = middle }
        }
        return Array(self[low...])
    }
}
