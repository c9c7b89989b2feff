import Foundation
import OpenAPIRuntime
import SeekCore

/// One server-sent event of a job's life (`GET /v1/jobs/{job_uuid}/events`, `GET /v1/events`).
public struct JobEvent: Sendable {
    public enum Kind: String, Sendable {
        case status, log, item, warning, done
    }

    /// The stream's position: hand it back as `Last-Event-ID` to resume after this event.
    public let id: String?
    /// Nil for a kind this client does not know (a newer server's); `name` still says what it was.
    public let kind: Kind?
    public let name: String
    public let jobID: String?
    /// For `status`: the job's new status.
    public let status: String?
    /// For `log` and `warning`.
    public let message: String?
    /// For `item`: how many items the job has produced so far.
    public let count: Int?
    /// For `done`: the terminal job, as `GET /v1/jobs/{job_uuid}` shows it.
    public let job: Components.Schemas.Job?
    /// The event's data as sent: one line of JSON.
    public let data: String

    init(_ event: ServerSentEvent) throws {
        id = event.id
        name = event.event ?? "message"
        kind = Kind(rawValue: name)
        data = event.data ?? ""
        let fields = (try? JSONParser.parse(data)) ?? .null
        if kind == .done {
            job = try JSONDecoder.seek.decode(Components.Schemas.Job.self, from: Data(data.utf8))
            jobID = job?.jobUuid
            status = job?.status.rawValue
        } else {
            job = nil
            jobID = fields["job_id"]?.stringValue
            status = fields["status"]?.stringValue
        }
        message = fields["message"]?.stringValue
        count = fields["count"]?.integerValue.map(Int.init)
    }

    /// Whether this event is the stream's last: a job's stream ends with `done`.
    public var isDone: Bool { kind == .done }
}

extension SeekClient {
    /// A job's events until its `done`, reconnecting with `Last-Event-ID` when the connection drops, so that
    /// no event is lost or repeated. Opened on a finished job, it yields the terminal `status` and `done`.
    public func events(job jobID: String, after lastEventID: String? = nil) -> AsyncThrowingStream<JobEvent, any Error> {
        follow(after: lastEventID, endsWithDone: true) { last in
            try await streams.streamJobEvents(path: .init(jobUuid: jobID), headers: .init(lastEventID: last)).ok.body.textEventStream
        }
    }

    /// All of the workspace's jobs' events, optionally of one worker or status; it ends only when cancelled.
    public func events(
        worker: String? = nil,
        status: Operations.StreamEvents.Input.Query.StatusPayload? = nil,
        after lastEventID: String? = nil
    ) -> AsyncThrowingStream<JobEvent, any Error> {
        follow(after: lastEventID, endsWithDone: false) { last in
            try await streams.streamEvents(query: .init(worker: worker, status: status), headers: .init(lastEventID: last)).ok.body
                .textEventStream
        }
    }

    /// Consecutive failed connections before a stream gives up (each waits a little longer).
    static let reconnectAttempts = 5

    private func follow(
        after lastEventID: String?,
        endsWithDone: Bool,
        open: @escaping @Sendable (String?) async throws -> HTTPBody
    ) -> AsyncThrowingStream<JobEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var last = lastEventID
                var failures = 0
                while !Task.isCancelled {
                    do {
                        let body = try await call { try await open(last) }
                        for try await event in body.asDecodedServerSentEvents() {
                            // Keep-alive comments carry no event.
                            guard event.event != nil || event.data != nil else { continue }
                            let decoded = try JobEvent(event)
                            if let id = decoded.id { last = id }
                            failures = 0
                            continuation.yield(decoded)
                            if endsWithDone && decoded.isDone {
                                continuation.finish()
                                return
                            }
                        }
                        failures += 1
                    } catch let error as SeekAPIError where error.status != 429 && error.status < 500 {
                        // The job does not exist, or the key is wrong: connecting again will not change it.
                        continuation.finish(throwing: error)
                        return
                    } catch is CancellationError {
                        break
                    } catch {
                        failures += 1
                        if failures >= Self.reconnectAttempts {
                            continuation.finish(throwing: SeekAPIError.unwrapped(error))
                            return
                        }
                    }
                    if failures >= Self.reconnectAttempts {
                        continuation.finish(throwing: SeekClientError.unexpectedResponse("the event stream kept ending without its last event"))
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(200 * (1 << failures)))
                }
                continuation.finish(throwing: CancellationError())
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
