import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SeekCore

/// Why a runner API call did not do what it asked.
public enum RunnerAPIError: Error, Equatable, Sendable {
    /// The token is wrong or was revoked: the runner stops.
    case unauthorized(String)
    /// The runner no longer holds the job's lease: its report is dropped.
    case leaseLost
    /// The request itself is wrong (a bug in the runner, or a server from another version).
    case refused(status: Int, message: String)
    /// No answer, or the server failed: worth retrying.
    case unavailable(String)
}

/// The runner API over HTTP (`POST /v1/runner/…`), as one runner process calls it.
public struct RunnerAPIClient: Sendable {
    public let server: String
    let token: String
    public let runnerID: String
    let http: HTTPClient
    /// The most an answer may carry: a claim's jobs hold their inputs.
    static let answerLimit = 64 << 20

    public init(server: String, token: String, runnerID: String, http: HTTPClient = .shared) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.runnerID = runnerID
        self.http = http
    }

    /// Up to `limit` jobs, and how long their leases last; holds up to `wait` when none waits.
    public func claim(limit: Int, wait: Duration) async throws(RunnerAPIError) -> (jobs: [RunnerJob], leaseSeconds: Double) {
        let answer = try await post(
            "claim",
            ["runner_id": .string(runnerID), "limit": .integer(limit), "wait_s": .integer(Int(wait.seconds))],
            timeout: wait + .seconds(15)
        )
        return ((answer["jobs"]?.arrayValue ?? []).compactMap(RunnerJob.init(json:)), answer["lease_s"]?.numberValue ?? 30)
    }

    /// Renews the leases of `jobIDs`; returns the ids whose lease was lost.
    public func heartbeat(_ jobIDs: [String]) async throws(RunnerAPIError) -> Set<String> {
        let answer = try await post("heartbeat", ["runner_id": .string(runnerID), "jobs": .array(jobIDs.map(JSONValue.string))])
        return Set((answer["lost"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Reports how `job` ended; the server leases up to `claimNext` more jobs in the same commit and
    /// answers with them.
    public func finish(_ job: RunnerJob, _ report: RunnerReport, claimNext: Int = 0) async throws(RunnerAPIError) -> [RunnerJob] {
        guard case var .object(body) = report.json else { return [] }
        body["runner_id"] = .string(runnerID)
        body["attempt"] = .integer(job.attempt)
        if claimNext > 0 { body["claim_next"] = .integer(claimNext) }
        let answer = try await post("jobs/\(job.id)/finish", .object(body))
        return (answer["jobs"]?.arrayValue ?? []).compactMap(RunnerJob.init(json:))
    }

    /// Uploads a result file of `job`; returns its id, for the finish to name.
    public func upload(_ job: RunnerJob, name: String, contentType: String, bytes: [UInt8]) async throws(RunnerAPIError) -> String {
        var query = URLComponents()
        query.queryItems = [URLQueryItem(name: "runner_id", value: runnerID), URLQueryItem(name: "name", value: name)]
        let answer = try await post(
            "jobs/\(job.id)/files?\(query.percentEncodedQuery ?? "")",
            bytes: bytes,
            contentType: contentType,
            timeout: .seconds(120)
        )
        guard let id = answer["id"]?.stringValue else { throw .refused(status: 200, message: "The upload's answer has no file id.") }
        return id
    }

    private func post(_ path: String, _ body: JSONValue, timeout: Duration = .seconds(30)) async throws(RunnerAPIError) -> JSONValue {
        try await post(path, bytes: Array(body.serializedString.utf8), contentType: "application/json", timeout: timeout)
    }

    private func post(_ path: String, bytes: [UInt8], contentType: String, timeout: Duration) async throws(RunnerAPIError) -> JSONValue {
        var request = HTTPClientRequest(url: "\(server)/v1/runner/\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "User-Agent", value: "seek-runner")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let status: Int
        let answer: JSONValue
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            let bytes = try await response.body.collect(upTo: Self.answerLimit)
            status = Int(response.status.code)
            answer = (try? JSONParser.parse(Array(bytes.readableBytesView))) ?? .null
        } catch {
            throw .unavailable("\(server) did not answer: \(String(describing: error).prefix(200))")
        }
        let message = answer["message"]?.stringValue ?? "HTTP \(status)"
        switch status {
        case 200..<300: return answer
        case 401: throw .unauthorized(message)
        case 409: throw .leaseLost
        case 429, 500...: throw .unavailable(message)
        default: throw .refused(status: status, message: message)
        }
    }
}
