import Foundation
import HTTPTypes
import HummingbirdTesting
import SeekCore
import SeekStore
import SeekTestSupport
import Testing

extension TestClientProtocol {
    /// Calls the runner API with a runner token.
    func runner(_ path: String, token: String, body: String) async throws -> (status: Int, json: JSONValue) {
        let answer = try await call(.post, "/v1/runner/\(path)", key: nil, body: body, headers: [.authorization: "Bearer \(token)"])
        return (answer.status, answer.json)
    }

    /// Creates and publishes `acme-upper` for `key` and returns a runner token for it.
    func publishedWorkerToken(key: String, manifest: String = manifestBody()) async throws -> String {
        _ = try await call(.post, "/v1/workers", key: key, body: manifest)
        _ = try await call(.post, "/v1/workers/acme-upper/publish", key: key)
        let created = try await call(.post, "/v1/workers/acme-upper/runner-tokens", key: key)
        return created.json["token"]?.stringValue ?? ""
    }
}

@Suite("The runner API")
struct RunnerAPITests {
    @Test("runner tokens: made by the owner, shown once, listed without the secret; a revoked token gets 401 at its next call")
    func tokens() async throws {
        let api = try await APIFixture()
        let other = try await api.another()
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            #expect(token.hasPrefix("srt_") && token.count == 47)
            let listed = try await client.call(.get, "/v1/workers/acme-upper/runner-tokens", key: api.key).json["data"]?.arrayValue ?? []
            #expect(listed.count == 1 && listed.first?["token"] == nil && listed.first?["prefix"] == .string(String(token.prefix(12))))
            for (method, path) in [
                (HTTPRequest.Method.post, "/v1/workers/acme-upper/runner-tokens"), (.get, "/v1/workers/acme-upper/runner-tokens"),
                (.delete, "/v1/workers/acme-upper/runner-tokens/\(listed.first?["id"]?.stringValue ?? "")"),
            ] {
                #expect(try await client.call(method, path, key: other.key).status == 404, "another workspace's tokens: \(method) \(path)")
            }
            #expect(try await client.runner("claim", token: token, body: #"{"runner_id": "r1"}"#).status == 200)
            #expect(try await client.runner("claim", token: token, body: #"{"runner_id": "bad id!"}"#).status == 400)
            #expect(try await client.runner("claim", token: token, body: #"{"runner_id": "r1", "limit": 0}"#).status == 400)
            #expect(try await client.runner("claim", token: "srt_nonsense", body: #"{"runner_id": "r1"}"#).status == 401)
            #expect(try await client.runner("claim", token: api.key, body: #"{"runner_id": "r1"}"#).status == 401, "an API key is no runner token")
            let id = try #require(listed.first?["id"]?.stringValue)
            let revoked = try await client.call(.delete, "/v1/workers/acme-upper/runner-tokens/\(id)", key: api.key)
            #expect(revoked.status == 200 && revoked.json["revoked_at"]?.stringValue != nil)
            let refused = try await client.runner("claim", token: token, body: #"{"runner_id": "r1"}"#)
            #expect(refused.status == 401 && refused.json.errorCode == "unauthorized")
        }
    }

