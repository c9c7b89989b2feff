import Foundation
import HTTPTypes
import HummingbirdTesting
import SeekCore
import SeekStore
import SeekTestSupport
import Testing

/// A manifest as a publisher sends it.
func manifestBody(id: String = "acme-upper", version: String = "1.0.0", credits: Int = 10, extra: String = "") -> String {
    """
    {"id": "\(id)", "name": "Upper", "description": "Upper-cases text.", "version": "\(version)", "categories": ["text"],
     "input_schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
     "output": {"kind": "object"}, "pricing": {"billing_mode": "per_run", "credits_per_run": \(credits)}, "max_duration_s": 30\(extra)}
    """
}

@Suite("Publishing workers")
struct PublishingAPITests {
    @Test("a bad manifest is a 422 that names every bad path; a taken id or a bad slug too")
    func badManifests() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let bad = """
                {"id": "Bad Slug", "name": "", "version": "one", "input_schema": {"type": "object", "pattern": "("},
                 "output": {"kind": "table"}, "pricing": {"billing_mode": "per_event", "credits_per_event": -1}, "max_duration_s": 0}
                """
            let refused = try await client.call(.post, "/v1/workers", key: api.key, body: bad)
            #expect(refused.status == 422 && refused.json.errorCode == "unprocessable_entity")
            let paths = Set(refused.json["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? [])
            #expect(
                paths == [
                    "/id", "/name", "/version", "/input_schema", "/output/kind", "/pricing/credits_per_event", "/pricing/max_events",
                    "/max_duration_s",
                ]
            )
            let builtIn = try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody(id: "echo"))
            #expect(builtIn.status == 422 && builtIn.json["details"]?.arrayValue?.first?["path"] == "/id")
            #expect(try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody()).status == 201)
            let taken = try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody())
            #expect(taken.status == 422 && taken.json["details"]?.arrayValue?.first?["path"] == "/id")
            #expect(try await client.call(.post, "/v1/workers", key: api.key, body: "[1]").status == 400)
        }
    }

    @Test("a draft is its owner's alone: 404 to anybody else by every route, until it is published")
    func draftsArePrivate() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            let created = try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody())
            #expect(created.status == 201 && created.json["state"] == "draft" && created.json["version_number"] == 1)
            #expect(created.headers[.location] == "/v1/workers/acme-upper")
            #expect(try await client.call(.get, "/v1/workers/acme-upper", key: api.key).json["state"] == "draft")

            for (method, path, body) in [
                (HTTPRequest.Method.get, "/v1/workers/acme-upper", nil),
                (.post, "/v1/workers/acme-upper/jobs", #"{"text": "hi"}"#),
                (.put, "/v1/workers/acme-upper", manifestBody(version: "2.0.0")),
                (.post, "/v1/workers/acme-upper/publish", nil),
                (.post, "/v1/workers/acme-upper/unpublish", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                let answer = try await client.call(method, path, key: other.key, body: body)
                #expect(answer.status == 404 && answer.json.errorCode == "not_found", "\(method) \(path)")
            }
            let listed = { (key: String) in
                try await client.call(.get, "/v1/workers?limit=100", key: key).json["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            }
            #expect(try await listed(other.key) == ["echo", "sleep"])

            let published = try await client.call(.post, "/v1/workers/acme-upper/publish", key: api.key)
            #expect(published.status == 200 && published.json["state"] == "published")
            #expect(try await listed(other.key) == ["acme-upper", "echo", "sleep"])
            let seen = try await client.call(.get, "/v1/workers/acme-upper", key: other.key).json
            #expect(seen["output"]?["kind"] == "object" && seen["output_kind"] == "object" && seen["state"] == nil)
            #expect(seen["input_schema"]?["required"] == ["text"])
            #expect(try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": 1}"#).status == 422)

            let job = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "hi"}"#)
            #expect(job.status == 202 && job.json["cost_estimate_credits"] == 10)

            #expect(try await client.call(.post, "/v1/workers/acme-upper/unpublish", key: api.key).json["state"] == "unpublished")
            #expect(try await listed(other.key) == ["echo", "sleep"])
            #expect(try await client.call(.get, "/v1/workers/acme-upper", key: other.key).status == 404)
            #expect(try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "hi"}"#).status == 404)
            // The job queued before it left the list still waits to run, and its caller still sees it.
            let uuid = try #require(job.json["job_uuid"]?.stringValue)
            #expect(try await client.call(.get, "/v1/jobs/\(uuid)", key: other.key).json["status"] == "queued")
            #expect(try await api.fixture.store.claim(workers: ["acme-upper"], limit: 5, claimant: "runner", leaseSeconds: 30).map(\.id) == [uuid])
        }
    }

    @Test("a job keeps the version it was submitted with; a used version or another id is a 422")
    func versions() async throws {
        let api = try await APIFixture()
        let other = try await api.another(credits: 100)
        try await api.test { client in
            _ = try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody())
            _ = try await client.call(.post, "/v1/workers/acme-upper/publish", key: api.key)
            let first = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "a"}"#).json
            let updated = try await client.call(.put, "/v1/workers/acme-upper", key: api.key, body: manifestBody(version: "1.1.0", credits: 20))
            #expect(updated.status == 200 && updated.json["version"] == "1.1.0" && updated.json["version_number"] == 2)
            #expect(updated.json["state"] == "published", "a new version keeps the worker listed")
            let second = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "b"}"#).json
            #expect(first["cost_estimate_credits"] == 10 && second["cost_estimate_credits"] == 20)
            for (job, version) in [(first, "1.0.0"), (second, "1.1.0")] {
                let uuid = try #require(job["job_uuid"]?.stringValue)
                #expect(try await client.call(.get, "/v1/jobs/\(uuid)", key: other.key).json["worker_version"] == .string(version))
            }
            let reused = try await client.call(.put, "/v1/workers/acme-upper", key: api.key, body: manifestBody(version: "1.0.0"))
            #expect(reused.status == 422 && reused.json["details"]?.arrayValue?.first?["path"] == "/version")
            let renamed = try await client.call(.put, "/v1/workers/acme-upper", key: api.key, body: manifestBody(id: "acme-other", version: "3.0.0"))
            #expect(renamed.status == 422 && renamed.json["details"]?.arrayValue?.first?["path"] == "/id")
            let echo = try await client.call(.post, "/v1/workers/echo/jobs", key: other.key, body: "{}").json
            let echoJob = try await client.call(.get, "/v1/jobs/\(echo["job_uuid"]?.stringValue ?? "")", key: other.key).json
            #expect(echoJob["worker_version"] == "1.0.0", "built-in jobs say their version too")
        }
    }

    @Test("earnings: the publisher is paid the charge less the fee; its own jobs cost nothing; deployments and usage show it")
    func earnings() async throws {
        let api = try await APIFixture(credits: 0)
        let other = try await api.another(credits: 100)
        try await api.test { client in
            _ = try await client.call(.post, "/v1/workers", key: api.key, body: manifestBody())
            _ = try await client.call(.post, "/v1/workers/acme-upper/publish", key: api.key)
            let own = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: api.key, body: #"{"text": "mine"}"#)
            #expect(own.status == 202 && own.json["cost_estimate_credits"] == 0, "a publisher's own job costs nothing, even with no credits")
            _ = try await client.call(.post, "/v1/workers/acme-upper/jobs", key: other.key, body: #"{"text": "theirs"}"#)

            let queue = api.server.runtime.queue
            let claimed = try await queue.claim(workers: ["acme-upper"], limit: 5, claimant: "runner", leaseSeconds: 30)
            #expect(claimed.count == 2)
            for job in claimed {
                let cost = CostBreakdown(runCredits: job.reservedCredits, infraCredits: 0)
                _ = try await queue.finish(
                    job,
                    claimant: "runner",
                    outcome: .completed(.object(["ok": true]), files: [], cost: cost),
                    runSeconds: 0.1
                )
            }
            let publisher = try await client.call(.get, "/v1/me/credits", key: api.key).json
            let caller = try await client.call(.get, "/v1/me/credits", key: other.key).json
            #expect(publisher["balance"] == 8 && caller["balance"] == 90)
            for workspace in [api.workspaceID, other.workspaceID] {
                let (cached, ledger) = try await api.fixture.balances(workspace)
                #expect(cached == ledger)
            }
            let usage = try await client.call(.get, "/v1/me/usage", key: api.key).json
            #expect(usage["earnings"]?["credits"] == 8 && usage["earnings"]?["by_worker"]?.arrayValue?.first?["worker"] == "acme-upper")
            #expect(usage["credits"] == 0)
            let deployments = try await client.call(.get, "/v1/me/deployments", key: api.key).json["data"]?.arrayValue ?? []
            #expect(deployments.count == 1)
            #expect(deployments.first?["worker"] == "acme-upper" && deployments.first?["state"] == "published")
            #expect(deployments.first?["jobs_this_month"] == 2 && deployments.first?["credits_earned_this_month"] == 8)
            #expect(try await client.call(.get, "/v1/me/deployments", key: other.key).json["data"] == [])
        }
    }
}
