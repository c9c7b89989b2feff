import Foundation
import SeekClient
import Synchronization

// The examples of docs/clients.md, verbatim between `// snippet NAME` and `// end snippet`: they compile here, the
// tests in SeekClientTests.swift run them against a live server, and `docsShowTheseSnippets` holds the page to them.
enum ClientSnippets {
    /// What the snippets printed, line by line: their `print` is this one, so that a test can read it.
    static let printed = Mutex<[String]>([])

    static func print(_ items: Any...) {
        let line = items.map { "\($0)" }.joined(separator: " ")
        printed.withLock { $0.append(line) }
    }

    /// The lines printed while `body` ran.
    static func printing(_ body: () async throws -> Void) async rethrows -> [String] {
        let start = printed.withLock { $0.count }
        try await body()
        return printed.withLock { Array($0[start...]) }
    }

    static func makeClient() throws -> SeekClient {
        // snippet make-client
        // SEEK_API_KEY (or the seed's SEEKAPI_KEY) and SEEK_API_BASE (default http://127.0.0.1:8080).
        let seek = try SeekClient()
        // end snippet
        return seek
    }

    static func runAJob(_ seek: SeekClient) async throws -> Job {
        // snippet run
        let job = try await seek.run(worker: "echo", input: ["hello": "world", "priority": "high"])
        print(job.status, job.costCredits ?? 0, job.result?.data.value ?? "")
        // end snippet
        return job
    }

    static func followEvents(_ seek: SeekClient) async throws {
        // snippet events
        let submitted = try await seek.submit(worker: "sleep", input: ["ms": 300])
        for try await event in seek.events(job: submitted.jobID) {
            print(event.name, event.status ?? event.message ?? "")
        }
        // end snippet
    }

    static func handleErrors(_ seek: SeekClient) async throws {
        // snippet errors
        do {
            _ = try await seek.run(worker: "sleep", input: ["ms": "abc"])
        } catch let error as SeekAPIError where error.code == "unprocessable_entity" {
            for detail in error.details { print(detail.path, detail.message) }
        }
        // end snippet
    }

    static func verifyWebhook(secret: String, headers: [String: String], body: [UInt8]) throws -> JobWebhook {
        // snippet webhooks
        // secret: GET /v1/me/webhook-secret; headers and body: the request exactly as received.
        guard let receiver = WebhookReceiver(secret: secret) else { throw WebhookError.notAWebhookSecret }
        let delivery = try receiver.verify(headers: headers, body: body)
        print(delivery.event, delivery.jobID, delivery.costCredits ?? 0)
        // end snippet
        return delivery
    }

    static func everyOperation(_ seek: SeekClient) async throws -> Components.Schemas.Usage {
        // snippet raw
        // Every operation of the OpenAPI document, generated: typed inputs and outputs.
        let usage = try await seek.api.getUsage().ok.body.json
        // end snippet
        return usage
    }

    enum WebhookError: Error { case notAWebhookSecret }
}
