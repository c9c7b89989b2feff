import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SeekCore
import SeekRuntime
import SeekStore
import Synchronization

/// `GET /v1/jobs/{job_uuid}/events` and `GET /v1/events`: server-sent events of a job's life, or of all a
/// workspace's jobs. Every event carries an `id`; a client that reconnects with `Last-Event-ID` gets exactly the
/// events after it. A job's stream ends with a `done` event carrying the terminal job.
struct EventsController {
    /// A comment on an idle stream this often, so that proxies and clients know it is alive.
    static let keepAlive: Duration = .seconds(15)

    let store: any SeekStore
    let journal: JobEventJournal
    let presenter: Presenter
    let streams: StreamLimit

    func register(in v1: RouterGroup<SeekRequestContext>) {
        v1.get("jobs/:job_uuid/events", use: jobEvents)
        v1.get("events", use: workspaceEvents)
    }

    @Sendable func jobEvents(request: Request, context: SeekRequestContext) async throws -> Response {
        let id = try Query.jobID(context)
        let workspaceID = try context.workspaceID()
        guard let job = try await store.job(id: id, workspaceID: workspaceID) else { throw SeekError.notFound("Job \(id)") }
        let after = try Self.lastEventID(request)
        let lease = try streams.open(for: try keyID(context))
        let (store, journal, presenter, version) = (store, journal, presenter, context.apiVersion)
        return Self.stream { writer in
            defer { lease.close() }
            // A job this process has not seen move (it began before this process, or elsewhere) starts from its row.
            if !journal.knows(jobID: id) { journal.status(JobEventSubject(job), job.status, at: job.completedAt ?? job.createdAt) }
            var last = after
            while !Task.isCancelled {
                let ticket = journal.ticket(for: .job(id))
                var events = journal.events(jobID: id, after: last)
                if events.isEmpty, let stored = try await store.job(id: id, workspaceID: workspaceID), stored.status.isTerminal {
                    // Ended where this process did not see it (another node's runner): the row says how.
                    journal.status(JobEventSubject(stored), stored.status, at: stored.completedAt ?? Date())
                    events = journal.events(jobID: id, after: last)
                }
                for event in events {
                    try await writer.write(Self.frame(event))
                    last = event.id
                    if event.isTerminal {
                        journal.discard(ticket)
                        try await Self.sendDone(event, store: store, presenter: presenter, version: version, to: &writer)
                        return
                    }
                }
                if events.isEmpty { try await writer.write(Self.comment("keep-alive")) }
                await journal.wait(ticket, timeout: Self.keepAlive)
            }
        }
    }

    @Sendable func workspaceEvents(request: Request, context: SeekRequestContext) async throws -> Response {
        let workspaceID = try context.workspaceID()
        let query = request.uri.queryParameters
        let worker = query.get("worker")
        let status = try Query.status(request)
        let after = try Self.lastEventID(request)
        let lease = try streams.open(for: try keyID(context))
        let (store, journal, presenter, version) = (store, journal, presenter, context.apiVersion)
        let wanted: @Sendable (JobEvent) -> Bool = { event in
            if let worker, event.workerID != worker { return false }
            if let status { return event.kind == .status && event.data["status"]?.stringValue == status.rawValue }
            return true
        }
        // Without Last-Event-ID the stream starts now, before its 200 is sent: a workspace's past is `GET /v1/jobs`.
        let start = after ?? journal.latestID(workspaceID: workspaceID)
        return Self.stream { writer in
            defer { lease.close() }
            var last = start
            while !Task.isCancelled {
                let ticket = journal.ticket(for: .workspace(workspaceID))
                let events = journal.events(workspaceID: workspaceID, after: last)
                for event in events {
                    last = event.id
                    guard wanted(event) else { continue }
                    try await writer.write(Self.frame(event))
                    if event.isTerminal { try await Self.sendDone(event, store: store, presenter: presenter, version: version, to: &writer) }
                }
                if events.isEmpty { try await writer.write(Self.comment("keep-alive")) }
                await journal.wait(ticket, timeout: Self.keepAlive)
            }
        }
    }

    private func keyID(_ context: SeekRequestContext) throws -> String {
        guard let identity = context.identity else { throw SeekError.unauthorized }
        return identity.keyID
    }

    /// The `done` event after a job's terminal status: the job as `GET /v1/jobs/{id}` shows it, with the id of
    /// the status event it follows.
    private static func sendDone(
        _ terminal: JobEvent,
        store: any SeekStore,
        presenter: Presenter,
        version: APIVersion,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        guard let job = try await store.job(id: terminal.jobID, workspaceID: terminal.workspaceID) else { return }
        try await writer.write(frame(id: terminal.id, event: "done", data: presenter.job(job, version: version)))
    }

    /// `Last-Event-ID`, which must be an id this server sent (a number).
    static func lastEventID(_ request: Request) throws -> Int64? {
        guard let header = request.headers[.lastEventID] else { return nil }
        guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw SeekError(.badRequest, "Last-Event-ID must be the id of an event this server sent.")
        }
        return id
    }

    static func frame(_ event: JobEvent) -> ByteBuffer {
        var data = event.data.objectValue ?? [:]
        data["job_id"] = .string(event.jobID)
        data["worker_id"] = .string(event.workerID)
        data["at"] = Timestamp.json(event.at)
        return frame(id: event.id, event: event.kind.rawValue, data: .object(data))
    }

    static func frame(id: Int64, event: String, data: JSONValue) -> ByteBuffer {
        // The serialized JSON holds no newline, so it is one `data:` line.
        ByteBuffer(string: "id: \(id)\nevent: \(event)\ndata: \(data.serializedString)\n\n")
    }

    static func comment(_ text: String) -> ByteBuffer { ByteBuffer(string: ": \(text)\n\n") }

    private static func stream(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                try await body(&writer)
                try await writer.finish(nil)
            }
        )
    }
}

/// How many event streams each API key may hold open at once on this server: each holds a connection and a task.
final class StreamLimit: Sendable {
    let perKey: Int
    fileprivate let open = Mutex<[String: Int]>([:])

    init(perKey: Int) { self.perKey = perKey }

    /// One open stream's slot, given back when the stream ends (or its response is dropped unsent).
    final class Lease: Sendable {
        private let limit: StreamLimit
        private let keyID: String
        private let closed = Mutex(false)

        fileprivate init(limit: StreamLimit, keyID: String) {
            self.limit = limit
            self.keyID = keyID
        }

        func close() {
            guard
                closed.withLock({ closed in
                    defer { closed = true }
                    return !closed
                })
            else { return }
            limit.open.withLock { open in
                open[keyID, default: 1] -= 1
                if open[keyID] == 0 { open.removeValue(forKey: keyID) }
            }
        }

        deinit { close() }
    }

    /// A slot for one more stream of `keyID`, or a 429 past the cap.
    func open(for keyID: String) throws -> Lease {
        let taken = open.withLock { open -> Bool in
            guard open[keyID, default: 0] < perKey else { return false }
            open[keyID, default: 0] += 1
            return true
        }
        guard taken else {
            throw ErrorWithHeaders(
                SeekError(.tooManyRequests, "This API key has \(perKey) event streams open, the most it may. Close one, or retry after 1 s."),
                [.retryAfter: "1"]
            )
        }
        return Lease(limit: self, keyID: keyID)
    }

    /// Streams open now, for metrics and tests.
    var count: Int { open.withLock { $0.values.reduce(0, +) } }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
}