    @Test("a claim waits for work and takes it when it is submitted; a token claims only its own worker's jobs")
    func longPoll() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            _ = try await client.call(.post, "/v1/workers/echo/jobs", key: other.key, body: "{}")
            async let claimed = client.runner("claim", token: token, body: #"{"runner_id": "r1", "limit": 4, "wait_s": 30}"#)
            // The claim is waiting (or about to): the submit wakes it, whichever comes first.
            let submitted = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "hi"}"#)
            let answer = try await claimed
            #expect(answer.status == 200)
            let jobs = answer.json["jobs"]?.arrayValue ?? []
            #expect(jobs.map { $0["job_uuid"] } == [submitted.json["job_uuid"]], "the echo job is not this token's")
            #expect(jobs.first?["input"] == ["text": "hi"] && jobs.first?["attempt"] == 1 && jobs.first?["worker_version"] == 1)
            #expect(try await client.runner("claim", token: token, body: #"{"runner_id": "r1", "wait_s": 0}"#).json["jobs"] == [])
            let deployment = try await client.call(.get, "/v1/me/deployments", key: api.key).json["data"]?.arrayValue?.first
            #expect(deployment?["runners_online"] == 1)
        }
    }

    @Test("finish records the outcome priced by the job's version; a runner that lost the lease gets 409 and changes nothing")
    func finish() async throws {
        let api = try await APIFixture(credits: 0)
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            for text in ["a", "b", "c", "d"] {
                _ = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: "{\"text\": \"\(text)\"}")
            }
            let jobs = try await client.runner("claim", token: token, body: #"{"runner_id": "r1", "limit": 4}"#).json["jobs"]?.arrayValue ?? []
            let ids = jobs.compactMap { $0["job_uuid"]?.stringValue }
            #expect(ids.count == 4)
            let heartbeat = try await client.runner("heartbeat", token: token, body: #"{"runner_id": "r1", "jobs": ["\#(ids[0])"]}"#)
            #expect(heartbeat.json["renewed"] == [.string(ids[0])] && heartbeat.json["lost"] == [])
            let foreign = try await client.runner("heartbeat", token: token, body: #"{"runner_id": "r2", "jobs": ["\#(ids[0])"]}"#)
            #expect(foreign.json["lost"] == [.string(ids[0])], "another runner process of the same token holds no lease on it")

            func finish(_ id: String, runner: String = "r1", attempt: Int = 1, _ report: String) async throws -> (status: Int, json: JSONValue) {
                try await client.runner("jobs/\(id)/finish", token: token, body: "{\"runner_id\": \"\(runner)\", \"attempt\": \(attempt), \(report)}")
            }
            let done = #""status": "completed", "result": {"kind": "object", "data": {"text": "A"}, "items": [], "meta": {}}"#
            #expect(try await finish(ids[0], runner: "r2", done).status == 409)
            #expect(try await finish(ids[0], attempt: 2, done).status == 409)
            #expect(try await finish(ids[0], #""status": "exploded""#).status == 400)
            let completed = try await finish(ids[0], done)
            #expect(completed.status == 200 && completed.json["status"] == "completed")
            #expect(try await finish(ids[0], done).status == 409, "a second report of the same run")
            let wrongKind = try await finish(ids[1], #""status": "completed", "result": {"kind": "list", "items": [1]}"#)
            #expect(wrongKind.json["status"] == "failed")
            #expect(try await finish(ids[2], #""status": "failed", "error": {"code": "bad_input", "message": "no"}"#).json["status"] == "failed")
            #expect(try await finish(ids[3], #""status": "timeout""#).json["status"] == "timeout")

            let first = try await client.call(.get, "/v1/jobs/\(ids[0])", key: other.key).json
            #expect(first["result"]?["data"] == ["text": "A"] && first["cost_credits"] == 10)
            let mismatch = try await client.call(.get, "/v1/jobs/\(ids[1])", key: other.key).json
            #expect(mismatch["error"]?["code"] == "invalid_result" && mismatch["cost_credits"] == 0)
            #expect(try await client.call(.get, "/v1/jobs/\(ids[2])", key: other.key).json["error"] == ["code": "bad_input", "message": "no"])
            #expect(try await client.call(.get, "/v1/jobs/\(ids[3])", key: other.key).json["cost_credits"] == 0)
            #expect(try await client.call(.get, "/v1/me/credits", key: other.key).json["balance"] == 90)
            #expect(try await client.call(.get, "/v1/me/credits", key: api.key).json["balance"] == 8)
        }
    }

    @Test("a job whose runner stops renewing goes back to the queue; the late report of the old run is a 409")
    func lostLease() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            let submitted = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "x"}"#)
            let id = try #require(submitted.json["job_uuid"]?.stringValue)
            #expect(try await client.runner("claim", token: token, body: #"{"runner_id": "r1"}"#).json["jobs"]?.arrayValue?.count == 1)
            // The lease runs out (as if r1 died): the reaper's call, with a cutoff past the lease.
            #expect(try await api.server.runtime.queue.requeueExpiredLeases(before: Date().addingTimeInterval(3600)) == 1)
            let again = try await client.runner("claim", token: token, body: #"{"runner_id": "r2"}"#).json["jobs"]?.arrayValue ?? []
            #expect(again.first?["job_uuid"] == .string(id) && again.first?["attempt"] == 2)
            let done = #""status": "completed", "result": {"kind": "object", "data": {}, "items": [], "meta": {}}"#
            let late = try await client.runner("jobs/\(id)/finish", token: token, body: "{\"runner_id\": \"r1\", \"attempt\": 1, \(done)}")
            #expect(late.status == 409)
            let fresh = try await client.runner("jobs/\(id)/finish", token: token, body: "{\"runner_id\": \"r2\", \"attempt\": 2, \(done)}")
            #expect(fresh.status == 200)
            #expect(try await client.call(.get, "/v1/me/credits", key: other.key).json["balance"] == 90, "charged once")
        }
    }

    @Test("a finish with claim_next leases the next jobs in the same call; with none queued it answers no jobs")
    func claimNext() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let token = try await client.publishedWorkerToken(key: api.key)
            var submitted: [JSONValue] = []
            for text in ["a", "b", "c"] {
                submitted.append(
                    try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: "{\"text\": \"\(text)\"}").json["job_uuid"]
                        ?? .null
                )
            }
            let first = try await client.runner("claim", token: token, body: #"{"runner_id": "r1"}"#).json["jobs"]?.arrayValue ?? []
            #expect(first.map { $0["job_uuid"] } == [submitted[0]])
            let done = #""status": "completed", "result": {"kind": "object", "data": {}, "items": [], "meta": {}}"#
            func finish(_ id: JSONValue?, next: Int) async throws -> JSONValue {
                let body = "{\"runner_id\": \"r1\", \"attempt\": 1, \"claim_next\": \(next), \(done)}"
                return try await client.runner("jobs/\(id?.stringValue ?? "")/finish", token: token, body: body).json
            }
            let second = try await finish(first.first?["job_uuid"], next: 5)
            #expect(second["status"] == "completed" && second["lease_s"] != nil)
            let next = second["jobs"]?.arrayValue ?? []
            #expect(next.map { $0["job_uuid"] } == [submitted[1], submitted[2]], "both queued jobs, oldest first")
            #expect(next.first?["input"] == ["text": "b"] && next.first?["output_kind"] == "object")
            let held = try await client.runner(
                "heartbeat",
                token: token,
                body: "{\"runner_id\": \"r1\", \"jobs\": [\(next.compactMap { $0["job_uuid"]?.serializedString }.joined(separator: ", "))]}"
            )
            #expect(held.json["lost"] == [], "the jobs are leased to r1")
            #expect(try await finish(next[0]["job_uuid"], next: 1)["jobs"] == [])
            let bad = try await client.runner(
                "jobs/\(next[1]["job_uuid"]?.stringValue ?? "")/finish",
                token: token,
                body: "{\"runner_id\": \"r1\", \"attempt\": 1, \"claim_next\": -1, \(done)}"
            )
            #expect(bad.status == 400 && bad.json.errorCode == "bad_request")
        }
    }
}
