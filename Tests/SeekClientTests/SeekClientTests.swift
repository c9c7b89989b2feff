import Crypto
import Foundation
import HTTPTypes
import OpenAPIRuntime
import SeekTestSupport
import Testing

@testable import SeekClient

/// The project's root, for the files the tests hold together.
private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("The Swift SDK")
struct SeekClientTests {
    @Test("the committed generated code is the one made from the served OpenAPI document (else run scripts/generate-sdk)")
    func generatedFromTheDocument() throws {
        let document = try Data(contentsOf: root.appendingPathComponent("Sources/SeekHTTP/Resources/openapi.json"))
        let recorded = try String(contentsOf: root.appendingPathComponent("Sources/SeekClient/Generated/openapi.sha256"), encoding: .utf8)
        let digest = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
        #expect(recorded.trimmingCharacters(in: .whitespacesAndNewlines) == digest)
    }

    @Test("the README's steps, through the SDK, against a live server: run, wait, events, cancel, errors, credits, keys, webhooks")
    func readmeSteps() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.close() }
        let api = try await APIFixture(runtime: { $0.allowPrivateNetwork = true })
        try await api.test(.live, runner: true, webhooks: true) { client in
            let base = try #require(client.port.flatMap { URL(string: "http://127.0.0.1:\($0)") })
            setenv("SEEK_API_KEY", api.key, 1)
            setenv("SEEK_API_BASE", base.absoluteString, 1)
            let seek = try ClientSnippets.makeClient()
            #expect(seek.apiKey == api.key && seek.baseURL == base)

            // 2–4: run (an idempotency key and Prefer: wait), submit and follow, submit and wait.
            let echoed = try await ClientSnippets.runAJob(seek)
            #expect(echoed.status == .completed && echoed.worker == "echo" && echoed.priority == .high)
            #expect((echoed.result?.data.value as? [String: (any Sendable)?])?["hello"] as? String == "world")
            // The events example prints each event's name and status (or log line).
            let seen = try await ClientSnippets.printing { try await ClientSnippets.followEvents(seek) }
            let statuses = seen.filter { $0.hasPrefix("status ") }
            #expect(statuses.suffix(2) == ["status running", "status completed"])
            #expect(seen.last == "done completed")
            #expect(seen.contains { $0.hasPrefix("log Sleeping for 300 ms") })
            let waited = try await seek.submit(worker: "sleep", input: ["ms": 50], wait: .seconds(30))
            guard case .finished(let slept) = waited else {
                Issue.record("Prefer: wait=30 did not hold the answer for a 50 ms job: \(waited)")
                return
            }
            #expect(slept.status == .completed)
            #expect(try await seek.job(slept.jobUuid).status == .completed)

            // An idempotency key makes one job however often the submit is sent.
            let once = try await seek.submit(worker: "echo", input: ["n": 1], idempotencyKey: "k-1")
            let twice = try await seek.submit(worker: "echo", input: ["n": 1], idempotencyKey: "k-1")
            #expect(once.jobID == twice.jobID)

            // 5: cancel. A job that has ended is a 409, in the contract's shape.
            await #expect(throws: SeekAPIError.self) { _ = try await seek.cancel(job: echoed.jobUuid) }
            do {
                _ = try await seek.cancel(job: echoed.jobUuid)
            } catch let error as SeekAPIError {
                #expect(error.status == 409 && error.code == "conflict" && error.requestID?.hasPrefix("req_") == true)
            }

            // Typed errors: a 422's details, a 404 for a job that is not there.
            let details = try await ClientSnippets.printing { try await ClientSnippets.handleErrors(seek) }
            #expect(details.count == 1 && details.first?.hasPrefix("/ms ") == true)
            do {
                _ = try await seek.job("job_01ARZ3NDEKTSV4RRFFQ69G5FAV")
                Issue.record("a missing job was found")
            } catch let error as SeekAPIError {
                #expect(error.status == 404 && error.code == "not_found")
            }

            // 6: a webhook, verified with the workspace's secret by the SDK's helper.
            let hooked = try await seek.run(worker: "echo", input: ["hello": "hook", "webhook": .string("http://127.0.0.1:\(receiver.port)/seek")])
            let delivered = try await eventually { receiver.requests.first }
            let secret = try await seek.api.getWebhookSecret().ok.body.json.secret
            let delivery = try ClientSnippets.verifyWebhook(secret: secret, headers: delivered.headers, body: delivered.body)
            #expect(delivery.jobID == hooked.jobUuid && delivery.event == "job.completed")
            #expect(throws: WebhookVerificationError.noMatchingSignature) {
                _ = try ClientSnippets.verifyWebhook(secret: secret, headers: delivered.headers, body: delivered.body + Array(" ".utf8))
            }

            // 7: credits and usage.
            let credits = try await seek.credits()
            #expect(credits.balance < 100 && !credits.data.isEmpty)
            #expect(try await ClientSnippets.everyOperation(seek).self != nil)

            // 8: a read key may only read.
            let read = try await seek.createKey(name: "dashboard", scope: .read)
            let reader = try SeekClient(apiKey: read.value2.key, baseURL: base)
            #expect(try await reader.workers().contains { $0.id == "sleep" })
            do {
                _ = try await reader.submit(worker: "echo")
                Issue.record("a read key submitted a job")
            } catch let error as SeekAPIError {
                #expect(error.status == 403 && error.code == "forbidden")
            }
            #expect(try await seek.keys().contains { $0.id == read.value1.id })
            #expect(try await seek.revokeKey(read.value1.id).revokedAt != nil)
            let jobs = try await seek.jobs(worker: "echo", status: .completed)
            #expect(jobs.contains { $0.jobUuid == echoed.jobUuid })
        }
    }

    @Test("a key that is not there is refused before any call, and a wrong one is a typed 401")
    func keys() async throws {
        #expect(throws: SeekClientError.missingAPIKey) { _ = try SeekClient(environment: [:]) }
        #expect(throws: SeekClientError.invalidBaseURL("ftp://x")) {
            _ = try SeekClient(environment: ["SEEKAPI_KEY": "sk_live_x", "SEEK_API_BASE": "ftp://x"])
        }
        #expect(try SeekClient(environment: ["SEEKAPI_KEY": "sk_live_seed"]).apiKey == "sk_live_seed")
        let api = try await APIFixture()
        try await api.test(.live) { client in
            let base = try #require(client.port.flatMap { URL(string: "http://127.0.0.1:\($0)") })
            let wrong = try SeekClient(apiKey: "sk_live_wrong", baseURL: base, retry: .none)
            do {
                _ = try await wrong.me()
                Issue.record("a wrong key was let in")
            } catch let error as SeekAPIError {
                #expect(error.status == 401 && error.code == "unauthorized")
            }
        }
    }
}

