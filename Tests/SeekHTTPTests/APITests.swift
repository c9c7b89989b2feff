import Foundation
import HTTPTypes
import HummingbirdTesting
import SeekCore
import SeekTestSupport
import Testing

@Suite("The /v1 API")
struct APITests {
    @Test("a missing, invalid or malformed key gets the seed's 401 body")
    func unauthorized() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            for key in [nil, "sk_live_wrong", "nonsense", String(repeating: "x", count: 500)] {
                let (status, _, json) = try await client.call(.get, "/v1/me", key: key)
                #expect(status == 401)
                #expect(json["error"] == "unauthorized")
                #expect(json["message"] == "Missing or invalid X-Api-Key header.")
                #expect(json["status"] == 401)
                #expect(json.errorCode == "unauthorized")
            }
        }
    }

    @Test("health, metrics and the OpenAPI document need no key")
    func operations() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            #expect(try await client.call(.get, "/healthz", key: nil).json == ["status": "ok"])
            let openapi = try await client.call(.get, "/v1/openapi.json", key: nil)
            #expect(openapi.status == 200)
            #expect(openapi.json["openapi"]?.stringValue?.hasPrefix("3.1") == true)
            _ = try await client.call(.get, "/v1/me", key: api.key)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(text.contains("seek_http_requests_total{"))
                #expect(text.contains("seek_queue_depth"))
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
        }
    }

    @Test("every response carries X-Request-Id; a sane incoming one is kept")
    func requestIDs() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let fresh = try await client.call(.get, "/v1/me", key: api.key)
            #expect(fresh.headers[HTTPField.Name("X-Request-Id")!]?.hasPrefix("req_") == true)
            let kept = try await client.call(.get, "/v1/nothing-here", key: api.key, headers: [HTTPField.Name("X-Request-Id")!: "trace-42"])
            #expect(kept.headers[HTTPField.Name("X-Request-Id")!] == "trace-42")
            #expect(kept.json["request_id"] == "trace-42")
            #expect(kept.status == 404)
        }
    }

    @Test("/v1/me and /v1/me/credits describe the workspace")
    func account() async throws {
        let api = try await APIFixture(credits: 42)
        try await api.test { client in
            let me = try await client.call(.get, "/v1/me", key: api.key).json
            #expect(me["workspace"]?["id"]?.stringValue == api.workspaceID)
            #expect(me["plan"]?["name"] == "pro")
            #expect(me["credits"] == ["balance": 42, "reserved": 0, "available": 42])
            let credits = try await client.call(.get, "/v1/me/credits", key: api.key).json
            #expect(credits["available"] == 42)
            #expect(credits["data"]?.arrayValue?.first?["type"] == "grant")
            #expect(credits["has_more"] == false)
            #expect(try await client.call(.get, "/v1/me/credits?cursor=bogus", key: api.key).status == 400)
            let deployments = try await client.call(.get, "/v1/me/deployments", key: api.key).json
            #expect(deployments == ["data": [], "has_more": false, "next_cursor": nil])
        }
    }

    @Test("workers list with cursor pagination, and show their manifest")
    func workers() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let first = try await client.call(.get, "/v1/workers?limit=1", key: api.key).json
            #expect(first["data"]?.arrayValue?.map { $0["id"] } == ["echo"])
            #expect(first["has_more"] == true)
            #expect(first["next_cursor"] == "echo")
            let second = try await client.call(.get, "/v1/workers?limit=1&cursor=echo", key: api.key).json
            #expect(second["data"]?.arrayValue?.map { $0["id"] } == ["sleep"])
            #expect(second["has_more"] == false)
            #expect(second["next_cursor"] == .null)
            let sleep = try await client.call(.get, "/v1/workers/sleep", key: api.key).json
            #expect(sleep["input_schema"]?["required"] == ["ms"])
            #expect(sleep["pricing"]?["billing_mode"] == "per_run")
            #expect(sleep["pricing"]?["credits_per_run"] == 1)
            #expect(sleep["max_duration_s"] == 300)
            #expect(sleep["output_kind"] == "object")
            for bad in ["/v1/workers?limit=0", "/v1/workers?limit=101", "/v1/workers?limit=x", "/v1/workers?cursor=NOT_A_SLUG"] {
                let (status, _, json) = try await client.call(.get, bad, key: api.key)
                #expect(status == 400, "\(bad)")
                #expect(json.errorCode == "bad_request")
            }
            #expect(try await client.call(.get, "/v1/workers/nope", key: api.key).json.errorCode == "not_found")
        }
    }

    @Test("submit, poll, list and cancel a job")
    func jobLifecycle() async throws {
        let api = try await APIFixture(credits: 5)
        try await api.test { client in
            let (status, headers, accepted) = try await client.call(
                .post,
                "/v1/workers/echo/jobs",
                key: api.key,
                body: #"{"q":"coffee in Paris","priority":"high"}"#
            )
            #expect(status == 202)
            let id = try #require(accepted["job_uuid"]?.stringValue)
            #expect(IDKind.job.matches(id))
            #expect(headers[.location] == "/v1/jobs/\(id)")
            #expect(accepted["status"] == "queued")
            #expect(accepted["worker"] == "echo")
            #expect(accepted["cost_estimate_credits"] == 1)
            #expect(accepted["created_at"]?.stringValue?.hasSuffix("Z") == true)

            let job = try await client.call(.get, "/v1/jobs/\(id)", key: api.key).json
            #expect(job["status"] == "queued")
            #expect(job["priority"] == "high")
            #expect(job["result"] == .null)
            #expect(job["webhook"] == .null)
            #expect(try await client.call(.get, "/v1/me", key: api.key).json["credits"] == ["balance": 5, "reserved": 1, "available": 4])

            let list = try await client.call(.get, "/v1/jobs?status=queued&worker=echo&limit=10", key: api.key).json
            #expect(list["data"]?.arrayValue?.map { $0["job_uuid"] } == [.string(id)])
            #expect(try await client.call(.get, "/v1/jobs?status=completed", key: api.key).json["data"] == [])
            #expect(try await client.call(.get, "/v1/jobs?status=done", key: api.key).status == 400)
            #expect(try await client.call(.get, "/v1/jobs?limit=500", key: api.key).status == 400)

            let cancelled = try await client.call(.delete, "/v1/jobs/\(id)", key: api.key)
            #expect(cancelled.status == 200)
            #expect(cancelled.json["status"] == "cancelled")
            #expect(cancelled.json["cost_credits"] == 0)
            let again = try await client.call(.delete, "/v1/jobs/\(id)", key: api.key)
            #expect(again.status == 409)
            #expect(again.json.errorCode == "conflict")
            #expect(try await client.call(.get, "/v1/me", key: api.key).json["credits"] == ["balance": 5, "reserved": 0, "available": 5])
        }
    }

    @Test("Prefer: wait holds the response until the job is done")
    func preferWait() async throws {
        let api = try await APIFixture()
        try await api.test(runner: true) { client in
            let (status, headers, job) = try await client.call(
                .post,
                "/v1/workers/echo/jobs",
                key: api.key,
                body: #"{"x":1}"#,
                headers: [HTTPField.Name("Prefer")!: "wait=10"]
            )
            #expect(status == 200)
            #expect(job["status"] == "completed")
            #expect(job["result"] == ["kind": "object", "data": ["x": 1], "items": [], "meta": [:]])
            #expect(job["cost_credits"] == 1)
            #expect(job["cost"]?["run_usd"] == 0.0001)
            #expect(headers[HTTPField.Name("Preference-Applied")!] == "wait=10")
            let timedOut = try await client.call(
                .post,
                "/v1/workers/sleep/jobs",
                key: api.key,
                body: #"{"ms":3000}"#,
                headers: [HTTPField.Name("Prefer")!: "wait=1"]
            )
            #expect(timedOut.status == 202)
            #expect(timedOut.json["status"] == "queued")
        }
    }

    @Test("Seek-Version 2026-01-15 gets seed 001's shape; an unknown version is a 400")
    func versions() async throws {
        let api = try await APIFixture()
        try await api.test(runner: true) { client in
            let legacy: HTTPFields = [HTTPField.Name("Seek-Version")!: "2026-01-15", HTTPField.Name("Prefer")!: "wait=10"]
            let job = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"a":"b"}"#, headers: legacy).json
            #expect(job["status"] == "SUCCEEDED")
            #expect(job["worker_id"] == "echo")
            #expect(job["output"]?["data"] == ["a": "b"])
            #expect(job["job_uuid"] == nil)
            let id = try #require(job["job_id"]?.stringValue)
            let current = try await client.call(.get, "/v1/jobs/\(id)", key: api.key).json
            #expect(current["status"] == "completed")
            #expect(current["result"]?["data"] == ["a": "b"])
            let listed = try await client.call(.get, "/v1/jobs", key: api.key, headers: [HTTPField.Name("Seek-Version")!: "2026-01-15"]).json
            #expect(listed["data"]?.arrayValue?.first?["job_id"] == .string(id))
            let bad = try await client.call(.get, "/v1/jobs", key: api.key, headers: [HTTPField.Name("Seek-Version")!: "1999-01-01"])
            #expect(bad.status == 400)
            #expect(bad.json.errorCode == "bad_request")
        }
    }

    @Test("Idempotency-Key: same body replays, another body is a 422")
    func idempotency() async throws {
        let api = try await APIFixture(credits: 10)
        try await api.test { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-7"]
            let first = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"n":1}"#, headers: key)
            let second = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"n":1}"#, headers: key)
            #expect(first.status == 202)
            #expect(second.status == 202)
            #expect(second.json == first.json)
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"n":2}"#, headers: key)
            #expect(other.status == 422)
            #expect(other.json.errorCode == "unprocessable_entity")
            #expect(try await client.call(.get, "/v1/me", key: api.key).json["credits"]?["reserved"] == 1)
            let bad = try await client.call(
                .post,
                "/v1/workers/echo/jobs",
                key: api.key,
                body: "{}",
                headers: [HTTPField.Name("Idempotency-Key")!: "has space"]
            )
            #expect(bad.status == 400)
        }
    }

    @Test("out of credits is a 402 and nothing is queued")
    func paymentRequired() async throws {
        let api = try await APIFixture(credits: 1)
        try await api.test { client in
            #expect(try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: "{}").status == 202)
            let refused = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: "{}")
            #expect(refused.status == 402)
            #expect(refused.json.errorCode == "payment_required")
            #expect(try await client.call(.get, "/v1/jobs", key: api.key).json["data"]?.arrayValue?.count == 1)
        }
    }

    @Test(
        "bad input gets the contract's error with the right status, never a 500",
        arguments: [
            ("{", 400, "bad_request"), ("[]", 400, "bad_request"), ("\"text\"", 400, "bad_request"), ("", 400, "bad_request"),
            (#"{"priority":"urgent"}"#, 400, "bad_request"), (#"{"timeout_s":-1}"#, 400, "bad_request"),
            (#"{"timeout_s":99999}"#, 400, "bad_request"), (#"{"webhook":"gopher://x"}"#, 400, "bad_request"),
            (#"{"max_credits":"lots"}"#, 400, "bad_request"), (String(repeating: "[", count: 10_000), 400, "bad_request"),
            (String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000), 400, "bad_request"),
        ]
    )
    func badBodies(_ body: String, _ status: Int, _ code: String) async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let response = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: body)
            #expect(response.status == status)
            #expect(response.json.errorCode == code)
        }
    }

    @Test(
        "a webhook aimed at a private address is refused at submit with a 400 that says why",
        arguments: [
            "http://127.0.0.1/h", "http://2130706433/h", "https://[::1]/h", "http://localhost:8080/h", "http://169.254.169.254/latest/",
            "http://internal.test/h",
        ]
    )
    func privateWebhookRefused(_ url: String) async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let response = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"webhook":"\#(url)"}"#)
            #expect(response.status == 400)
            #expect(response.json.errorCode == "bad_request")
            #expect(response.json["message"]?.stringValue?.contains("only delivered to public addresses") == true)
            // internal.test resolves to 10.0.0.5 among others: the caller is never told an inside address.
            #expect(response.json["message"]?.stringValue?.contains("10.0.0.5") == false)
            #expect(try await client.call(.get, "/v1/jobs", key: api.key).json["data"]?.arrayValue?.isEmpty == true, "a refused job was kept")
        }
    }

    @Test(
        "a public webhook host is accepted, and so is a name that does not resolve yet (each attempt checks again)",
        arguments: ["https://example.com/hook", "http://93.184.216.34:8080/h", "https://not-yet.example.invalid/h"]
    )
    func publicWebhookAccepted(_ url: String) async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let response = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: #"{"webhook":"\#(url)"}"#)
            #expect(response.status == 202)
        }
    }

    @Test("a body over 1 MiB is a 413")
    func tooLarge() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let body = #"{"blob":""# + String(repeating: "a", count: 1 << 20) + #""}"#
            let response = try await client.call(.post, "/v1/workers/echo/jobs", key: api.key, body: body)
            #expect(response.status == 413)
            #expect(response.json.errorCode == "payload_too_large")
        }
    }

    @Test("schema violations are 422s whose details name the path")
    func schemaViolations() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let response = try await client.call(.post, "/v1/workers/sleep/jobs", key: api.key, body: #"{"ms":-5,"extra":1}"#)
            #expect(response.status == 422)
            #expect(response.json.errorCode == "unprocessable_entity")
            let paths = response.json["details"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
            #expect(Set(paths) == ["/ms", "/extra"])
            let missing = try await client.call(.post, "/v1/workers/sleep/jobs", key: api.key, body: "{}")
            #expect(missing.json["details"]?.arrayValue?.first?["path"] == "/ms")
        }
    }

    @Test("unknown workers and malformed or foreign job ids are 404s")
    func notFound() async throws {
        let api = try await APIFixture()
        let other = try await api.another()
        try await api.test { client in
            #expect(try await client.call(.post, "/v1/workers/no-such-worker/jobs", key: api.key, body: "{}").json.errorCode == "not_found")
            #expect(try await client.call(.post, "/v1/workers/NOT..VALID/jobs", key: api.key, body: "{}").status == 404)
            let foreign = try await client.call(.post, "/v1/workers/echo/jobs", key: other.key, body: "{}").json["job_uuid"]!.stringValue!
            for id in ["nope", "job_123", foreign, "job_01ARZ3NDEKTSV4RRFFQ69G5FAV", "../etc/passwd"] {
                let get = try await client.call(.get, "/v1/jobs/\(id)", key: api.key)
                #expect(get.status == 404, "\(id)")
                #expect(get.json.errorCode == "not_found")
                #expect(try await client.call(.delete, "/v1/jobs/\(id)", key: api.key).status == 404)
            }
        }
    }

    @Test("keys: create, list, revoke; a revoked key stops at once; the last one stays")
    func keys() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let created = try await client.call(.post, "/v1/me/keys", key: api.key, body: #"{"name":"ci"}"#)
            #expect(created.status == 201)
            let newKey = try #require(created.json["key"]?.stringValue)
            let newID = try #require(created.json["id"]?.stringValue)
            #expect(created.json["prefix"]?.stringValue == String(newKey.prefix(12)))
            let listed = try await client.call(.get, "/v1/me/keys", key: newKey).json["data"]?.arrayValue ?? []
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0["key"] == nil })
            let firstID = try #require(listed.first { $0["id"]?.stringValue != newID }?["id"]?.stringValue)
            #expect(try await client.call(.delete, "/v1/me/keys/\(firstID)", key: newKey).status == 200)
            #expect(try await client.call(.get, "/v1/me", key: api.key).status == 401)
            let last = try await client.call(.delete, "/v1/me/keys/\(newID)", key: newKey)
            #expect(last.status == 409)
            #expect(try await client.call(.post, "/v1/me/keys", key: newKey, body: "{}").status == 400)
            // One character with 300 combining marks is 601 bytes: names are bounded in bytes.
            let zalgo = "a" + String(repeating: "\u{301}", count: 300)
            #expect(try await client.call(.post, "/v1/me/keys", key: newKey, body: #"{"name":"\#(zalgo)"}"#).status == 400)
            #expect(try await client.call(.delete, "/v1/me/keys/key_bogus", key: newKey).status == 404)
        }
    }

    @Test("the webhook secret can be read and rotated; the old one is reported while it still signs")
    func webhookSecret() async throws {
        let api = try await APIFixture()
        try await api.test { client in
            let first = try await client.call(.get, "/v1/me/webhook-secret", key: api.key)
            #expect(first.status == 200)
            let secret = try #require(first.json["secret"]?.stringValue)
            #expect(WebhookSecret(encoded: secret)?.key.count == 32)
            #expect(first.json["previous_secret"] == .null)
            let rotated = try await client.call(.post, "/v1/me/webhook-secret/rotate", key: api.key)
            #expect(rotated.status == 200)
            #expect(rotated.json["secret"] != first.json["secret"])
            #expect(rotated.json["previous_secret"]?.stringValue == secret)
            #expect(rotated.json["previous_valid_until"]?.stringValue != nil)
            #expect(try await client.call(.get, "/v1/me/webhook-secret", key: api.key).json == rotated.json)
            #expect(try await client.call(.get, "/v1/me/webhook-secret", key: nil).status == 401)
        }
    }

    @Test("a job's webhook shows its delivery state; its deliveries log is listed, and 404 for anyone else")
    func webhookVisibility() async throws {
        let api = try await APIFixture()
        let other = try await api.another()
        try await api.test { client in
            let id = try #require(
                try await client.call(
                    .post,
                    "/v1/workers/echo/jobs",
                    key: api.key,
                    body: #"{"webhook":"https://example.com/hook"}"#
                ).json["job_uuid"]?.stringValue
            )
            let job = try await client.call(.get, "/v1/jobs/\(id)", key: api.key).json
            #expect(job["webhook"] == ["url": "https://example.com/hook", "state": "pending", "attempts": 0])
            let log = try await client.call(.get, "/v1/jobs/\(id)/webhook-deliveries", key: api.key)
            #expect(log.status == 200)
            #expect(log.json == ["data": []])
            #expect(try await client.call(.get, "/v1/jobs/\(id)/webhook-deliveries", key: other.key).status == 404)
            #expect(try await client.call(.get, "/v1/jobs/job_bogus/webhook-deliveries", key: api.key).status == 404)
        }
    }
}