@Suite("The SDK's retries")
struct RetryTests {
    @Test("429 is retried for any call after its Retry-After; 503 only for safe calls; a 4xx never")
    func policy() {
        let policy = RetryPolicy(attempts: 3, initialDelay: .milliseconds(100), maximumDelay: .seconds(2))
        #expect(policy.delay(after: 1, status: 429, retryAfter: .seconds(1), safe: false) == .seconds(1))
        #expect(policy.delay(after: 1, status: 429, retryAfter: .seconds(60), safe: false) == .seconds(2), "capped")
        #expect(policy.delay(after: 1, status: 503, retryAfter: nil, safe: false) == nil)
        let backoff = policy.delay(after: 2, status: 503, retryAfter: nil, safe: true)
        #expect(backoff.map { $0 >= .milliseconds(100) && $0 <= .milliseconds(200) } == true)
        #expect(policy.delay(after: 3, status: 503, retryAfter: nil, safe: true) == nil, "attempts spent")
        #expect(policy.delay(after: 1, status: 422, retryAfter: nil, safe: true) == nil)
        #expect(policy.delay(after: 1, status: nil, retryAfter: nil, safe: true) != nil, "a lost connection, for a safe call")

        var post = HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/v1/workers/echo/jobs")
        #expect(!RetryPolicy.isSafe(post))
        post.headerFields[.idempotencyKey] = "k"
        #expect(RetryPolicy.isSafe(post))
        #expect(RetryPolicy.isSafe(HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/v1/jobs")))
    }

    @Test("the middleware sends a refused call again and hands back the answer that follows")
    func middleware() async throws {
        let answers = Answers([.tooManyRequests, .serviceUnavailable, .ok])
        let middleware = RetryMiddleware(policy: RetryPolicy(attempts: 4, initialDelay: .milliseconds(1)))
        let request = HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/v1/me")
        let (response, _) = try await middleware.intercept(request, body: nil, baseURL: URL(string: "http://x")!, operationID: "getMe") { _, _, _ in
            (HTTPResponse(status: answers.next(), headerFields: [.retryAfter: "0"]), nil)
        }
        #expect(response.status == .ok && answers.sent == 3)

        let unsafe = Answers([.serviceUnavailable, .ok])
        let post = HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/v1/workers/echo/jobs")
        let (refused, _) = try await middleware.intercept(post, body: nil, baseURL: URL(string: "http://x")!, operationID: "submitJob") { _, _, _ in
            (HTTPResponse(status: unsafe.next()), nil)
        }
        #expect(refused.status == .serviceUnavailable && unsafe.sent == 1, "a POST without an idempotency key is not sent twice")
    }
}

/// Statuses a fake server answers in turn.
final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [HTTPResponse.Status]
    private(set) var sent = 0

    init(_ statuses: [HTTPResponse.Status]) { self.statuses = statuses }

    func next() -> HTTPResponse.Status {
        lock.withLock {
            sent += 1
            return statuses.removeFirst()
        }
    }
}

/// Waits for something that happens on another thread (a webhook's arrival), up to ten seconds.
func eventually<Value>(_ probe: () throws -> Value?) async throws -> Value {
    for _ in 0..<500 {
        if let value = try probe() { return value }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw CancellationError()
}

@Suite("docs/clients.md")
struct ClientDocsTests {
    @Test("every Swift example of the page is a snippet of ClientSnippets.swift, word for word, and every snippet is on the page")
    func docsShowTheseSnippets() throws {
        let page = try String(contentsOf: root.appendingPathComponent("docs/clients.md"), encoding: .utf8)
        let source = try String(contentsOf: root.appendingPathComponent("Tests/SeekClientTests/ClientSnippets.swift"), encoding: .utf8)
        let examples = Self.blocks(page, opening: "```swift", closing: "```")
        let snippets = Self.blocks(source, opening: "// snippet ", closing: "// end snippet")
        #expect(!examples.isEmpty && examples.count == snippets.count)
        for example in examples {
            #expect(snippets.contains(example), "docs/clients.md shows code that no test runs:\n\(example)")
        }
        for snippet in snippets {
            #expect(examples.contains(snippet), "a snippet is missing from docs/clients.md:\n\(snippet)")
        }
    }

    /// The lines between each opening line and the next closing line, each without its indentation.
    static func blocks(_ text: String, opening: String, closing: String) -> [String] {
        var blocks: [String] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if var lines = current {
                if trimmed == closing {
                    blocks.append(lines.joined(separator: "\n"))
                    current = nil
                } else {
                    lines.append(trimmed)
                    current = lines
                }
            } else if trimmed.hasPrefix(opening) {
                current = []
            }
        }
        return blocks
    }
}
